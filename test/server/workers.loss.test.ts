/**
 * Losing the worker that holds a job (PROTOCOL.md §3.8 "Worker loss and requeue"; §6.3 item 7):
 * disconnect, CANT_DO and RESET_ABILITIES requeue the job at the tail of its level with its progress
 * reset; `-j N` fails it after N attempts in total (same meaning on both servers).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  KINDS, PacketType, adminList, eventually, grab, grabNothing, servers, sleepingWorker, submit, sync, worker,
  type RawClient, type Scenario,
} from './harness.js';

type Loss = 'disconnect' | 'CANT_DO' | 'RESET_ABILITIES';

/** Makes `w` lose the job it holds for `fn`. */
function lose(w: RawClient, how: Loss, fn: string): void {
  if (how === 'disconnect') w.close();
  else if (how === 'CANT_DO') w.send(PacketType.CANT_DO, [fn]);
  else w.send(PacketType.RESET_ABILITIES);
}

/** The retry counter `show jobs` reports for a handle. */
async function retries(s: Scenario, handle: string): Promise<string | undefined> {
  const admin = await s.connect();
  const line = (await adminList(admin, 'show jobs')).find((l) => l.split('\t')[0] === handle);
  return line?.split('\t')[1];
}

for (const kind of KINDS) {
  describe(`${kind}: worker loss`, { timeout: 20000 }, () => {
    const { setup } = servers(kind);

    for (const how of ['disconnect', 'CANT_DO', 'RESET_ABILITIES'] as const) {
      it(`requeues the job on ${how}, wakes sleepers, counts a retry and tells the client nothing`,
        async (t) => {
          const s = await setup(t);
          const f = s.fn();
          const c = await s.connect();
          const h = await submit(c, PacketType.SUBMIT_JOB, f, 'u', 'payload');
          const w1 = await worker(s, [f]);
          assert.equal((await grab(w1))[0], h);
          const w2 = await sleepingWorker(s, [f]);
          lose(w1, how, f);
          await w2.expect(PacketType.NOOP);
          assert.deepEqual(await grab(w2), [h, f, 'u', 'payload']);
          assert.equal(await retries(s, h), '1');
          if (how !== 'disconnect') {
            // The first worker is still connected: its late result is refused.
            w1.send(PacketType.WORK_COMPLETE, [h, 'late']);
            assert.deepEqual((await w1.expect(PacketType.ERROR)).args,
              ['JOB_NOT_FOUND', 'Job given in work result not found']);
          }
          assert.ok(await c.quiet(50), `client was told ${JSON.stringify(c.pending())}`);
          w2.send(PacketType.WORK_COMPLETE, [h, 'on time']);
          assert.deepEqual((await c.expect(PacketType.WORK_COMPLETE)).args, [h, 'on time']);
        });
    }

    it('puts a requeued job at the tail of its priority level and resets its progress', async (t) => {
      const s = await setup(t);
      const f = s.fn();
      const c = await s.connect();
      const a = await submit(c, PacketType.SUBMIT_JOB_BG, f, '', 'A');
      const b = await submit(c, PacketType.SUBMIT_JOB_BG, f, '', 'B');
      const w1 = await worker(s, [f]);
      assert.equal((await grab(w1))[0], a);
      w1.send(PacketType.WORK_STATUS, [a, '5', '10']);
      await sync(w1);
      const q = await s.connect();
      q.send(PacketType.GET_STATUS, [a]);
      assert.deepEqual((await q.expect(PacketType.STATUS_RES)).args, [a, '1', '1', '5', '10']);
      lose(w1, 'disconnect', f);
      const requeued = await eventually(async () => {
        q.send(PacketType.GET_STATUS, [a]);
        return (await q.expect(PacketType.STATUS_RES)).args.join(' ') === `${a} 1 0 0 0`;
      });
      assert.ok(requeued, 'the job is queued again with its progress reset');
      const w2 = await worker(s, [f]);
      assert.equal((await grab(w2))[0], b);
      assert.equal((await grab(w2))[0], a);
    });

    it('keeps requeueing without limit by default', async (t) => {
      const s = await setup(t);
      const f = s.fn();
      const c = await s.connect();
      const h = await submit(c, PacketType.SUBMIT_JOB, f, '', 'x');
      for (let i = 1; i <= 3; i++) {
        const w = await worker(s, [f]);
        assert.equal((await grab(w))[0], h);
        lose(w, 'RESET_ABILITIES', f);
        await sync(w);
      }
      assert.equal(await retries(s, h), '3');
      assert.ok(await c.quiet(50));
    });

    it('with -j 2 fails the job at the second worker loss: WORK_FAIL with the bare handle', async (t) => {
      const s = await setup(t, { args: ['-j', '2'] });
      const f = s.fn();
      const c = await s.connect();
      const h = await submit(c, PacketType.SUBMIT_JOB, f, '', 'x');
      const bgSubmitter = await s.connect();
      const bg = await submit(bgSubmitter, PacketType.SUBMIT_JOB_BG, f, '', 'bg');
      for (const how of ['disconnect', 'CANT_DO'] as const) {
        const w = await worker(s, [f]);
        // Both jobs at once; the order in which a lost worker's jobs are requeued is not specified.
        const held = [(await grab(w))[0], (await grab(w))[0]].sort();
        assert.deepEqual(held, [h, bg].sort());
        lose(w, how, f);
        if (how === 'disconnect') {
          assert.ok(await c.quiet(100), 'first loss: requeued, client told nothing');
          assert.equal(await retries(s, h), '1');
        }
      }
      const fail = await c.expect(PacketType.WORK_FAIL);
      assert.equal(fail.body.toString('latin1'), h);
      const q = await s.connect();
      for (const handle of [h, bg]) {
        q.send(PacketType.GET_STATUS, [handle]);
        assert.deepEqual((await q.expect(PacketType.STATUS_RES)).args, [handle, '0', '0', '0', '0']);
      }
      assert.equal(await retries(s, h), undefined);
      await grabNothing(await worker(s, [f]));
      assert.ok(await bgSubmitter.quiet(0), 'background submitter hears nothing');
    });

    it('with -j 1 fails the job at the first worker loss', async (t) => {
      const s = await setup(t, { args: ['-j', '1'] });
      const f = s.fn();
      const c = await s.connect();
      const h = await submit(c, PacketType.SUBMIT_JOB_HIGH, f, '', 'x');
      const w = await worker(s, [f]);
      await grab(w);
      lose(w, 'disconnect', f);
      assert.equal((await c.expect(PacketType.WORK_FAIL)).body.toString('latin1'), h);
    });
  });
}
