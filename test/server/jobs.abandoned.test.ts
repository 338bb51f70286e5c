/**
 * Foreground clients that leave (PROTOCOL.md §3.5; §6.3 item 8): an abandoned queued job is never
 * assigned. Gearman HQ drops it at once (gearmand keeps counting it until a worker polls) and keeps
 * any job a background submission still needs (gearmand drops it).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  KINDS, PacketType, adminList, eventually, functionStatus, grab, grabNothing, servers, submit, sync,
  worker, type RawClient,
} from './harness.js';

/** Waits until the server has noticed that `gone` (already closed) disconnected. */
async function disconnectSeen(admin: RawClient, connectionsBefore: number): Promise<void> {
  const seen = await eventually(async () => (await adminList(admin, 'workers')).length < connectionsBefore);
  assert.ok(seen, 'the server noticed the disconnect');
}

for (const kind of KINDS) {
  describe(`${kind}: client disconnect`, { timeout: 20000 }, () => {
    const { setup } = servers(kind);

    it('never assigns a queued job whose only client disconnected', async (t) => {
      const s = await setup(t);
      const f = s.fn();
      const admin = await s.connect();
      const c = await s.connect();
      const h = await submit(c, PacketType.SUBMIT_JOB, f, 'gone', 'x');
      const before = (await adminList(admin, 'workers')).length;
      c.close();
      await disconnectSeen(admin, before);
      const w = await worker(s, [f]);
      await grabNothing(w);
      const q = await s.connect();
      q.send(PacketType.GET_STATUS, [h]);
      assert.deepEqual((await q.expect(PacketType.STATUS_RES)).args, [h, '0', '0', '0', '0']);
    });

    it('difference: drops an abandoned job from status at once (gearmand: when a worker polls)', async (t) => {
      const s = await setup(t);
      const f = s.fn();
      const admin = await s.connect();
      const c = await s.connect();
      await submit(c, PacketType.SUBMIT_JOB, f, '', 'x');
      assert.deepEqual(await functionStatus(admin, f), [1, 0, 0]);
      const before = (await adminList(admin, 'workers')).length;
      c.close();
      await disconnectSeen(admin, before);
      if (kind === 'gearhq') {
        assert.ok(await eventually(async () => (await functionStatus(admin, f))?.[0] === 0),
          `status still counts the job: ${JSON.stringify(await functionStatus(admin, f))}`);
        assert.deepEqual(await functionStatus(admin, f), [0, 0, 0]);
      } else {
        assert.deepEqual(await functionStatus(admin, f), [1, 0, 0]);
        await grabNothing(await worker(s, [f]));
        assert.deepEqual(await functionStatus(admin, f), [0, 0, 1]);
      }
    });

    it('lets a running job whose client left finish quietly', async (t) => {
      const s = await setup(t);
      const f = s.fn();
      const c = await s.connect();
      const h = await submit(c, PacketType.SUBMIT_JOB, f, '', 'x');
      const w = await worker(s, [f]);
      await grab(w);
      c.close();
      w.send(PacketType.WORK_DATA, [h, 'd']);
      w.send(PacketType.WORK_COMPLETE, [h, 'r']);
      await sync(w); // no ERROR before the echo
      const q = await s.connect();
      q.send(PacketType.GET_STATUS, [h]);
      assert.deepEqual((await q.expect(PacketType.STATUS_RES)).args, [h, '0', '0', '0', '0']);
    });

    it('keeps a job while another foreground client still waits for it', async (t) => {
      const s = await setup(t);
      const f = s.fn();
      const admin = await s.connect();
      const leaver = await s.connect();
      const stayer = await s.connect();
      const h = await submit(leaver, PacketType.SUBMIT_JOB, f, 'both', 'x');
      assert.equal(await submit(stayer, PacketType.SUBMIT_JOB, f, 'both', 'x'), h);
      const before = (await adminList(admin, 'workers')).length;
      leaver.close();
      await disconnectSeen(admin, before);
      const w = await worker(s, [f]);
      assert.equal((await grab(w))[0], h);
      w.send(PacketType.WORK_COMPLETE, [h, 'r']);
      assert.deepEqual((await stayer.expect(PacketType.WORK_COMPLETE)).args, [h, 'r']);
    });

    for (const order of ['background first', 'foreground first'] as const) {
      it(`difference: keeps a job a background submission shares (${order}) when the foreground client leaves (gearmand drops it)`,
        async (t) => {
          const s = await setup(t);
          const f = s.fn();
          const admin = await s.connect();
          const fg = await s.connect();
          const bg = await s.connect();
          let h: string;
          if (order === 'background first') {
            h = await submit(bg, PacketType.SUBMIT_JOB_BG, f, 'shared', 'x');
            assert.equal(await submit(fg, PacketType.SUBMIT_JOB, f, 'shared', 'x'), h);
          } else {
            h = await submit(fg, PacketType.SUBMIT_JOB, f, 'shared', 'x');
            assert.equal(await submit(bg, PacketType.SUBMIT_JOB_BG, f, 'shared', 'x'), h);
          }
          const before = (await adminList(admin, 'workers')).length;
          fg.close();
          await disconnectSeen(admin, before);
          const w = await worker(s, [f]);
          if (kind === 'gearhq') {
            assert.deepEqual(await grab(w), [h, f, 'shared', 'x']);
          } else {
            await grabNothing(w);
          }
        });
    }
  });
}
