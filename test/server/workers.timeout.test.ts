/**
 * CAN_DO_TIMEOUT (PROTOCOL.md §3.8; §6.3 item 10): a job running longer than its function's timeout
 * (milliseconds, at least 1000) is requeued, not failed. Gearman HQ keeps one timer per running job;
 * gearmand 1.1.20 keeps one per connection, re-armed at each assignment (issue #301).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  KINDS, PacketType, adminList, functionStatus, grab, grabNothing, servers, sleepingWorker, submit, sync, worker,
  type RawClient, type Scenario,
} from './harness.js';

async function timeoutWorker(s: Scenario, fn: string, timeout: string): Promise<RawClient> {
  const w = await s.connect();
  w.send(PacketType.CAN_DO_TIMEOUT, [fn, timeout]);
  await sync(w);
  return w;
}

for (const kind of KINDS) {
  describe(`${kind}: CAN_DO_TIMEOUT`, { timeout: 20000 }, () => {
    const { setup } = servers(kind);

    it('requeues a job after max(timeout, 1000) ms; the late result is refused', async (t) => {
      // Fresh server: gearmand's per-connection timer is fragile (issue #301).
      const s = await setup(t, { fresh: true });
      const f = s.fn();
      const c = await s.connect();
      const w1 = await timeoutWorker(s, f, '2');
      const w2 = await sleepingWorker(s, [f]);
      const h = await submit(c, PacketType.SUBMIT_JOB, f, '', 'slow');
      await w2.expect(PacketType.NOOP);
      await grab(w1);
      const assignedAt = Date.now();
      await grabNothing(w2); // a GRAB clears the outstanding NOOP
      w2.send(PacketType.PRE_SLEEP);
      await w2.expect(PacketType.NOOP, 3000);
      const waited = Date.now() - assignedAt;
      assert.ok(waited >= 900 && waited < 2500, `requeued after ${waited} ms`);
      assert.deepEqual(await grab(w2), [h, f, '', 'slow']);
      const admin = await s.connect();
      const line = (await adminList(admin, 'show jobs')).find((l) => l.startsWith(`${h}\t`));
      assert.equal(line?.split('\t')[1], '1', 'the timeout counts as a retry');
      w1.send(PacketType.WORK_COMPLETE, [h, 'too late']);
      assert.deepEqual((await w1.expect(PacketType.ERROR)).args, ['JOB_NOT_FOUND', 'Job given in work result not found']);
      assert.ok(await c.quiet(50), 'the client heard nothing of the timeout');
      w2.send(PacketType.WORK_COMPLETE, [h, 'in time']);
      assert.deepEqual((await c.expect(PacketType.WORK_COMPLETE)).args, [h, 'in time']);
    });

    it('difference: a job finished in time leaves no timer behind (gearmand: the stale timer fires)',
      async (t) => {
        const s = await setup(t, { fresh: true });
        const f = s.fn();
        const c = await s.connect();
        const w1 = await timeoutWorker(s, f, '1000');
        const w2 = await sleepingWorker(s, [f]);
        const h = await submit(c, PacketType.SUBMIT_JOB, f, '', 'quick');
        await w2.expect(PacketType.NOOP);
        await grab(w1);
        const assignedAt = Date.now();
        await grabNothing(w2);
        w2.send(PacketType.PRE_SLEEP);
        await sync(w2);
        w1.send(PacketType.WORK_COMPLETE, [h, 'done']);
        assert.deepEqual((await c.expect(PacketType.WORK_COMPLETE)).args, [h, 'done']);
        const admin = await s.connect();
        if (kind === 'gearhq') {
          // The worker stays awake and idle (no PRE_SLEEP): nothing may happen past the timeout.
          assert.ok(await w2.quiet(1300), `nothing was requeued: ${JSON.stringify(w2.pending())}`);
          assert.ok(await w1.quiet(0));
          assert.deepEqual(await functionStatus(admin, f), [0, 0, 2]);
          const h2 = await submit(c, PacketType.SUBMIT_JOB, f, '', 'next');
          await w2.expect(PacketType.NOOP);
          assert.equal((await grab(w1))[0], h2);
        } else {
          // Issue #301: the connection's timer outlives the job, wakes sleepers for nothing and
          // decrements the function's counters a second time (unsigned underflow).
          await w2.expect(PacketType.NOOP, 3000);
          const waited = Date.now() - assignedAt;
          assert.ok(waited >= 900, `stale timer fired ${waited} ms after the assignment`);
          await grabNothing(w2);
          assert.deepEqual(await functionStatus(admin, f), [4294967295, 4294967295, 2]);
        }
      });

    it('difference: times out each held job on its own clock (gearmand: one timer per connection)',
      async (t) => {
        const s = await setup(t, { fresh: true });
        const f = s.fn();
        const c = await s.connect();
        const a = await submit(c, PacketType.SUBMIT_JOB_BG, f, '', 'A');
        const b = await submit(c, PacketType.SUBMIT_JOB_BG, f, '', 'B');
        const w1 = await timeoutWorker(s, f, '1000');
        const w2 = await worker(s, [f]);
        assert.equal((await grab(w1))[0], a);
        const t0 = Date.now();
        await w1.quiet(500);
        assert.equal((await grab(w1))[0], b);
        w2.send(PacketType.PRE_SLEEP);
        await w2.expect(PacketType.NOOP, 3000);
        const first = Date.now() - t0;
        // Both servers requeue A first; gearmand only when the timer re-armed for B fires.
        assert.equal((await grab(w2))[0], a);
        w2.send(PacketType.PRE_SLEEP);
        if (kind === 'gearhq') {
          assert.ok(first >= 900 && first < 1400, `A requeued ${first} ms after its assignment`);
          await w2.expect(PacketType.NOOP, 3000);
          const second = Date.now() - t0;
          assert.ok(second >= 1400 && second < 2500, `B requeued ${second} ms after A's assignment`);
          assert.equal((await grab(w2))[0], b);
        } else {
          assert.ok(first >= 1400, `A requeued ${first} ms after its assignment`);
          assert.ok(await w2.quiet(1200), 'B is never timed out');
        }
      });
  });
}
