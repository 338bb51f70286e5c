/**
 * Queue and size limits (PROTOCOL.md §2 "Size limits", §3.11; §6.3 item 11) and malformed packets.
 * `maxqueue` behaves the same on both servers. Gearman HQ sets explicit limits (function ≤ 512 B,
 * unique ≤ 64 B, `--max-payload`) and answers oversized or malformed packets with ERROR, never
 * waiting past a packet's declared length; it closes the connection only when the stream can no
 * longer be trusted (README "Limits and bad input"). gearmand accepts long function names, waits
 * forever for a missing NUL and drops the connection silently when its 8 KiB buffer overflows.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { requestPacket } from '../support/raw-client.js';
import {
  KINDS, PacketType, functionStatus, grab, grabNothing, servers, submit, sync, worker, type RawClient,
} from './harness.js';

function header(type: number, length: number): Buffer {
  const h = Buffer.alloc(12);
  h.writeUInt32BE(0x00524551, 0);
  h.writeUInt32BE(type, 4);
  h.writeUInt32BE(length, 8);
  return h;
}

const FULL = ['QUEUE_ERROR', 'Job queue is full'];

/** Expects ERROR (with `code`, if given) promptly, then the connection to close (Gearman HQ's rule). */
async function errorThenClose(c: RawClient, code?: string): Promise<void> {
  const e = await c.expect(PacketType.ERROR, 1000);
  if (code !== undefined) assert.equal(e.args[0], code, `ERROR ${e.args.join(' ')}`);
  await c.waitClosed(1000).catch(() => {
    throw new Error(`connection still open after ERROR ${e.args.join(' ')}; later replies: ${JSON.stringify(c.pending().map((r) => r.name))}`);
  });
}

for (const kind of KINDS) {
  describe(`${kind}: limits`, { timeout: 20000 }, () => {
    const { setup } = servers(kind);

    it('maxqueue h n l limits each priority against the function\'s total job count', async (t) => {
      const s = await setup(t);
      const f = s.fn();
      const c = await s.connect();
      const admin = await s.connect();
      const first = await submit(c, PacketType.SUBMIT_JOB_BG, f, 'first', '1');
      for (let i = 2; i <= 4; i++) await submit(c, PacketType.SUBMIT_JOB_BG, f, '', String(i));
      assert.equal(await admin.admin(`maxqueue ${f} 0 5 1`), 'OK\r\n');
      c.send(PacketType.SUBMIT_JOB_LOW_BG, [f, '', 'low']);
      assert.deepEqual((await c.expect(PacketType.ERROR)).args, FULL, 'LOW: 4 jobs >= 1');
      await submit(c, PacketType.SUBMIT_JOB_BG, f, '', '5'); // NORMAL: 4 < 5
      c.send(PacketType.SUBMIT_JOB, [f, '', 'normal']);
      assert.deepEqual((await c.expect(PacketType.ERROR)).args, FULL, 'NORMAL: 5 jobs >= 5');
      await submit(c, PacketType.SUBMIT_JOB_HIGH_BG, f, '', 'high'); // HIGH: 0 = unlimited
      // A submission that coalesces creates nothing and is not refused.
      assert.equal(await submit(c, PacketType.SUBMIT_JOB_BG, f, 'first', '1'), first);
      assert.deepEqual(await functionStatus(admin, f), [6, 0, 0]);
      // Running jobs count too; finished ones free their place.
      const w = await worker(s, [f]);
      const [h1] = await grab(w);
      c.send(PacketType.SUBMIT_JOB_BG, [f, '', 'still full']);
      assert.deepEqual((await c.expect(PacketType.ERROR)).args, FULL);
      w.send(PacketType.WORK_COMPLETE, [h1!, '']);
      const [h2] = await grab(w);
      w.send(PacketType.WORK_COMPLETE, [h2!, '']);
      await sync(w);
      await submit(c, PacketType.SUBMIT_JOB_BG, f, '', 'room again'); // 4 < 5
    });

    it('maxqueue with one number limits all priorities, with two resets LOW, with none resets all',
      async (t) => {
        const s = await setup(t);
        const f = s.fn();
        const c = await s.connect();
        const admin = await s.connect();
        await submit(c, PacketType.SUBMIT_JOB_BG, f, '', '1');
        assert.equal(await admin.admin(`maxqueue ${f} 1`), 'OK\r\n');
        for (const type of [PacketType.SUBMIT_JOB_HIGH_BG, PacketType.SUBMIT_JOB_BG, PacketType.SUBMIT_JOB_LOW_BG]) {
          c.send(type, [f, '', 'x']);
          assert.deepEqual((await c.expect(PacketType.ERROR)).args, FULL);
        }
        assert.equal(await admin.admin(`maxqueue ${f} 1 1`), 'OK\r\n');
        c.send(PacketType.SUBMIT_JOB_HIGH, [f, '', 'x']);
        assert.deepEqual((await c.expect(PacketType.ERROR)).args, FULL);
        await submit(c, PacketType.SUBMIT_JOB_LOW_BG, f, '', 'low is unlimited again');
        assert.equal(await admin.admin(`maxqueue ${f}`), 'OK\r\n');
        await submit(c, PacketType.SUBMIT_JOB_HIGH_BG, f, '', 'all unlimited');
        await submit(c, PacketType.SUBMIT_JOB_BG, f, '', 'all unlimited');
      });

    it('maxqueue on a function that does not exist answers OK and changes nothing', async (t) => {
      const s = await setup(t);
      const f = s.fn();
      const admin = await s.connect();
      assert.equal(await admin.admin(`maxqueue ${f} 1`), 'OK\r\n');
      const c = await s.connect();
      await submit(c, PacketType.SUBMIT_JOB_BG, f, '', '1');
      await submit(c, PacketType.SUBMIT_JOB_BG, f, '', '2');
    });

    it('accepts a 512-byte function name', async (t) => {
      const s = await setup(t);
      const f = s.fn().padEnd(512, 'n');
      const c = await s.connect();
      const h = await submit(c, PacketType.SUBMIT_JOB_BG, f, '', 'x');
      const w = await worker(s, [f]);
      assert.deepEqual(await grab(w), [h, f, '', 'x']);
    });

    it('difference: refuses a 513-byte function name with ERROR ARGUMENT_TOO_LARGE, connection kept (gearmand accepts it)',
      async (t) => {
        const s = await setup(t);
        const f = s.fn().padEnd(513, 'n');
        const c = await s.connect();
        c.send(PacketType.SUBMIT_JOB_BG, [f, '', 'x']);
        if (kind === 'gearmand') {
          await c.expect(PacketType.JOB_CREATED);
          return;
        }
        assert.equal((await c.expect(PacketType.ERROR)).args[0], 'ARGUMENT_TOO_LARGE');
        const admin = await s.connect();
        assert.equal(await functionStatus(admin, f), undefined, 'no job, no function');
        c.send(PacketType.CAN_DO, [f]);
        assert.equal((await c.expect(PacketType.ERROR)).args[0], 'ARGUMENT_TOO_LARGE');
        // The packet was well framed: the connection goes on.
        await sync(c);
      });

    it('difference: a 10000-byte function name gets ERROR ARGUMENT_TOO_LARGE (gearmand: silent close)',
      async (t) => {
        const s = await setup(t);
        const other = await s.connect();
        const c = await s.connect();
        c.send(PacketType.SUBMIT_JOB_BG, ['f'.repeat(10000), '', 'x']);
        if (kind === 'gearmand') {
          await c.waitClosed();
          assert.equal(c.bytesReceived, 0);
        } else {
          assert.equal((await c.expect(PacketType.ERROR)).args[0], 'ARGUMENT_TOO_LARGE');
        }
        await sync(other);
      });

    it('difference: a declared 4 GiB body is refused at once with ERROR then close (gearmand waits for it)',
      async (t) => {
        const s = await setup(t);
        const other = await s.connect();
        const c = await s.connect();
        c.writeRaw(header(PacketType.SUBMIT_JOB, 0xfffffff0));
        if (kind === 'gearmand') {
          assert.ok(await c.quiet(300));
          assert.ok(!c.closed);
        } else {
          await errorThenClose(c, 'ARGUMENT_TOO_LARGE');
        }
        await sync(other);
      });

    it('difference: a packet missing its NUL separators gets ERROR INVALID_PACKET at once (gearmand waits for a NUL)',
      async (t) => {
        const s = await setup(t);
        const other = await s.connect();
        const c = await s.connect();
        c.writeRaw(Buffer.concat([header(PacketType.SUBMIT_JOB, 6), Buffer.from('fnonly')]));
        if (kind === 'gearmand') {
          assert.ok(await c.quiet(300));
          assert.ok(!c.closed, 'gearmand is still waiting for the separator');
        } else {
          assert.equal((await c.expect(PacketType.ERROR, 1000)).args[0], 'INVALID_PACKET');
        }
        await sync(other);
        const admin = await s.connect();
        assert.equal(await functionStatus(admin, 'fnonly'), undefined, 'no job was created');
      });

    it('difference: the packet after one missing its separators is answered on its own (gearmand reads into it and drops the connection)',
      async (t) => {
        const s = await setup(t);
        const other = await s.connect();
        const c = await s.connect();
        c.writeRaw(Buffer.concat([
          header(PacketType.SUBMIT_JOB, 6), Buffer.from('fnonly'),
          requestPacket(PacketType.ECHO_REQ, ['hi']),
        ]));
        if (kind === 'gearmand') {
          await c.waitClosed();
          assert.equal(c.bytesReceived, 0);
        } else {
          assert.equal((await c.expect(PacketType.ERROR)).args[0], 'INVALID_PACKET');
          assert.equal((await c.expect(PacketType.ECHO_RES)).args[0], 'hi');
        }
        await sync(other);
      });

    it('difference: --max-payload refuses a larger workload with ERROR ARGUMENT_TOO_LARGE (gearmand has no limit)',
      async (t) => {
        const s = await setup(t, { args: kind === 'gearhq' ? ['--max-payload', '1024'] : [] });
        const f = s.fn();
        const c = await s.connect();
        await submit(c, PacketType.SUBMIT_JOB_BG, f, '', 'x'.repeat(1000));
        c.send(PacketType.SUBMIT_JOB_BG, [f, '', 'x'.repeat(2000)]);
        if (kind === 'gearmand') {
          await c.expect(PacketType.JOB_CREATED);
          return;
        }
        assert.equal((await c.expect(PacketType.ERROR)).args[0], 'ARGUMENT_TOO_LARGE');
        const w = await worker(s, [f]);
        assert.equal((await grab(w))[3], 'x'.repeat(1000));
        await grabNothing(w);
        // A body far over the limit is not read at all: ERROR, then close.
        c.writeRaw(header(PacketType.SUBMIT_JOB_BG, 1024 * 1024));
        await errorThenClose(c, 'ARGUMENT_TOO_LARGE');
      });
  });
}
