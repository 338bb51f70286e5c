/**
 * OPTION_REQ and WORK_EXCEPTION delivery (PROTOCOL.md §2 OPTION_REQ, §3.4; §6.3 item 9). A client
 * without the exceptions option gets WORK_FAIL: Gearman HQ sends the bare handle, gearmand 1.1.20
 * sends `handle\0` (which hangs libgearman C clients).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { KINDS, PacketType, grab, servers, submit, worker } from './harness.js';

for (const kind of KINDS) {
  describe(`${kind}: exceptions`, { timeout: 20000 }, () => {
    const { setup } = servers(kind);

    it('answers OPTION_REQ exceptions with OPTION_RES echoing the name as sent', async (t) => {
      const s = await setup(t);
      const c = await s.connect();
      for (const name of ['exceptions', 'EXCEPTIONS', 'Exceptions']) {
        c.send(PacketType.OPTION_REQ, [name]);
        const r = await c.expect(PacketType.OPTION_RES);
        assert.equal(r.body.toString('latin1'), name);
      }
    });

    it('refuses unknown options with ERROR UNKNOWN_OPTION', async (t) => {
      const s = await setup(t);
      const c = await s.connect();
      for (const name of ['foo', '', 'exceptions'.padEnd(64, 'x')]) {
        c.send(PacketType.OPTION_REQ, [name]);
        assert.deepEqual((await c.expect(PacketType.ERROR)).args,
          ['UNKNOWN_OPTION', 'Server does not recognize given option'], JSON.stringify(name));
      }
    });

    it('forwards WORK_EXCEPTION to a client that asked for exceptions', async (t) => {
      const s = await setup(t);
      const f = s.fn();
      const c = await s.connect();
      c.send(PacketType.OPTION_REQ, ['exceptions']);
      await c.expect(PacketType.OPTION_RES);
      const h = await submit(c, PacketType.SUBMIT_JOB, f, '', 'x');
      const w = await worker(s, [f]);
      await grab(w);
      w.send(PacketType.WORK_EXCEPTION, [h, 'boom\0detail']);
      assert.deepEqual((await c.expect(PacketType.WORK_EXCEPTION)).body,
        Buffer.from(`${h}\0boom\0detail`, 'latin1'));
      const q = await s.connect();
      q.send(PacketType.GET_STATUS, [h]);
      assert.deepEqual((await q.expect(PacketType.STATUS_RES)).args, [h, '0', '0', '0', '0']);
    });

    it('with --exceptions forwards WORK_EXCEPTION to every client without asking', async (t) => {
      const s = await setup(t, { args: ['--exceptions'] });
      const f = s.fn();
      const c = await s.connect();
      const h = await submit(c, PacketType.SUBMIT_JOB, f, '', 'x');
      const w = await worker(s, [f]);
      await grab(w);
      w.send(PacketType.WORK_EXCEPTION, [h, 'boom']);
      assert.deepEqual((await c.expect(PacketType.WORK_EXCEPTION)).args, [h, 'boom']);
    });

    it('difference: converts WORK_EXCEPTION to WORK_FAIL with the bare handle (gearmand: handle\\0), per client',
      async (t) => {
        const s = await setup(t);
        const f = s.fn();
        const plain = await s.connect();
        const wants = await s.connect();
        wants.send(PacketType.OPTION_REQ, ['exceptions']);
        await wants.expect(PacketType.OPTION_RES);
        const h = await submit(plain, PacketType.SUBMIT_JOB, f, 'exc', 'x');
        assert.equal(await submit(wants, PacketType.SUBMIT_JOB, f, 'exc', 'x'), h);
        const w = await worker(s, [f]);
        await grab(w);
        w.send(PacketType.WORK_EXCEPTION, [h, 'boom']);
        assert.deepEqual((await wants.expect(PacketType.WORK_EXCEPTION)).args, [h, 'boom']);
        const fail = await plain.expect(PacketType.WORK_FAIL);
        const expected = kind === 'gearhq' ? h : `${h}\0`;
        assert.equal(fail.body.toString('latin1'), expected);
      });
  });
}
