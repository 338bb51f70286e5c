/**
 * The text admin protocol, byte for byte (PROTOCOL.md §4; §6.3 item 14): list replies end in
 * `.\n`, `OK <value>` in `\n`, plain `OK` and every `ERR` in `\r\n`, error texts `+`-encoded.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  KINDS, PacketType, adminList, functionStatus, grab, grabNothing, servers, submit, sync, worker,
  type RawClient,
} from './harness.js';

const INCOMPLETE = 'ERR INVALID_ARGUMENTS An+incomplete+set+of+arguments+was+sent+to+this+command+';

/** List lines in a stable order (servers list in hash order). */
function sorted(lines: string[]): string[] {
  return [...lines].sort();
}

for (const kind of KINDS) {
  describe(`${kind}: admin protocol`, { timeout: 20000 }, () => {
    const { setup } = servers(kind);

    it('status: an empty server answers ".\\n"; then function, total, running, workers', async (t) => {
      const s = await setup(t, { fresh: true });
      const admin = await s.connect();
      assert.equal(await admin.admin('status'), '.\n');
      const c = await s.connect();
      await submit(c, PacketType.SUBMIT_JOB_BG, 'st', '', '1');
      await submit(c, PacketType.SUBMIT_JOB_BG, 'st', '', '2');
      await submit(c, PacketType.SUBMIT_JOB_BG, 'queued', '', '3');
      const w = await worker(s, ['st', 'idle']);
      await grab(w);
      const reply = await admin.admin('status');
      assert.ok(reply.endsWith('\n.\n'));
      assert.deepEqual(sorted(reply.slice(0, -3).split('\n')), ['idle\t0\t0\t1', 'queued\t1\t0\t0', 'st\t2\t1\t1']);
      // Command words are case-insensitive.
      assert.equal(await admin.admin('STATUS'), reply);
    });

    it('workers: one line per connection with fd, address, client id and functions newest first',
      async (t) => {
        const s = await setup(t, { fresh: true });
        const admin = await s.connect();
        await worker(s, ['plain', 'tofn'], 'id with spaces');
        const client = await s.connect();
        await sync(client);
        const lines = await adminList(admin, 'workers');
        for (const line of lines) assert.match(line, /^\d+ 127\.0\.0\.1 /);
        assert.deepEqual(sorted(lines.map((l) => l.replace(/^\d+ /, 'N '))), [
          'N 127.0.0.1 - :',
          'N 127.0.0.1 - :',
          'N 127.0.0.1 id with spaces : tofn plain',
        ]);
        assert.equal(new Set(lines.map((l) => l.split(' ')[0])).size, 3, 'distinct fds');
      });

    it('prioritystatus: queued (not running) jobs per priority, then workers', async (t) => {
      const s = await setup(t, { fresh: true });
      const admin = await s.connect();
      const c = await s.connect();
      await submit(c, PacketType.SUBMIT_JOB_HIGH_BG, 'ps', '', 'h');
      await submit(c, PacketType.SUBMIT_JOB_HIGH_BG, 'ps', '', 'h');
      await submit(c, PacketType.SUBMIT_JOB_BG, 'ps', '', 'n');
      await submit(c, PacketType.SUBMIT_JOB_LOW_BG, 'ps', '', 'l');
      await submit(c, PacketType.SUBMIT_JOB_LOW, 'ps', '', 'l');
      assert.equal(await admin.admin('prioritystatus'), 'ps\t2\t1\t2\t0\n.\n');
      const w = await worker(s, ['ps']);
      await grab(w);
      assert.equal(await admin.admin('prioritystatus'), 'ps\t1\t1\t2\t1\n.\n');
    });

    it('show jobs: handle, retries, ignored, persisted; show unique jobs: one unique per line', async (t) => {
      const s = await setup(t, { fresh: true });
      const admin = await s.connect();
      const c = await s.connect();
      const bg = await submit(c, PacketType.SUBMIT_JOB_BG, 'sj', 'u1', 'x');
      const fg = await submit(c, PacketType.SUBMIT_JOB, 'sj', '', 'y');
      const lines = sorted(await adminList(admin, 'show jobs'));
      if (kind === 'gearmand') {
        // "persisted" is gearmand's job_queued flag: set for background jobs even without a queue.
        assert.deepEqual(lines, sorted([`${bg}\t0\t0\t1`, `${fg}\t0\t0\t0`]));
      } else {
        assert.equal(lines.length, 2);
        assert.match(lines.find((l) => l.startsWith(`${bg}\t`))!, /^\S+\t0\t0\t[01]$/);
        assert.match(lines.find((l) => l.startsWith(`${fg}\t`))!, /^\S+\t0\t0\t[01]$/);
      }
      assert.deepEqual(sorted(await adminList(admin, 'show unique jobs')), ['', 'u1']);
      assert.equal(await admin.admin('show foo'), 'ERR UNKNOWN_SHOW_ARGUMENTS\r\n');
      assert.equal(await admin.admin('show jobs please'), 'ERR UNKNOWN_SHOW_ARGUMENTS\r\n');
    });

    it('show alone is an unknown command', async (t) => {
      const s = await setup(t);
      const admin = await s.connect();
      assert.equal(await admin.admin('show'), 'ERR UNKNOWN_COMMAND Unknown+server+commandshow\r\n');
    });

    it('cancel job: OK, the waiting client gets WORK_FAIL and no worker gets the job', async (t) => {
      const s = await setup(t);
      const f = s.fn();
      const admin = await s.connect();
      const c = await s.connect();
      const h = await submit(c, PacketType.SUBMIT_JOB, f, '', 'x');
      assert.equal(await admin.admin(`cancel job ${h}`), 'OK\r\n');
      assert.equal((await c.expect(PacketType.WORK_FAIL)).body.toString('latin1'), h);
      await grabNothing(await worker(s, [f]));
      assert.equal(await admin.admin(`cancel job ${h}`), 'ERR UNKNOWN_JOB\r\n');
      assert.equal(await admin.admin('cancel job H:nowhere:1'), 'ERR UNKNOWN_JOB\r\n');
      assert.equal(await admin.admin('cancel foo bar'), 'ERR UNKNOWN_ERROR\r\n');
    });

    it('difference: cancelling a running job sends WORK_FAIL only; the worker\'s result is accepted and dropped (gearmand forwards it too)',
      async (t) => {
        const s = await setup(t);
        const f = s.fn();
        const admin = await s.connect();
        const c = await s.connect();
        const h = await submit(c, PacketType.SUBMIT_JOB, f, '', 'x');
        const w = await worker(s, [f]);
        await grab(w);
        assert.equal(await admin.admin(`cancel job ${h}`), 'OK\r\n');
        assert.equal((await c.expect(PacketType.WORK_FAIL)).body.toString('latin1'), h);
        w.send(PacketType.WORK_COMPLETE, [h, 'late']);
        await sync(w); // accepted: no ERROR before the echo
        if (kind === 'gearhq') {
          assert.ok(await c.quiet(100), `client got ${JSON.stringify(c.pending().map((r) => r.name))}`);
        } else {
          assert.deepEqual((await c.expect(PacketType.WORK_COMPLETE)).args, [h, 'late']);
        }
      });

    it('difference: a half-closed admin connection always gets its reply, then is closed (gearmand: racy, often none)',
      async (t) => {
        const s = await setup(t);
        for (let i = 0; i < 5; i++) {
          const admin = await s.connect();
          admin.socket.end('version\n'); // the line and the FIN in one go, like `nc -N`
          await admin.waitClosed();
          const text = admin.pendingText();
          if (kind === 'gearhq') {
            assert.match(text, /^OK \S[^\r\n]*\n$/);
          } else {
            // gearmand closes when it reads EOF, dropping replies not yet written.
            assert.ok(text === '' || text === 'OK 1.1.20+ds\n', JSON.stringify(text));
          }
        }
      });

    it('cancel with fewer than three words is an unknown command', async (t) => {
      const s = await setup(t);
      const admin = await s.connect();
      assert.equal(await admin.admin('cancel'), 'ERR UNKNOWN_COMMAND Unknown+server+commandcancel\r\n');
      assert.equal(await admin.admin('cancel job'), 'ERR UNKNOWN_COMMAND Unknown+server+commandcancel\r\n');
    });

    it('maxqueue: OK, or INVALID_ARGUMENTS without a function', async (t) => {
      const s = await setup(t);
      const admin = await s.connect();
      assert.equal(await admin.admin(`maxqueue ${s.fn()} 1 2 3`), 'OK\r\n');
      assert.equal(await admin.admin('maxqueue'), `${INCOMPLETE}maxqueue\r\n`);
    });

    it('create function and drop function', async (t) => {
      const s = await setup(t);
      const admin = await s.connect();
      const f = s.fn('newfn');
      assert.equal(await admin.admin(`create function ${f}`), 'OK\r\n');
      assert.deepEqual(await functionStatus(admin, f), [0, 0, 0]);
      assert.equal(await admin.admin(`drop function ${f}`), 'OK\r\n');
      assert.equal(await functionStatus(admin, f), undefined);
      assert.equal(await admin.admin(`drop function ${f}`), 'ERR function not found\r\n');
      // Names match case-insensitively.
      const mixed = s.fn('MixedCase');
      assert.equal(await admin.admin(`create function ${mixed}`), 'OK\r\n');
      assert.equal(await admin.admin(`drop function ${mixed.toLowerCase()}`), 'OK\r\n');
      // A function with a registered worker stays.
      const busy = s.fn();
      await worker(s, [busy]);
      assert.equal(await admin.admin(`drop function ${busy}`),
        'ERR there are still connected workers or executing clients\r\n');
      for (const line of ['create', 'create function', 'create foo bar']) {
        assert.equal(await admin.admin(line), `${INCOMPLETE}create\r\n`, line);
      }
      for (const line of ['drop', 'drop function']) {
        assert.equal(await admin.admin(line), `${INCOMPLETE}drop\r\n`, line);
      }
    });

    it('difference: create function with a bare \\n keeps the whole name (gearmand drops its last character)',
      async (t) => {
        const s = await setup(t);
        const admin = await s.connect();
        const f = s.fn('bare');
        assert.equal(await admin.adminRaw(`create function ${f}\n`, (x) => x.includes('\n')), 'OK\r\n');
        if (kind === 'gearhq') {
          assert.deepEqual(await functionStatus(admin, f), [0, 0, 0]);
        } else {
          assert.equal(await functionStatus(admin, f), undefined);
          assert.deepEqual(await functionStatus(admin, f.slice(0, -1)), [0, 0, 0]);
        }
      });

    it('version, getpid and verbose answer "OK <value>\\n"; verbose ignores arguments', async (t) => {
      const s = await setup(t);
      const admin = await s.connect();
      const version = await admin.admin('version');
      assert.match(version, /^OK \S[^\r\n]*\n$/);
      if (kind === 'gearmand') assert.equal(version, 'OK 1.1.20+ds\n');
      assert.equal(await admin.admin('getpid'), `OK ${s.server.pid}\n`);
      const verbose = await admin.admin('verbose');
      assert.match(verbose, /^OK (FATAL|ALERT|CRITICAL|ERROR|WARNING|NOTICE|INFO|DEBUG)\n$/);
      if (kind === 'gearmand') assert.equal(verbose, 'OK ERROR\n'); // started with --verbose ERROR
      assert.equal(await admin.admin('verbose DEBUG'), verbose);
    });

    it('unknown commands, empty lines and shutdown: ERR UNKNOWN_COMMAND with the word glued on', async (t) => {
      const s = await setup(t);
      const admin = await s.connect();
      const unknown = 'ERR UNKNOWN_COMMAND Unknown+server+command';
      assert.equal(await admin.admin('foo'), `${unknown}foo\r\n`);
      assert.equal(await admin.admin('foo bar baz'), `${unknown}foo\r\n`);
      assert.equal(await admin.admin(''), `${unknown}\r\n`);
      assert.equal(await admin.admin(' status'), `${unknown}\r\n`);
      assert.equal(await admin.admin('shutdown'), `${unknown}shutdown\r\n`);
      assert.equal(await admin.admin('shutdown graceful'), `${unknown}shutdown\r\n`);
      // Still serving.
      await sync(admin);
    });

    it('answers several lines in one write in order, with \\n or \\r\\n endings', async (t) => {
      const s = await setup(t);
      const admin: RawClient = await s.connect();
      const reply = await admin.adminRaw('version\ngetpid\r\nnope\n', (x) => x.endsWith('nope\r\n'));
      const version = await admin.admin('version');
      assert.equal(reply, `${version}OK ${s.server.pid}\nERR UNKNOWN_COMMAND Unknown+server+commandnope\r\n`);
    });
  });
}
