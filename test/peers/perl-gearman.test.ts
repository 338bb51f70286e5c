/**
 * The pure-Perl Gearman::Client / Gearman::Worker 2.004 against gearhq and gearmand. This is an
 * implementation independent of libgearman: its worker grabs with GRAB_JOB (JOB_ASSIGN, no unique)
 * and its client sends empty uniques unless told otherwise.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import {
  SERVER_KINDS, peerEnv, perlClient, perlWorker, clientResult, readJobLog, releaseHeldJobs, describeResult,
  waitForLoggedJobs, waitForStatus, waitForWorkers, statusTable, b64,
} from '../support/peers.js';

const enc = (s: string | Buffer): string => Buffer.from(s).toString('base64');

for (const kind of SERVER_KINDS) {
  describe(`Perl Gearman::Client and Gearman::Worker against ${kind}`, () => {
    test('do_task returns the result at every priority, binary payloads included', { timeout: 20000 }, async (t) => {
      const env = await peerEnv(t, kind);
      perlWorker(env, { count: 0, log: join(env.dir, 'jobs'), functions: ['rev', 'echo'] });
      const binary = Buffer.from([0, 0xff, 0, 1, 10, 0, 0x80]);
      const big = Buffer.alloc(256 * 1024, 'perl\0');
      const res = await clientResult(perlClient(env, [
        { op: 'do', fn: 'rev', data: 'hello' },
        { op: 'do', fn: 'rev', data: 'urgent', priority: 'high' },
        { op: 'do', fn: 'rev', data: 'whenever', priority: 'low' },
        { op: 'do', fn: 'echo', data: binary },
        { op: 'do', fn: 'echo', data: big },
      ]));
      assert.deepEqual(res.slice(0, 4), [
        { failed: false, result: enc('olleh') },
        { failed: false, result: enc('tnegru') },
        { failed: false, result: enc('revenehw') },
        { failed: false, result: enc(binary) },
      ]);
      assert.ok(Buffer.from(res[4].result, 'base64').equals(big), '256 KiB echo came back different');
    });

    test('dispatch_background returns a handle, get_status follows the job until it is gone', { timeout: 20000 }, async (t) => {
      const env = await peerEnv(t, kind);
      const [{ handle }] = await clientResult(perlClient(env, [{ op: 'bg', fn: 'hold', data: 'bg' }]));
      assert.match(handle, new RegExp(`^127\\.0\\.0\\.1:${env.server.port}//\\S+$`));
      const [queued] = await clientResult(perlClient(env, [{ op: 'status', handle }]));
      assert.deepEqual(queued, { known: 1, running: 0, numerator: '0', denominator: '0' });
      const log = join(env.dir, 'jobs');
      const worker = perlWorker(env, { count: 1, log, functions: ['hold'] });
      await waitForLoggedJobs(log, 1);
      const [running] = await clientResult(perlClient(env, [{ op: 'status', handle }]));
      assert.deepEqual(running, { known: 1, running: 1, numerator: '1', denominator: '2' });
      releaseHeldJobs(log);
      await waitForStatus(env.server, 'hold', (s) => s.total === 0, 'the job finished');
      const [done] = await clientResult(perlClient(env, [{ op: 'status', handle }]));
      assert.deepEqual(done, { known: 0, running: 0, numerator: '0', denominator: '0' });
      assert.equal(readJobLog(log)[0]!.handle, handle.split('//')[1]);
      worker.kill();
    });

    test('background priorities run high, normal, low; a repeated uniq joins the queued job', { timeout: 20000 }, async (t) => {
      const env = await peerEnv(t, kind);
      const res = await clientResult(perlClient(env, [
        { op: 'bg', fn: 'echo', data: 'low', priority: 'low' },
        { op: 'bg', fn: 'echo', data: 'normal' },
        { op: 'bg', fn: 'echo', data: 'high', priority: 'high' },
        { op: 'bg', fn: 'echo', data: 'dup-1', uniq: 'dup' },
        { op: 'bg', fn: 'echo', data: 'dup-2', uniq: 'dup' },
      ]));
      assert.equal(res[4].handle, res[3].handle, 'same uniq, same job');
      assert.equal(new Set(res.map((r: { handle: string }) => r.handle)).size, 4);
      assert.equal((await statusTable(env.server)).get('echo')?.total, 4);
      const log = join(env.dir, 'jobs');
      perlWorker(env, { count: 0, log, functions: ['echo'] });
      await waitForStatus(env.server, 'echo', (s) => s.total === 0, 'all jobs done');
      assert.deepEqual(readJobLog(log).map((j) => j.data?.toString()), ['high', 'normal', 'dup-1', 'low']);
    });

    test('uniq "-" joins jobs whose argument is the same', { timeout: 20000 }, async (t) => {
      const env = await peerEnv(t, kind);
      const res = await clientResult(perlClient(env, [
        { op: 'bg', fn: 'echo', data: 'same', uniq: '-' },
        { op: 'bg', fn: 'echo', data: 'same', uniq: '-' },
        { op: 'bg', fn: 'echo', data: 'different', uniq: '-' },
      ]));
      assert.equal(res[1].handle, res[0].handle, 'same argument, same job');
      assert.notEqual(res[2].handle, res[0].handle, 'another argument, another job');
      const log = join(env.dir, 'jobs');
      perlWorker(env, { count: 0, log, functions: ['echo'] });
      await waitForStatus(env.server, 'echo', (s) => s.total === 0, 'all jobs done');
      assert.deepEqual(readJobLog(log).map((j) => j.data?.toString()), ['same', 'different']);
    });

    test('a worker returning undef fails the job: do_task gives undef and on_fail runs', { timeout: 20000 }, async (t) => {
      const env = await peerEnv(t, kind);
      perlWorker(env, { count: 0, log: join(env.dir, 'jobs'), functions: ['fail', 'rev'] });
      const res = await clientResult(perlClient(env, [
        { op: 'do', fn: 'fail', data: 'x' },
        { op: 'do', fn: 'rev', data: 'after' },
      ]));
      assert.deepEqual(res, [{ failed: true, result: null }, { failed: false, result: enc('retfa') }]);
    });

    // A Perl worker whose function dies sends WORK_EXCEPTION (a Storable blob) then WORK_FAIL. The
    // Perl client does not ask for exceptions, so the server must turn the exception into a failure.
    // gearmand 1.1.20 sends WORK_FAIL "handle\0", which Gearman::Client cannot match to its task: it
    // croaks "Got work_fail for unknown handle". Gearman HQ sends the bare handle (PROTOCOL.md §3.4).
    test('a worker that dies fails the job for the client', { timeout: 20000 }, async (t) => {
      const env = await peerEnv(t, kind);
      const log = join(env.dir, 'jobs');
      perlWorker(env, { count: 1, log, functions: ['die'] });
      await waitForWorkers(env.server, 'die', 1);
      const r = await perlClient(env, [{ op: 'do', fn: 'die', data: 'x' }]).done;
      assert.equal(r.timedOut, false, describeResult(r));
      assert.equal(readJobLog(log).length, 1, 'the worker ran the job once');
      if (kind === 'gearmand') {
        assert.notEqual(r.code, 0, describeResult(r));
        assert.match(r.stderr, /Got work_fail for unknown handle: \S+\0/);
      } else {
        assert.equal(r.code, 0, describeResult(r));
        const line = r.stdout.toString().trim();
        assert.equal(line, `RESULT ${JSON.stringify([{ failed: true, result: null }])}`);
      }
      await waitForStatus(env.server, 'die', (s) => s.total === 0, 'the job is gone');
    });

    test('a Perl worker serves several functions to several clients at once', { timeout: 20000 }, async (t) => {
      const env = await peerEnv(t, kind);
      perlWorker(env, { count: 0, log: join(env.dir, 'jobs'), functions: ['rev', 'echo'] });
      const clients = [0, 1, 2, 3].map((i) => perlClient(env, [
        { op: 'do', fn: 'rev', data: `client-${i}` },
        { op: 'do', fn: 'echo', data: `echo-${i}` },
      ]));
      const results = await Promise.all(clients.map((c) => clientResult(c)));
      results.forEach((res, i) => {
        assert.deepEqual(res.map((r: { result: string }) => b64(r.result)), [`${i}-tneilc`, `echo-${i}`]);
      });
    });
  });
}
