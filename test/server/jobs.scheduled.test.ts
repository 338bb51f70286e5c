/**
 * Scheduled jobs (PROTOCOL.md §3.9; §6.3 item 12). Both servers hold a SUBMIT_JOB_EPOCH job until
 * its time. Gearman HQ wakes sleeping workers when it becomes due and never lets it block other
 * jobs, and accepts SUBMIT_JOB_SCHED; gearmand 1.1.20 does neither.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  KINDS, PacketType, adminList, functionStatus, grab, grabNothing, servers, submit, sync, worker,
} from './harness.js';

/** Seconds since the epoch, `ahead` whole seconds from now (due within (ahead-1, ahead] s). */
function epochIn(ahead: number): number {
  return Math.floor(Date.now() / 1000) + ahead;
}

for (const kind of KINDS) {
  describe(`${kind}: scheduled jobs`, { timeout: 20000 }, () => {
    const { setup } = servers(kind);

    it('runs an epoch job at once when its time is past, zero or not a number', async (t) => {
      const s = await setup(t);
      const f = s.fn();
      const c = await s.connect();
      const handles: string[] = [];
      for (const when of [String(epochIn(-10)), '0', 'soon']) {
        c.send(PacketType.SUBMIT_JOB_EPOCH, [f, '', when, `at ${when}`]);
        handles.push((await c.expect(PacketType.JOB_CREATED)).args[0]!);
      }
      const w = await worker(s, [f]);
      for (const h of handles) assert.equal((await grab(w))[0], h);
      // Epoch jobs are background jobs: the submitter hears nothing.
      assert.ok(await c.quiet(50));
    });

    it('difference: holds a future epoch job, then wakes the sleeping worker when due (gearmand never wakes it)',
      async (t) => {
        const s = await setup(t);
        const f = s.fn();
        const c = await s.connect();
        const when = epochIn(2);
        c.send(PacketType.SUBMIT_JOB_EPOCH, [f, 'later', String(when), 'payload']);
        const h = (await c.expect(PacketType.JOB_CREATED)).args[0]!;
        const admin = await s.connect();
        assert.deepEqual(await functionStatus(admin, f), [1, 0, 0]);
        assert.ok((await adminList(admin, 'prioritystatus')).includes(`${f}\t0\t1\t0\t0`),
          'queued at NORMAL priority');
        const w = await worker(s, [f]);
        await grabNothing(w);
        w.send(PacketType.PRE_SLEEP);
        await sync(w); // no NOOP before the echo: nothing is runnable yet
        if (kind === 'gearhq') {
          await w.expect(PacketType.NOOP, 3500);
          assert.ok(Date.now() >= when * 1000 - 50, `woken ${when * 1000 - Date.now()} ms early`);
          assert.deepEqual(await grab(w), [h, f, 'later', 'payload']);
        } else {
          assert.ok(await w.quiet(when * 1000 - Date.now() + 1000), 'gearmand sends no NOOP when the job is due');
          // It is runnable; only a worker that polls finds it.
          assert.deepEqual(await grab(w), [h, f, 'later', 'payload']);
        }
      });

    it('difference: a future epoch job does not block a LOW job of the same function (gearmand: NO_JOB)',
      async (t) => {
        const s = await setup(t);
        const f = s.fn();
        const c = await s.connect();
        c.send(PacketType.SUBMIT_JOB_EPOCH, [f, '', String(epochIn(3600)), 'next hour']);
        await c.expect(PacketType.JOB_CREATED);
        const low = await submit(c, PacketType.SUBMIT_JOB_LOW_BG, f, '', 'low');
        const w = await worker(s, [f]);
        if (kind === 'gearhq') {
          assert.equal((await grab(w))[0], low);
          await grabNothing(w);
        } else {
          await grabNothing(w);
          // ...while PRE_SLEEP sees the LOW job and answers NOOP at once: a busy loop.
          w.send(PacketType.PRE_SLEEP);
          await w.expect(PacketType.NOOP);
        }
      });

    it('difference: accepts SUBMIT_JOB_SCHED and holds the job until its time (gearmand: ERROR INVALID_COMMAND)',
      async (t) => {
        const s = await setup(t);
        const f = s.fn();
        const c = await s.connect();
        // 17 minutes ahead in any time zone (offsets are multiples of 15 minutes).
        const minute = String((new Date().getUTCMinutes() + 17) % 60);
        c.send(PacketType.SUBMIT_JOB_SCHED, [f, 'cron', minute, '', '', '', '', 'payload']);
        if (kind === 'gearmand') {
          assert.deepEqual((await c.expect(PacketType.ERROR)).args, ['INVALID_COMMAND', 'Command not expected']);
          const admin = await s.connect();
          assert.equal(await functionStatus(admin, f), undefined, 'no job was created');
          return;
        }
        const h = (await c.expect(PacketType.JOB_CREATED)).args[0]!;
        c.send(PacketType.GET_STATUS, [h]);
        assert.deepEqual((await c.expect(PacketType.STATUS_RES)).args, [h, '1', '0', '0', '0']);
        const w = await worker(s, [f]);
        await grabNothing(w);
      });

    it('difference: an out-of-range epoch gets ERROR and creates nothing (gearmand drops the connection)',
      async (t) => {
        const s = await setup(t);
        const f = s.fn();
        const c = await s.connect();
        c.send(PacketType.SUBMIT_JOB_EPOCH, [f, '', '9'.repeat(23), 'x']);
        if (kind === 'gearmand') {
          await c.waitClosed();
          assert.equal(c.bytesReceived, 0);
        } else {
          await c.expect(PacketType.ERROR);
          await grabNothing(await worker(s, [f]));
        }
      });
  });
}
