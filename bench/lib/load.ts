/** The load generator: autocannon, in this process, with keep-alive connections. */
import autocannon from 'autocannon';

export interface LoadResult {
  /** 2xx answers per second over the whole run. */
  rps: number;
  p50: number;
  p99: number;
  ok: number;
  non2xx: number;
  errors: number;
  /** Status code -> count, to explain a non-2xx figure. */
  statuses: Record<string, number>;
}

/** Load for `seconds`, or for exactly `{ amount }` requests. */
export async function load(url: string, seconds: number | { amount: number }, connections = 8): Promise<LoadResult> {
  const length = typeof seconds === 'number' ? { duration: seconds } : { amount: seconds.amount };
  // autocannon's own duration is in whole seconds (a burst even ends on its next one-second
  // tick): the rate comes from the time of the last answer instead.
  const began = performance.now();
  let last = began;
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon({ url, connections, ...length, pipelining: 1 }, (err, res) => (err ? reject(err) : resolve(res)));
    instance.on('response', () => {
      last = performance.now();
    });
  });
  const elapsed = (last - began) / 1000;
  const statuses: Record<string, number> = {};
  for (const [code, stat] of Object.entries(result.statusCodeStats ?? {})) statuses[code] = stat.count ?? 0;
  return {
    rps: result['2xx'] / elapsed,
    p50: result.latency.p50,
    p99: result.latency.p99,
    ok: result['2xx'],
    non2xx: result.non2xx,
    errors: result.errors,
    statuses,
  };
}
