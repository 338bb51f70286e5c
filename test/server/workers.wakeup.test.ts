/**
 * The sleep/wake protocol (PROTOCOL.md §3.7; §6.3 item 6): who gets a NOOP, when, and how often.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  KINDS, PacketType, adminList, eventually, functionStatus, grab, grabNothing, servers, sleepingWorker, submit, sync, worker,
  type RawClient,
} from './harness.js';

/** Waits until the workers have received `total` replies between them; returns the counts. */
async function noopsSeen(workers: RawClient[], total: number): Promise<number[]> {
  const counts = () => workers.map((w) => w.pending().filter((r) => r.type === PacketType.NOOP).length);
  const sum = () => counts().reduce((a, b) => a + b, 0);
  await eventually(async () => sum() >= total, 2000, 5);
  // Anything beyond `total` would arrive promptly too: give it a short window.
  await workers[0]!.quiet(100);
  for (const w of workers) {
    assert.ok(w.pending().every((r) => r.type === PacketType.NOOP), `only NOOPs: ${JSON.stringify(w.pending())}`);
  }
  return counts();
}

for (const kind of KINDS) {
  describe(`${kind}: wake-up`, { timeout: 20000 }, () => {
    const { setup } = servers(kind);

    it('wakes every sleeping worker of the function once, and not again before it grabs', async (t) => {
      const s = await setup(t);
      const f = s.fn();
      const ws = [await sleepingWorker(s, [f]), await sleepingWorker(s, [f]), await sleepingWorker(s, [f])];
      const c = await s.connect();
      await submit(c, PacketType.SUBMIT_JOB_BG, f, '', '1');
      assert.deepEqual(await noopsSeen(ws, 3), [1, 1, 1]);
      await submit(c, PacketType.SUBMIT_JOB_BG, f, '', '2');
      assert.deepEqual(await noopsSeen(ws, 3), [1, 1, 1], 'no second NOOP while one is outstanding');
      for (const w of ws) await w.expect(PacketType.NOOP);
      // After grabbing and going back to sleep, a new job wakes the worker again.
      const [w0] = ws;
      await grab(w0!);
      await grab(w0!);
      await grabNothing(w0!);
      w0!.send(PacketType.PRE_SLEEP);
      await sync(w0!);
      await submit(c, PacketType.SUBMIT_JOB_BG, f, '', '3');
      await w0!.expect(PacketType.NOOP);
    });

    it('answers PRE_SLEEP at once with NOOP when a job is waiting', async (t) => {
      const s = await setup(t);
      const f = s.fn();
      const c = await s.connect();
      await submit(c, PacketType.SUBMIT_JOB_LOW_BG, f, '', 'waiting');
      const w = await worker(s, [s.fn(), f]);
      w.send(PacketType.PRE_SLEEP);
      await w.expect(PacketType.NOOP);
      assert.equal((await grab(w))[3], 'waiting');
    });

    it('does not wake workers that never slept or registered other functions', async (t) => {
      const s = await setup(t);
      const f = s.fn();
      const awake = await worker(s, [f]);
      const other = await sleepingWorker(s, [s.fn()]);
      const sleeper = await sleepingWorker(s, [f]);
      const c = await s.connect();
      await submit(c, PacketType.SUBMIT_JOB_BG, f, '', 'x');
      await sleeper.expect(PacketType.NOOP);
      assert.ok(await awake.quiet(100), 'a worker that never sent PRE_SLEEP gets no NOOP');
      assert.ok(await other.quiet(0), 'a worker of another function gets no NOOP');
    });

    it('difference: a repeated CAN_DO registers the function once (gearmand counts it twice)', async (t) => {
      const s = await setup(t, { fresh: true });
      const f = s.fn();
      const w = await worker(s, [f, f]);
      const admin = await s.connect();
      const twice = kind === 'gearmand';
      assert.deepEqual(await functionStatus(admin, f), [0, 0, twice ? 2 : 1]);
      const lines = await adminList(admin, 'workers');
      assert.ok(lines.some((l) => l.endsWith(twice ? ` : ${f} ${f}` : ` : ${f}`)), lines.join('\n'));
      // One CANT_DO removes it entirely on both.
      w.send(PacketType.CANT_DO, [f]);
      await sync(w);
      assert.deepEqual(await functionStatus(admin, f), [0, 0, 0]);
    });

    it('with -w 1 wakes one worker per job, rotating, and none once all have a NOOP', async (t) => {
      const s = await setup(t, { args: ['-w', '1'] });
      const f = s.fn();
      const ws = [await sleepingWorker(s, [f]), await sleepingWorker(s, [f]), await sleepingWorker(s, [f])];
      const c = await s.connect();
      const seen: number[][] = [];
      for (let i = 1; i <= 3; i++) {
        await submit(c, PacketType.SUBMIT_JOB_BG, f, '', String(i));
        seen.push(await noopsSeen(ws, i));
      }
      // Each job woke exactly one more worker, a different one each time.
      assert.equal(seen[0]!.reduce((a, b) => a + b), 1);
      assert.equal(seen[1]!.reduce((a, b) => a + b), 2);
      assert.deepEqual(seen[2], [1, 1, 1]);
      await submit(c, PacketType.SUBMIT_JOB_BG, f, '', '4');
      assert.deepEqual(await noopsSeen(ws, 3), [1, 1, 1]);
    });
  });
}
