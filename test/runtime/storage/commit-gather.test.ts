/**
 * When a group commit starts (runtime/storage/commit-gather.ts): it waits for the callers the
 * last one answered, at most that commit's time; with `adapt`, callers slower than a commit stop
 * the waiting, and a probe every PROBE_EVERY commits checks whether that still holds.
 */
import t from 'tap';
import { CommitGather, PROBE_EVERY } from '../../../runtime/storage/commit-gather.js';

/** A gather whose last commit took `ms` and answered `batch` callers, none queued since. */
function after(ms: number, batch: number, adapt: boolean): CommitGather {
  const gather = new CommitGather(1, 1_000, { adapt });
  gather.settled(performance.now() - ms, batch, 0);
  return gather;
}

/** Whether `ready` went at once (before any timer could fire), however loaded the machine. */
async function atOnce(gather: CommitGather, queued: () => number): Promise<boolean> {
  const ready = gather.ready(queued).then(() => true);
  const first = await Promise.race([ready, new Promise<false>((resolve) => setImmediate(() => resolve(false)))]);
  await ready;
  return first;
}

/** How long `ready` took, in ms, with `queued` changes waiting. */
async function timed(gather: CommitGather, queued: () => number): Promise<number> {
  const began = performance.now();
  await gather.ready(queued);
  return performance.now() - began;
}

t.test('a commit waits for the callers the last one answered, and no longer', async (t) => {
  const gather = after(1_000, 4, false);
  let queued = 0;
  const waiting = timed(gather, () => queued);
  for (let i = 0; i < 4; i++) {
    await new Promise((resolve) => setTimeout(resolve, 5));
    gather.queued(++queued);
  }
  const took = await waiting;
  t.ok(took >= 15 && took < 900, `woken by the fourth caller, before the last commit's time ran out (${took.toFixed(1)} ms)`);
  t.equal(gather.overlapping, false);
});

t.test('without adapt, callers slower than a commit are waited for every time', async (t) => {
  const gather = after(200, 4, false);
  t.ok((await timed(gather, () => 0)) >= 150, 'the wait ran out');
  gather.settled(performance.now() - 200, 4, 0);
  t.ok((await timed(gather, () => 0)) >= 150, 'and the next commit waits again');
  t.equal(gather.overlapping, false);
});

t.test('with adapt, callers slower than a commit stop the waiting until a probe finds them back in time', async (t) => {
  const gather = after(200, 4, true);
  t.ok((await timed(gather, () => 0)) >= 150, 'the first wait runs out');
  t.equal(gather.overlapping, true, 'so commits stop waiting');
  let went = 0;
  for (let i = 1; i < PROBE_EVERY; i++) {
    gather.settled(performance.now() - 20, 4, 0);
    if (await atOnce(gather, () => 0)) went++;
  }
  t.equal(went, PROBE_EVERY - 1, 'the commits that follow take what is queued at once');
  gather.settled(performance.now() - 1_000, 4, 0);
  let queued = 0;
  const probe = timed(gather, () => queued);
  await new Promise((resolve) => setTimeout(resolve, 10));
  for (let i = 0; i < 4; i++) gather.queued(++queued);
  const took = await probe;
  t.ok(took >= 5 && took < 900, `the probe waited for the callers (${took.toFixed(1)} ms)`);
  t.equal(gather.overlapping, false, 'who were back before the commit time ran out: waiting again');
});

t.test('a probe that finds the callers already back goes back to waiting', async (t) => {
  const gather = after(200, 4, true);
  await timed(gather, () => 0);
  t.equal(gather.overlapping, true);
  for (let i = 1; i < PROBE_EVERY; i++) await gather.ready(() => 0);
  gather.settled(performance.now() - 20, 4, 0);
  t.ok(await atOnce(gather, () => 4), 'the probe finds all four queued and goes at once');
  t.equal(gather.overlapping, false);
});
