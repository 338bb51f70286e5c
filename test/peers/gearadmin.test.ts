/**
 * gearadmin (1.1.20) against gearhq and gearmand: every option a monitoring script uses, its values
 * for a known server state, and — in the last suite — the output of both servers for the same
 * scenario compared line by line once the values that must differ (pid, version, fd, handles) are
 * masked.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  SERVER_KINDS, peerEnv, gearadmin, phpClient, phpWorker, clientResult, assertSucceeded, describeResult,
  waitForWorkers, waitForLoggedJobs, waitForStatus, statusTable, readJobLog, releaseHeldJobs,
  type PeerEnv, type PeerResult,
} from '../support/peers.js';
import { REPO_ROOT } from '../support/servers.js';

const packageVersion = (): string => JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')).version;

/** The lines gearadmin printed, without the final newline. */
const lines = (r: PeerResult): string[] => r.stdout.toString().replace(/\n$/, '').split('\n');

/** Runs gearadmin, insists it succeeded and returns its printed lines. */
async function admin(env: PeerEnv, ...args: string[]): Promise<string[]> {
  const r = await gearadmin(env, args);
  assertSucceeded(r);
  assert.equal(r.stderr, '', `gearadmin ${args.join(' ')} wrote to stderr\n${describeResult(r)}`);
  return lines(r);
}

/** A list reply: the body lines (sorted: servers list functions in hash order) and its `.` end. */
function listBody(out: string[]): string[] {
  assert.equal(out.at(-1), '.', `a list ends with a "." line: ${JSON.stringify(out)}`);
  return out.slice(0, -1).sort();
}

/** Queues background jobs through php-gearman and returns their handles in submission order. */
async function queueBackground(env: PeerEnv, jobs: { fn: string; method: string; unique?: string; data?: string }[]): Promise<string[]> {
  const res = await clientResult(phpClient(env, jobs.map((j) => ({ op: 'bg', data: j.data ?? 'x', ...j }))));
  return res.map((r: { rc: number; handle: string }, i: number) => {
    assert.equal(r.rc, 0, `submission ${i} failed: ${JSON.stringify(r)}`);
    return r.handle;
  });
}

for (const kind of SERVER_KINDS) {
  describe(`gearadmin against ${kind}`, () => {
    test('--server-version, --server-verbose and --getpid print one bare value', { timeout: 20000 }, async (t) => {
      const env = await peerEnv(t, kind);
      const version = await admin(env, '--server-version');
      assert.equal(version.length, 1);
      assert.match(version[0]!, /^[0-9][\w.+~-]*( \(\w+\))?$/, 'a version string without the "OK " of the wire reply');
      // README "Differences from gearmand": Gearman HQ says `OK <version> (gearhq)`.
      assert.equal(version[0], kind === 'gearmand' ? '1.1.20+ds' : `${packageVersion()} (gearhq)`);
      const verbose = await admin(env, '--server-verbose');
      assert.equal(verbose.length, 1);
      assert.match(verbose[0]!, /^(FATAL|ERROR|WARNING|NOTICE|INFO|DEBUG)$/);
      assert.deepEqual(await admin(env, '--getpid'), [String(env.server.pid)]);
    });

    test('--status and --priority-status count queued, running and workers per function', { timeout: 20000 }, async (t) => {
      const env = await peerEnv(t, kind);
      await queueBackground(env, [
        { fn: 'ps', method: 'doHighBackground' }, { fn: 'ps', method: 'doBackground' },
        { fn: 'ps', method: 'doBackground' }, { fn: 'ps', method: 'doLowBackground' },
        { fn: 'hold', method: 'doBackground' },
      ]);
      const log = join(env.dir, 'jobs');
      phpWorker(env, { count: 1, log, functions: ['hold'] });
      phpWorker(env, { count: 0, log: join(env.dir, 'rev-jobs'), functions: ['rev'] });
      await waitForWorkers(env.server, 'rev', 1);
      await waitForLoggedJobs(log, 1);
      assert.deepEqual(listBody(await admin(env, '--status')),
        ['hold\t1\t1\t1', 'ps\t4\t0\t0', 'rev\t0\t0\t1']);
      // Running jobs are not counted by priority-status.
      assert.deepEqual(listBody(await admin(env, '--priority-status')),
        ['hold\t0\t0\t0\t1', 'ps\t1\t2\t1\t0', 'rev\t0\t0\t0\t1']);
      releaseHeldJobs(log);
      await waitForStatus(env.server, 'hold', (s) => s.total === 0, 'the held job finished');
    });

    test('--workers lists every connection with its functions', { timeout: 20000 }, async (t) => {
      const env = await peerEnv(t, kind);
      phpWorker(env, { count: 0, log: join(env.dir, 'jobs'), functions: ['rev', 'echo'], id: 'php-worker-7' });
      phpWorker(env, { count: 0, log: join(env.dir, 'jobs'), functions: ['sha'] });
      await waitForWorkers(env.server, 'echo', 1);
      await waitForWorkers(env.server, 'rev', 1);
      await waitForWorkers(env.server, 'sha', 1);
      const body = listBody(await admin(env, '--workers'));
      for (const l of body) assert.match(l, /^\d+ 127\.0\.0\.1 \S+ :( \S+)*$/, `workers line ${JSON.stringify(l)}`);
      const workers = body.map((l) => l.replace(/^\d+ /, '').replace(/ : (.*)$/, (_m, f: string) => ` : ${f.split(' ').sort().join(' ')}`));
      assert.ok(workers.includes('127.0.0.1 php-worker-7 : echo rev'), `the worker with its id and functions: ${JSON.stringify(body)}`);
      assert.ok(workers.includes('127.0.0.1 - : sha'), `the worker without an id: ${JSON.stringify(body)}`);
      assert.ok(body.some((l) => /^\d+ 127\.0\.0\.1 - :$/.test(l)), `gearadmin's own connection is listed: ${JSON.stringify(body)}`);
      assert.equal(new Set(body.map((l) => l.split(' ')[0])).size, body.length, 'fds are distinct');
    });

    test('--show-jobs and --show-unique-jobs list the queued jobs', { timeout: 20000 }, async (t) => {
      const env = await peerEnv(t, kind);
      const handles = await queueBackground(env, [
        { fn: 'sj', method: 'doBackground', unique: 'u-one' },
        { fn: 'sj', method: 'doHighBackground', unique: 'u-two' },
        { fn: 'other', method: 'doLowBackground', unique: 'u-three' },
      ]);
      const jobs = listBody(await admin(env, '--show-jobs'));
      for (const l of jobs) assert.match(l, /^[^\t]+\t0\t0\t[01]$/, `show jobs line ${JSON.stringify(l)}`);
      assert.deepEqual(jobs.map((l) => l.split('\t')[0]).sort(), [...handles].sort());
      assert.deepEqual(listBody(await admin(env, '--show-unique-jobs')), ['u-one', 'u-three', 'u-two']);
    });

    test('--create-function and --drop-function', { timeout: 20000 }, async (t) => {
      const env = await peerEnv(t, kind);
      assert.deepEqual(await admin(env, '--create-function', 'made'), ['OK']);
      assert.deepEqual((await statusTable(env.server)).get('made'), { total: 0, running: 0, workers: 0 });
      assert.deepEqual(await admin(env, '--drop-function', 'made'), ['OK']);
      assert.equal((await statusTable(env.server)).has('made'), false, 'dropped function still listed');
      // Errors go to stderr, and gearadmin still exits 0.
      const again = await gearadmin(env, ['--drop-function', 'made']);
      assert.equal(again.code, 0, describeResult(again));
      assert.equal(again.stdout.toString(), '');
      assert.equal(again.stderr, 'Error: function not found\r\n');
      phpWorker(env, { count: 0, log: join(env.dir, 'jobs'), functions: ['rev'] });
      await waitForWorkers(env.server, 'rev', 1);
      const busy = await gearadmin(env, ['--drop-function', 'rev']);
      assert.equal(busy.stderr, 'Error: there are still connected workers or executing clients\r\n', describeResult(busy));
      assert.equal((await statusTable(env.server)).get('rev')?.workers, 1);
    });

    test('--cancel-job removes a queued job so no worker runs it', { timeout: 20000 }, async (t) => {
      const env = await peerEnv(t, kind);
      const [doomed, kept] = await queueBackground(env, [
        { fn: 'echo', method: 'doBackground', data: 'doomed' },
        { fn: 'echo', method: 'doBackground', data: 'kept' },
      ]);
      assert.deepEqual(await admin(env, '--cancel-job', doomed!), ['OK']);
      const unknown = await gearadmin(env, ['--cancel-job', `${kept}999`]);
      assert.equal(unknown.code, 0, describeResult(unknown));
      assert.equal(unknown.stderr, 'Error: UNKNOWN_JOB\r\n', describeResult(unknown));
      const log = join(env.dir, 'jobs');
      const w = await phpWorker(env, { count: 1, log, functions: ['echo'] }).done;
      assert.equal(w.code, 0, describeResult(w));
      assert.deepEqual(readJobLog(log).map((j) => [j.handle, j.data?.toString()]), [[kept, 'kept']]);
      await waitForStatus(env.server, 'echo', (s) => s.total === 0, 'no job left');
    });
  });
}

/** Replaces each job handle by its position in `handles`. */
function maskHandles(text: string, handles: string[]): string {
  return handles.reduce((out, h, i) => out.split(h).join(`<handle${i}>`), text);
}

/** Masks what legitimately differs between two servers: fds, pid, version, handle values. */
function normalise(command: string, r: PeerResult, handles: string[]): string {
  const body = maskHandles(r.stdout.toString(), handles).replace(/\n$/, '').split('\n');
  let shaped: string[];
  switch (command) {
    case '--server-version': shaped = body.map(() => '<version>'); break;
    // The level is configuration (the harness starts gearmand with --verbose ERROR).
    case '--server-verbose': shaped = body.map((l) => l.replace(/^[A-Z]+$/, '<level>')); break;
    case '--getpid': shaped = body.map((l) => l.replace(/^\d+$/, '<pid>')); break;
    case '--workers':
      shaped = body.map((l) => l.replace(/^\d+ /, '<fd> ').replace(/ : (.*)$/, (_m, f: string) => ` : ${f.split(' ').sort().join(' ')}`));
      break;
    // The last column says whether the job is in the persistent store; with no store gearmand
    // still says 1 for background jobs, so only its shape is compared.
    case '--show-jobs': shaped = body.map((l) => l.replace(/\t[01]$/, '\t<0|1>')); break;
    default: shaped = body;
  }
  const sorted = shaped.at(-1) === '.' ? [...shaped.slice(0, -1).sort(), '.'] : shaped;
  return `exit=${r.code} stderr=${JSON.stringify(r.stderr)}\n${sorted.join('\n')}`;
}

describe('gearadmin output shapes: gearhq compared with gearmand', () => {
  test('the same scenario prints the same lines on both servers', { timeout: 30000 }, async (t) => {
    const outputs: Record<string, Record<string, string>> = {};
    for (const kind of SERVER_KINDS) {
      const env = await peerEnv(t, kind);
      const handles = await queueBackground(env, [
        { fn: 'shape', method: 'doHighBackground', unique: 'k1' },
        { fn: 'shape', method: 'doBackground', unique: 'k2' },
        { fn: 'shape', method: 'doLowBackground', unique: 'k3' },
        { fn: 'spare', method: 'doBackground', unique: 'k4' },
      ]);
      phpWorker(env, { count: 0, log: join(env.dir, 'jobs'), functions: ['rev', 'echo'] });
      await waitForWorkers(env.server, 'echo', 1);
      await waitForWorkers(env.server, 'rev', 1);
      const runs: string[][] = [
        ['--server-version'], ['--server-verbose'], ['--getpid'], ['--create-function', 'madeup'],
        ['--status'], ['--priority-status'], ['--workers'], ['--show-jobs'], ['--show-unique-jobs'],
        ['--cancel-job', handles[3]!], ['--cancel-job', 'H:no-such-handle:1'],
        ['--drop-function', 'madeup'], ['--drop-function', 'madeup'], ['--drop-function', 'rev'],
      ];
      const seen: Record<string, string> = {};
      for (const args of runs) {
        const r = await gearadmin(env, args);
        seen[maskHandles(args.join(' '), handles)] = normalise(args[0]!, r, handles);
      }
      outputs[kind] = seen;
    }
    assert.deepEqual(outputs.gearhq, outputs.gearmand);
  });
});
