/** Server start to first 201: spawn the built server and ask for an invite until one is made. */
import { setTimeout as sleep } from 'node:timers/promises';
import { SERVER_BIN, inviteUrl, statusOf, type Instance } from './canto.js';
import { start } from './processes.js';
import { median } from './stats.js';

async function once(instance: Instance): Promise<number> {
  const began = performance.now();
  const running = start(process.execPath, [SERVER_BIN, '--config', instance.config], { cwd: instance.dir });
  try {
    // The port is picked by the OS, so the first moment we can ask is when the server names it.
    const [, port] = await running.waitFor(/http listening on \S+?:(\d+)\b/);
    const url = inviteUrl(Number(port), instance.key);
    for (;;) {
      const status = await statusOf(url);
      if (status === 201) return performance.now() - began;
      if (status !== 0 && status !== 404 && status !== 503) throw new Error(`first invite request answered ${status}`);
      if (performance.now() - began > 20_000) throw new Error('no 201 within 20 s of start');
      await sleep(2);
    }
  } finally {
    await running.stop();
  }
}

/** Median over `runs` cold starts, in milliseconds. */
export async function startToFirstInvite(instance: Instance, runs: number): Promise<{ median: number; all: number[] }> {
  const all: number[] = [];
  for (let i = 0; i < runs; i++) all.push(await once(instance));
  return { median: median(all), all };
}
