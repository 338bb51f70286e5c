/**
 * Coalescing by unique id (PROTOCOL.md §3.2; §6.3 items 4 and 11): which submissions share a job,
 * who hears its results, and where the unique length limits lie.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { KINDS, PacketType, grab, grabNothing, servers, submit, sync, worker } from './harness.js';

for (const kind of KINDS) {
  describe(`${kind}: coalescing`, { timeout: 20000 }, () => {
    const { setup } = servers(kind);

    it('gives the same unique the same handle across priorities; every foreground client hears the results',
      async (t) => {
        const s = await setup(t);
        const f = s.fn();
        const normal = await s.connect();
        const high = await s.connect();
        const bg = await s.connect();
        const h = await submit(normal, PacketType.SUBMIT_JOB, f, 'u1', 'payload');
        assert.equal(await submit(high, PacketType.SUBMIT_JOB_HIGH, f, 'u1', 'other payload'), h);
        assert.equal(await submit(bg, PacketType.SUBMIT_JOB_BG, f, 'u1', 'payload'), h);
        const w = await worker(s, [f]);
        // One job, with the first submission's workload.
        assert.deepEqual(await grab(w), [h, f, 'u1', 'payload']);
        await grabNothing(w);
        w.send(PacketType.WORK_DATA, [h, 'part']);
        w.send(PacketType.WORK_COMPLETE, [h, 'done']);
        for (const c of [normal, high]) {
          assert.deepEqual((await c.expect(PacketType.WORK_DATA)).args, [h, 'part']);
          assert.deepEqual((await c.expect(PacketType.WORK_COMPLETE)).args, [h, 'done']);
        }
        assert.ok(await bg.quiet(100), 'the background duplicate hears nothing');
      });

    it('coalesces onto a running job until it finishes, then starts a new one', async (t) => {
      const s = await setup(t);
      const f = s.fn();
      const first = await s.connect();
      const late = await s.connect();
      const h = await submit(first, PacketType.SUBMIT_JOB, f, 'run', 'x');
      const w = await worker(s, [f]);
      await grab(w);
      assert.equal(await submit(late, PacketType.SUBMIT_JOB, f, 'run', 'x'), h);
      w.send(PacketType.WORK_COMPLETE, [h, 'r']);
      assert.deepEqual((await late.expect(PacketType.WORK_COMPLETE)).args, [h, 'r']);
      await first.expect(PacketType.WORK_COMPLETE);
      const again = await submit(late, PacketType.SUBMIT_JOB, f, 'run', 'x');
      assert.notEqual(again, h);
    });

    it('keeps the same unique under another function a separate job', async (t) => {
      const s = await setup(t);
      const c = await s.connect();
      const h1 = await submit(c, PacketType.SUBMIT_JOB_BG, s.fn(), 'shared', 'x');
      const h2 = await submit(c, PacketType.SUBMIT_JOB_BG, s.fn(), 'shared', 'x');
      assert.notEqual(h1, h2);
    });

    it('never coalesces an empty unique', async (t) => {
      const s = await setup(t);
      const f = s.fn();
      const c = await s.connect();
      const h1 = await submit(c, PacketType.SUBMIT_JOB_BG, f, '', 'same');
      const h2 = await submit(c, PacketType.SUBMIT_JOB_BG, f, '', 'same');
      assert.notEqual(h1, h2);
    });

    it('coalesces unique "-" by workload: same workload shares, different or empty does not', async (t) => {
      const s = await setup(t);
      const f = s.fn();
      const c = await s.connect();
      const a = await submit(c, PacketType.SUBMIT_JOB_BG, f, '-', 'body');
      assert.equal(await submit(c, PacketType.SUBMIT_JOB_BG, f, '-', 'body'), a);
      const b = await submit(c, PacketType.SUBMIT_JOB_BG, f, '-', 'other');
      assert.notEqual(b, a);
      const e1 = await submit(c, PacketType.SUBMIT_JOB_BG, f, '-', '');
      const e2 = await submit(c, PacketType.SUBMIT_JOB_BG, f, '-', '');
      assert.notEqual(e1, e2);
      // Under another function the same workload is another job.
      assert.notEqual(await submit(c, PacketType.SUBMIT_JOB_BG, s.fn(), '-', 'body'), a);
      // The stored unique is the literal "-".
      const w = await worker(s, [f]);
      assert.deepEqual(await grab(w), [a, f, '-', 'body']);
    });

    it('coalesces a 63-byte unique and hands it out whole', async (t) => {
      const s = await setup(t);
      const f = s.fn();
      const u = 'u'.repeat(63);
      const c = await s.connect();
      const h = await submit(c, PacketType.SUBMIT_JOB_BG, f, u, 'x');
      assert.equal(await submit(c, PacketType.SUBMIT_JOB_BG, f, u, 'x'), h);
      const q = await s.connect();
      q.send(PacketType.GET_STATUS_UNIQUE, [u]);
      assert.deepEqual((await q.expect(PacketType.STATUS_RES_UNIQUE)).args, [u, '1', '0', '0', '0', '0']);
      const w = await worker(s, [f]);
      assert.deepEqual(await grab(w), [h, f, u, 'x']);
    });

    it('refuses a 65-byte unique with ERROR ARGUMENT_TOO_LARGE and creates no job', async (t) => {
      const s = await setup(t);
      const f = s.fn();
      const c = await s.connect();
      for (const type of [PacketType.SUBMIT_JOB, PacketType.SUBMIT_JOB_BG, PacketType.SUBMIT_JOB_LOW_BG]) {
        c.send(type, [f, 'u'.repeat(65), 'x']);
        assert.deepEqual((await c.expect(PacketType.ERROR)).args, ['ARGUMENT_TOO_LARGE', 'Unique value too large']);
      }
      const w = await worker(s, [f]);
      await grabNothing(w);
    });

    it('difference: a 64-byte unique is kept whole and coalesces (gearmand truncates it to 63)',
      async (t) => {
        const s = await setup(t);
        const f = s.fn();
        const u = 'v'.repeat(64);
        const c = await s.connect();
        const h = await submit(c, PacketType.SUBMIT_JOB_BG, f, u, 'x');
        const h2 = await submit(c, PacketType.SUBMIT_JOB_BG, f, u, 'x');
        const w = await worker(s, [f]);
        if (kind === 'gearhq') {
          assert.equal(h2, h);
          assert.deepEqual(await grab(w), [h, f, u, 'x']);
          await grabNothing(w);
        } else {
          assert.notEqual(h2, h);
          // Truncated to 63 bytes, and the assignment carries the C string's terminator as well,
          // so a client splitting on NULs sees the workload with a leading NUL.
          w.send(PacketType.GRAB_JOB_UNIQ);
          const a = await w.expect(PacketType.JOB_ASSIGN_UNIQ);
          assert.deepEqual(a.body, Buffer.from(`${h}\0${f}\0${u.slice(0, 63)}\0\0x`, 'latin1'));
        }
        await sync(c);
      });
  });
}
