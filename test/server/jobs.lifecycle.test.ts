/**
 * The job life cycle seen by clients and workers (PROTOCOL.md §3.3, §3.4, §3.12; §6.3 item 3):
 * JOB_CREATED handles, the three assignment packets, WORK_* forwarding, status queries.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  DEFAULT_HANDLE_PREFIX, KINDS, PacketType, grab, grabNothing, servers, submit, sync, worker,
} from './harness.js';

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

for (const kind of KINDS) {
  describe(`${kind}: jobs`, { timeout: 20000 }, () => {
    const { setup } = servers(kind);

    it('answers SUBMIT_JOB with JOB_CREATED H:<hostname>:<n>', async (t) => {
      const s = await setup(t);
      const c = await s.connect();
      c.send(PacketType.SUBMIT_JOB_BG, [s.fn(), '', 'test']);
      const r = await c.expect(PacketType.JOB_CREATED);
      assert.match(r.args[0]!, new RegExp(`^${escape(DEFAULT_HANDLE_PREFIX)}:\\d+$`));
      assert.equal(r.body.toString('latin1'), r.args[0], 'handle without trailing NUL');
      assert.equal(r.magic, 0x00524553);
    });

    it('numbers handles from 1 under --job-handle-prefix; coalesced submissions take no number',
      async (t) => {
        const s = await setup(t, { args: ['--job-handle-prefix', 'TEST'] });
        const c = await s.connect();
        const f = s.fn();
        assert.equal(await submit(c, PacketType.SUBMIT_JOB_BG, f, 'u1', 'a'), 'TEST:1');
        assert.equal(await submit(c, PacketType.SUBMIT_JOB_BG, f, 'u1', 'a'), 'TEST:1');
        assert.equal(await submit(c, PacketType.SUBMIT_JOB_BG, f, 'u2', 'b'), 'TEST:2');
        assert.equal(await submit(c, PacketType.SUBMIT_JOB, f, '', 'c'), 'TEST:3');
      });

    it('hands out a job with JOB_ASSIGN for GRAB_JOB, workload byte-exact', async (t) => {
      const s = await setup(t);
      const f = s.fn();
      const c = await s.connect();
      const h = await submit(c, PacketType.SUBMIT_JOB_BG, f, 'uniq', 'work\0load\0');
      const w = await worker(s, [f]);
      w.send(PacketType.GRAB_JOB);
      const a = await w.expect(PacketType.JOB_ASSIGN);
      assert.deepEqual(a.body, Buffer.from(`${h}\0${f}\0work\0load\0`, 'latin1'));
    });

    it('hands out a job with JOB_ASSIGN_UNIQ for GRAB_JOB_UNIQ', async (t) => {
      const s = await setup(t);
      const f = s.fn();
      const c = await s.connect();
      const h = await submit(c, PacketType.SUBMIT_JOB_BG, f, 'the-unique', 'data');
      const w = await worker(s, [f]);
      w.send(PacketType.GRAB_JOB_UNIQ);
      const a = await w.expect(PacketType.JOB_ASSIGN_UNIQ);
      assert.deepEqual(a.body, Buffer.from(`${h}\0${f}\0the-unique\0data`, 'latin1'));
    });

    it('answers GRAB_JOB_ALL with JOB_ASSIGN_UNIQ, or JOB_ASSIGN_ALL when the job has a reducer',
      async (t) => {
        const s = await setup(t);
        const f = s.fn();
        const c = await s.connect();
        const plain = await submit(c, PacketType.SUBMIT_JOB_BG, f, 'p', 'plain');
        c.send(PacketType.SUBMIT_REDUCE_JOB, [f, 'r', 'reducer-fn', 'aggregator', 'mapped']);
        const reduced = (await c.expect(PacketType.JOB_CREATED)).args[0]!;
        const w = await worker(s, [f]);
        w.send(PacketType.GRAB_JOB_ALL);
        assert.deepEqual((await w.expect(PacketType.JOB_ASSIGN_UNIQ)).args, [plain, f, 'p', 'plain']);
        w.send(PacketType.GRAB_JOB_ALL);
        assert.deepEqual((await w.expect(PacketType.JOB_ASSIGN_ALL)).args,
          [reduced, f, 'r', 'reducer-fn', 'mapped']);
        w.send(PacketType.GRAB_JOB_ALL);
        await w.expect(PacketType.NO_JOB);
      });

    it('answers NO_JOB to a worker with no registrations or nothing queued', async (t) => {
      const s = await setup(t);
      const idle = await s.connect();
      idle.send(PacketType.GRAB_JOB);
      await idle.expect(PacketType.NO_JOB);
      const w = await worker(s, [s.fn()]);
      w.send(PacketType.GRAB_JOB);
      await w.expect(PacketType.NO_JOB);
      await grabNothing(w);
    });

    it('forwards WORK_DATA, WORK_WARNING, WORK_STATUS and WORK_COMPLETE byte-exact', async (t) => {
      const s = await setup(t);
      const f = s.fn();
      const c = await s.connect();
      const h = await submit(c, PacketType.SUBMIT_JOB, f, '', 'in');
      const w = await worker(s, [f]);
      await grab(w);
      w.send(PacketType.WORK_DATA, [h, 'da\0ta']);
      w.send(PacketType.WORK_WARNING, [h, 'warn\0']);
      w.send(PacketType.WORK_STATUS, [h, '1', '4']);
      w.send(PacketType.WORK_COMPLETE, [h, 'res\0ult']);
      assert.deepEqual((await c.expect(PacketType.WORK_DATA)).body, Buffer.from(`${h}\0da\0ta`, 'latin1'));
      assert.deepEqual((await c.expect(PacketType.WORK_WARNING)).body, Buffer.from(`${h}\0warn\0`, 'latin1'));
      assert.deepEqual((await c.expect(PacketType.WORK_STATUS)).body, Buffer.from(`${h}\x001\x004`, 'latin1'));
      assert.deepEqual((await c.expect(PacketType.WORK_COMPLETE)).body, Buffer.from(`${h}\0res\0ult`, 'latin1'));
      // The worker got no reply to any of it.
      await sync(w);
    });

    it('forwards WORK_FAIL with the bare handle', async (t) => {
      const s = await setup(t);
      const f = s.fn();
      const c = await s.connect();
      const h = await submit(c, PacketType.SUBMIT_JOB_LOW, f, '', 'in');
      const w = await worker(s, [f]);
      await grab(w);
      w.send(PacketType.WORK_FAIL, [h]);
      assert.equal((await c.expect(PacketType.WORK_FAIL)).body.toString('latin1'), h);
    });

    it('reports GET_STATUS before, while and after running', async (t) => {
      const s = await setup(t);
      const f = s.fn();
      const c = await s.connect();
      const h = await submit(c, PacketType.SUBMIT_JOB_BG, f, '', 'x');
      const q = await s.connect();
      q.send(PacketType.GET_STATUS, [h]);
      assert.deepEqual((await q.expect(PacketType.STATUS_RES)).args, [h, '1', '0', '0', '0']);
      const w = await worker(s, [f]);
      await grab(w);
      q.send(PacketType.GET_STATUS, [h]);
      assert.deepEqual((await q.expect(PacketType.STATUS_RES)).args, [h, '1', '1', '0', '0']);
      w.send(PacketType.WORK_STATUS, [h, '3', '10']);
      await sync(w);
      q.send(PacketType.GET_STATUS, [h]);
      assert.deepEqual((await q.expect(PacketType.STATUS_RES)).args, [h, '1', '1', '3', '10']);
      w.send(PacketType.WORK_COMPLETE, [h, 'done']);
      await sync(w);
      q.send(PacketType.GET_STATUS, [h]);
      const after = await q.expect(PacketType.STATUS_RES);
      assert.deepEqual(after.body, Buffer.from(`${h}\x000\x000\x000\x000`, 'latin1'));
      // The background submitter was told nothing.
      assert.ok(await c.quiet(100));
    });

    it('echoes an unknown handle in STATUS_RES with zeros', async (t) => {
      const s = await setup(t);
      const q = await s.connect();
      q.send(PacketType.GET_STATUS, ['H:nowhere:999']);
      assert.deepEqual((await q.expect(PacketType.STATUS_RES)).args, ['H:nowhere:999', '0', '0', '0', '0']);
    });

    it('forwards WORK_STATUS numbers as sent but stores them as integers', async (t) => {
      const s = await setup(t);
      const f = s.fn();
      const c = await s.connect();
      const h = await submit(c, PacketType.SUBMIT_JOB, f, '', 'x');
      const w = await worker(s, [f]);
      await grab(w);
      w.send(PacketType.WORK_STATUS, [h, '7abc', 'x']);
      assert.deepEqual((await c.expect(PacketType.WORK_STATUS)).args, [h, '7abc', 'x']);
      const q = await s.connect();
      q.send(PacketType.GET_STATUS, [h]);
      assert.deepEqual((await q.expect(PacketType.STATUS_RES)).args, [h, '1', '1', '7', '0']);
    });

    it('reports GET_STATUS_UNIQUE with the number of waiting clients', async (t) => {
      const s = await setup(t);
      const f = s.fn();
      const u = `${f}-unique`;
      const c1 = await s.connect();
      const c2 = await s.connect();
      const h = await submit(c1, PacketType.SUBMIT_JOB, f, u, 'x');
      assert.equal(await submit(c2, PacketType.SUBMIT_JOB, f, u, 'x'), h);
      const q = await s.connect();
      q.send(PacketType.GET_STATUS_UNIQUE, [u]);
      assert.deepEqual((await q.expect(PacketType.STATUS_RES_UNIQUE)).args, [u, '1', '0', '0', '0', '2']);
      const w = await worker(s, [f]);
      await grab(w);
      w.send(PacketType.WORK_STATUS, [h, '2', '3']);
      await sync(w);
      q.send(PacketType.GET_STATUS_UNIQUE, [u]);
      assert.deepEqual((await q.expect(PacketType.STATUS_RES_UNIQUE)).args, [u, '1', '1', '2', '3', '2']);
      w.send(PacketType.WORK_COMPLETE, [h, '']);
      await c1.expect(PacketType.WORK_STATUS);
      await c1.expect(PacketType.WORK_COMPLETE);
      q.send(PacketType.GET_STATUS_UNIQUE, [u]);
      assert.deepEqual((await q.expect(PacketType.STATUS_RES_UNIQUE)).args, [u, '0', '0', '0', '0', '0']);
    });

    it('tells background submitters nothing but JOB_CREATED, for every background type', async (t) => {
      const s = await setup(t);
      const f = s.fn();
      const c = await s.connect();
      const handles = [
        await submit(c, PacketType.SUBMIT_JOB_BG, f, '', '1'),
        await submit(c, PacketType.SUBMIT_JOB_HIGH_BG, f, '', '2'),
        await submit(c, PacketType.SUBMIT_JOB_LOW_BG, f, '', '3'),
      ];
      c.send(PacketType.SUBMIT_REDUCE_JOB_BACKGROUND, [f, '', 'red', 'agg', '4']);
      handles.push((await c.expect(PacketType.JOB_CREATED)).args[0]!);
      assert.equal(new Set(handles).size, 4);
      const w = await worker(s, [f]);
      for (let i = 0; i < 4; i++) {
        const [h] = await grab(w);
        w.send(PacketType.WORK_DATA, [h!, 'd']);
        w.send(PacketType.WORK_COMPLETE, [h!, 'r']);
      }
      await sync(w);
      assert.ok(await c.quiet(150), `background submitter got ${JSON.stringify(c.pending())}`);
    });

    it('refuses WORK_* from a connection that does not hold the job, with per-packet texts',
      async (t) => {
        const s = await setup(t);
        const f = s.fn();
        const c = await s.connect();
        const h = await submit(c, PacketType.SUBMIT_JOB, f, '', 'x');
        const holder = await worker(s, [f]);
        await grab(holder);
        const other = await worker(s, [f]);
        const cases: [number, (string | Buffer)[], string][] = [
          [PacketType.WORK_STATUS, [h, '1', '2'], 'Job given in work result not found'],
          [PacketType.WORK_COMPLETE, [h, 'r'], 'Job given in work result not found'],
          [PacketType.WORK_FAIL, [h], 'Job given in work result not found'],
          [PacketType.WORK_DATA, [h, 'd'], 'Job does not exist on server'],
          [PacketType.WORK_WARNING, [h, 'w'], 'Job does not exist on server'],
          [PacketType.WORK_EXCEPTION, [h, 'e'], 'An exception was received for a job that does not exist'],
        ];
        for (const [type, args, text] of cases) {
          other.send(type, args);
          assert.deepEqual((await other.expect(PacketType.ERROR)).args, ['JOB_NOT_FOUND', text]);
        }
        // Nothing reached the client, and the real holder can still finish.
        assert.ok(await c.quiet(50));
        holder.send(PacketType.WORK_COMPLETE, [h, 'ok']);
        assert.deepEqual((await c.expect(PacketType.WORK_COMPLETE)).args, [h, 'ok']);
        // Unknown handles get the same answer.
        other.send(PacketType.WORK_COMPLETE, ['H:nowhere:1', 'r']);
        assert.deepEqual((await other.expect(PacketType.ERROR)).args,
          ['JOB_NOT_FOUND', 'Job given in work result not found']);
      });
  });
}
