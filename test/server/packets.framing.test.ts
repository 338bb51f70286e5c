/**
 * Framing over real sockets (PROTOCOL.md §1, §6.3 items 1–2): echo, arbitrary chunking, several
 * packets per write, magic and type validation, server-only packet types, mixed text and binary.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PACKETS } from '../../src/protocol/packets.js';
import { requestPacket, type RawClient } from '../support/raw-client.js';
import { KINDS, PacketType, pause, servers, sync } from './harness.js';

function header(magic: number, type: number, length: number): Buffer {
  const h = Buffer.alloc(12);
  h.writeUInt32BE(magic, 0);
  h.writeUInt32BE(type, 4);
  h.writeUInt32BE(length, 8);
  return h;
}

const RES = 0x00524553;

for (const kind of KINDS) {
  describe(`${kind}: framing`, { timeout: 30000 }, () => {
    const { setup } = servers(kind);

    it('echoes a body with NUL bytes exactly, with \\0RES magic', async (t) => {
      const s = await setup(t);
      const c = await s.connect();
      const body = Buffer.from('a\0b\0\0c\0', 'latin1');
      c.send(PacketType.ECHO_REQ, [body]);
      const r = await c.expect(PacketType.ECHO_RES);
      assert.deepEqual(r.body, body);
      assert.equal(r.magic, RES);
    });

    it('echoes an empty body', async (t) => {
      const s = await setup(t);
      const c = await s.connect();
      c.send(PacketType.ECHO_REQ, ['']);
      const r = await c.expect(PacketType.ECHO_RES);
      assert.equal(r.body.length, 0);
    });

    it('reassembles a packet delivered one byte per write', async (t) => {
      const s = await setup(t);
      const c = await s.connect();
      const packet = requestPacket(PacketType.ECHO_REQ, ['byte\0by byte']);
      for (const byte of packet) {
        c.writeRaw(Buffer.from([byte]));
        await pause(2);
      }
      const r = await c.expect(PacketType.ECHO_RES);
      assert.equal(r.body.toString('latin1'), 'byte\0by byte');
    });

    it('answers two packets written at once, in order', async (t) => {
      const s = await setup(t);
      const c = await s.connect();
      c.writeRaw(Buffer.concat([
        requestPacket(PacketType.ECHO_REQ, ['first']),
        requestPacket(PacketType.ECHO_REQ, ['second']),
      ]));
      assert.equal((await c.expect(PacketType.ECHO_RES)).args[0], 'first');
      assert.equal((await c.expect(PacketType.ECHO_RES)).args[0], 'second');
    });

    it('answers text and binary requests mixed on one connection and in one write', async (t) => {
      const s = await setup(t);
      const c = await s.connect();
      const v1 = await c.admin('version');
      assert.match(v1, /^OK \S.*\n$/);
      await sync(c);
      const v2 = await c.admin('version');
      assert.equal(v2, v1);
      // A text line and an echo in the same write: the text reply comes first.
      c.writeRaw(Buffer.concat([Buffer.from('version\n'), requestPacket(PacketType.ECHO_REQ, ['after'])]));
      assert.equal((await c.expect(PacketType.ECHO_RES)).args[0], 'after');
      assert.equal(c.pendingText(), v1);
    });

    it('echoes a 64 MiB body', { timeout: 30000 }, async (t) => {
      const s = await setup(t);
      const c = await s.connect();
      const body = Buffer.alloc(64 * 1024 * 1024);
      for (let i = 0; i < body.length; i += 4096) body.writeUInt32BE(i, i);
      c.send(PacketType.ECHO_REQ, [body]);
      const r = await c.expect(PacketType.ECHO_RES, 25000);
      assert.equal(r.body.length, body.length);
      assert.ok(r.body.equals(body), 'echoed body differs');
      // The connection is still usable afterwards.
      await sync(c);
    });

    it('closes the connection silently on bad magic', async (t) => {
      const s = await setup(t);
      const c = await s.connect();
      c.writeRaw(Buffer.concat([header(0x00524558, PacketType.ECHO_REQ, 2), Buffer.from('hi')]));
      await c.waitClosed();
      assert.equal(c.bytesReceived, 0);
    });

    /** gearmand closes silently; Gearman HQ says ERROR INVALID_COMMAND first (README). */
    async function assertClosedForType(c: RawClient): Promise<void> {
      await c.waitClosed();
      if (kind === 'gearmand') {
        assert.equal(c.bytesReceived, 0, `gearmand closes silently: ${JSON.stringify(c.pending())}`);
      } else {
        const got = c.pending();
        assert.ok(got.length === 1 && got[0]!.type === PacketType.ERROR && got[0]!.args[0] === 'INVALID_COMMAND',
          `one ERROR INVALID_COMMAND before closing: ${JSON.stringify(got.map((r) => [r.name, ...r.args]))}`);
      }
    }

    for (const type of [0, 43, 1000, 0x7fffffff]) {
      it(`difference: closes the connection on packet type ${type} (gearhq sends ERROR INVALID_COMMAND first)`, async (t) => {
        const s = await setup(t);
        const c = await s.connect();
        c.writeRaw(header(0x00524551, type, 0));
        await assertClosedForType(c);
      });
    }

    it('difference: packet types from 2^31 up close only that connection (gearmand 1.1.20 crashes)',
      async (t) => {
        const s = await setup(t, { fresh: true });
        const c = await s.connect();
        c.writeRaw(header(0x00524551, 0xffffffff, 0));
        await assertClosedForType(c);
        if (kind === 'gearmand') {
          // The type is used as a signed array index: SIGSEGV, caught, exit status 1.
          await new Promise<void>((resolve) => {
            if (s.server.process.exitCode !== null) resolve();
            else s.server.process.once('exit', () => resolve());
          });
          assert.equal(s.server.process.exitCode, 1);
        } else {
          await sync(await s.connect());
        }
      });

    it('answers \\0RES magic with ERROR INVALID_MAGIC and keeps the connection', async (t) => {
      const s = await setup(t);
      const c = await s.connect();
      c.writeRaw(Buffer.concat([header(RES, PacketType.ECHO_REQ, 2), Buffer.from('hi')]));
      const e = await c.expect(PacketType.ERROR);
      assert.deepEqual(e.args, ['INVALID_MAGIC', 'Request magic expected']);
      await sync(c);
    });

    // Every type only a server may send, plus UNUSED and ALL_YOURS. SUBMIT_JOB_SCHED is a
    // deliberate difference (epoch.test.ts).
    const notExpected = [5, 6, 8, 10, 11, 17, 19, 20, 24, 27, 31, 40, 42];
    it('answers server-only types, UNUSED and ALL_YOURS with ERROR INVALID_COMMAND', async (t) => {
      const s = await setup(t);
      const c = await s.connect();
      for (const type of notExpected) {
        const spec = PACKETS[type]!;
        const args = spec.fields.map((f) => f.slice(0, 3));
        c.send(type, args);
        const e = await c.expect(PacketType.ERROR);
        assert.deepEqual(e.args, ['INVALID_COMMAND', 'Command not expected'], spec.name);
      }
      await sync(c);
    });

    it('survives a truncated packet followed by a close, serving others meanwhile', async (t) => {
      const s = await setup(t);
      const other = await s.connect();
      const c = await s.connect();
      c.writeRaw(Buffer.concat([header(0x00524551, PacketType.SUBMIT_JOB, 100), Buffer.from('fn\0u\0part')]));
      await sync(other);
      c.socket.end();
      await c.waitClosed();
      await sync(other);
      const again = await s.connect();
      await sync(again);
    });

    it('answers garbage text with ERR lines and keeps serving the other connection', async (t) => {
      const s = await setup(t);
      const other = await s.connect();
      const c = await s.connect();
      const reply = await c.adminRaw('\x7f\x01garbage !!\r\nzz\n', (x) => x.split('\r\n').length === 3);
      assert.equal(reply,
        'ERR UNKNOWN_COMMAND Unknown+server+command\x7f\x01garbage\r\nERR UNKNOWN_COMMAND Unknown+server+commandzz\r\n');
      await sync(other);
      await sync(c);
    });

    it('closes a connection whose admin line exceeds 8192 bytes without a newline', async (t) => {
      const s = await setup(t);
      const other = await s.connect();
      const c = await s.connect();
      c.writeRaw('x'.repeat(9000));
      await c.waitClosed();
      await sync(other);
    });
  });
}
