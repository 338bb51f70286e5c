/**
 * php-gearman 2.1 (GearmanClient / GearmanWorker on libgearman 1.1.20) against gearhq and gearmand:
 * the do* family, background jobs and jobStatus, task callbacks streaming status/data/warning,
 * exceptions, failures, coalescing by unique, binary and 1 MiB payloads.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import {
  SERVER_KINDS, peerEnv, phpClient, phpWorker, clientResult, readJobLog, releaseHeldJobs,
  waitForLoggedJobs, waitForStatus, statusTable, waitFor, uniqueStatus, b64, type Step,
} from '../support/peers.js';

const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
const GEARMAN_SUCCESS = 0;
const GEARMAN_WORK_EXCEPTION = 23;
const GEARMAN_WORK_FAIL = 24;

for (const kind of SERVER_KINDS) {
  describe(`php-gearman against ${kind}`, () => {
    test('doNormal, doHigh and doLow return the worker result, binary and 1 MiB included', { timeout: 20000 }, async (t) => {
      const env = await peerEnv(t, kind);
      phpWorker(env, { count: 0, log: join(env.dir, 'jobs'), functions: ['rev', 'echo', 'sha'] });
      const binary = Buffer.from([0, 0, 1, 0xff, 0, 10, 0x80, 0]);
      const big = randomBytes(1 << 20);
      const res = await clientResult(phpClient(env, [
        { op: 'do', method: 'doNormal', fn: 'rev', data: 'normal' },
        { op: 'do', method: 'doHigh', fn: 'rev', data: 'high' },
        { op: 'do', method: 'doLow', fn: 'rev', data: 'low' },
        { op: 'do', method: 'doNormal', fn: 'rev', data: binary },
        { op: 'do', method: 'doNormal', fn: 'sha', data: big },
        { op: 'do', method: 'doNormal', fn: 'echo', data: big },
      ]));
      assert.deepEqual(res.slice(0, 3), [
        { rc: GEARMAN_SUCCESS, result: Buffer.from('lamron').toString('base64') },
        { rc: GEARMAN_SUCCESS, result: Buffer.from('hgih').toString('base64') },
        { rc: GEARMAN_SUCCESS, result: Buffer.from('wol').toString('base64') },
      ]);
      assert.deepEqual(Buffer.from(res[3].result, 'base64'), Buffer.from(binary).reverse());
      assert.equal(b64(res[4].result), `${big.length}:${sha256(big)}`);
      assert.equal(res[5].rc, GEARMAN_SUCCESS);
      assert.ok(Buffer.from(res[5].result, 'base64').equals(big), '1 MiB echo came back different');
    });

    test('background jobs of every priority get handles, report status and run HIGH, NORMAL, LOW', { timeout: 20000 }, async (t) => {
      const env = await peerEnv(t, kind);
      const submitted = await clientResult(phpClient(env, [
        { op: 'bg', method: 'doLowBackground', fn: 'echo', data: 'low' },
        { op: 'bg', method: 'doBackground', fn: 'echo', data: 'normal' },
        { op: 'bg', method: 'doHighBackground', fn: 'echo', data: 'high' },
      ]));
      const handles: string[] = submitted.map((s: { rc: number; handle: string }) => {
        assert.equal(s.rc, GEARMAN_SUCCESS);
        assert.match(s.handle, /^\S+$/);
        return s.handle;
      });
      assert.equal(new Set(handles).size, 3, `distinct handles: ${handles}`);
      const queued = await clientResult(phpClient(env, handles.map((handle) => ({ op: 'status', handle }))));
      for (const q of queued) assert.deepEqual(q.status, [true, false, 0, 0], 'known, not running');
      const log = join(env.dir, 'jobs');
      await phpWorker(env, { count: 3, log, functions: ['echo'] }).done;
      assert.deepEqual(readJobLog(log).map((j) => j.data?.toString()), ['high', 'normal', 'low']);
      assert.deepEqual(readJobLog(log).map((j) => j.handle), [handles[2], handles[1], handles[0]]);
      await waitForStatus(env.server, 'echo', (s) => s.total === 0, 'all jobs done');
      const after = await clientResult(phpClient(env, handles.map((handle) => ({ op: 'status', handle }))));
      for (const a of after) assert.deepEqual(a.status, [false, false, 0, 0], 'finished jobs are unknown');
    });

    test('jobStatus of a running job shows the progress the worker sent', { timeout: 20000 }, async (t) => {
      const env = await peerEnv(t, kind);
      const [{ handle }] = await clientResult(phpClient(env, [{ op: 'bg', method: 'doBackground', fn: 'hold', data: 'h' }]));
      const log = join(env.dir, 'jobs');
      const worker = phpWorker(env, { count: 1, log, functions: ['hold'] });
      await waitForLoggedJobs(log, 1);
      const [running] = await clientResult(phpClient(env, [{ op: 'status', handle }]));
      assert.deepEqual(running.status, [true, true, 1, 2]);
      releaseHeldJobs(log);
      assert.equal((await worker.done).code, 0);
      await waitForStatus(env.server, 'hold', (s) => s.total === 0, 'the job finished');
      const [done] = await clientResult(phpClient(env, [{ op: 'status', handle }]));
      assert.deepEqual(done.status, [false, false, 0, 0]);
    });

    test('runTasks callbacks receive status, data, warning, exception and fail in order', { timeout: 20000 }, async (t) => {
      const env = await peerEnv(t, kind);
      phpWorker(env, { count: 0, log: join(env.dir, 'jobs') });
      const [run] = await clientResult(phpClient(env, [{ op: 'tasks', tasks: [
        { method: 'addTask', fn: 'stream', data: 'a' },
        { method: 'addTaskHigh', fn: 'throw', data: 'b' },
        { method: 'addTaskLow', fn: 'fail', data: 'c' },
        { method: 'addTask', fn: 'rev', data: 'abc' },
      ] }]));
      assert.equal(run.ok, true, JSON.stringify(run));
      const events = run.events as [number, string, ...unknown[]][];
      const of = (task: number): unknown[][] => events.filter((e) => e[0] === task).map((e) => e.slice(1))
        .map((e) => (e[0] === 'created' ? ['created'] : e));
      const enc = (s: string): string => Buffer.from(s).toString('base64');
      assert.deepEqual(of(0), [['created'], ['status', 1, 3], ['data', enc('d1')], ['warning', enc('w1')],
        ['status', 2, 3], ['data', enc('d2')], ['status', 3, 3], ['complete', enc('done:a')]]);
      assert.deepEqual(of(1), [['created'], ['exception', enc('boom:b')]]);
      assert.deepEqual(of(2), [['created'], ['fail']]);
      assert.deepEqual(of(3), [['created'], ['complete', enc('cba')]]);
      const handles = events.filter((e) => e[1] === 'created').map((e) => e[2]);
      assert.equal(new Set(handles).size, 4, `distinct handles: ${handles}`);
    });

    test('doNormal reports a worker exception and a worker failure through returnCode', { timeout: 20000 }, async (t) => {
      const env = await peerEnv(t, kind);
      phpWorker(env, { count: 0, log: join(env.dir, 'jobs'), functions: ['throw', 'fail', 'rev'] });
      const res = await clientResult(phpClient(env, [
        { op: 'do', method: 'doNormal', fn: 'throw', data: 'x' },
        { op: 'do', method: 'doNormal', fn: 'fail', data: 'y' },
        { op: 'do', method: 'doNormal', fn: 'rev', data: 'still works' },
      ]));
      assert.equal(res[0].rc, GEARMAN_WORK_EXCEPTION, JSON.stringify(res[0]));
      assert.equal(res[1].rc, GEARMAN_WORK_FAIL, JSON.stringify(res[1]));
      assert.deepEqual(res[2], { rc: GEARMAN_SUCCESS, result: Buffer.from('skrow llits').toString('base64') });
    });

    test('two clients submitting the same unique share one execution and both get the result', { timeout: 20000 }, async (t) => {
      const env = await peerEnv(t, kind);
      const task = (data: string): { op: string; tasks: object[] } =>
        ({ op: 'tasks', tasks: [{ method: 'addTask', fn: 'echo', data, unique: 'shared-unique' }] });
      const a = phpClient(env, [task('from-a')]);
      const created = /EVENT \[0,"created","([^"]+)"\]/;
      const handleA = (await a.waitForOutput(created))[1];
      const b = phpClient(env, [task('from-b')]);
      const handleB = (await b.waitForOutput(created))[1];
      assert.equal(handleB, handleA, 'the second submission joins the first job');
      assert.equal((await statusTable(env.server)).get('echo')?.total, 1);
      const log = join(env.dir, 'jobs');
      phpWorker(env, { count: 2, log, functions: ['echo'] });
      const [ra] = await clientResult(a);
      const [rb] = await clientResult(b);
      for (const r of [ra, rb]) {
        assert.deepEqual(r.events.map((e: unknown[]) => e[1]), ['created', 'complete']);
        assert.equal(b64(r.events[1][2]), 'from-a', 'the coalesced job runs with the first workload');
      }
      // A later job with another unique must be the worker's second and last job: had the server
      // run the shared job twice, this one would never be reached.
      const [sentinel] = await clientResult(phpClient(env, [{ op: 'do', method: 'doNormal', fn: 'echo', data: 'sentinel', unique: 'other' }]));
      assert.equal(b64(sentinel.result), 'sentinel');
      assert.deepEqual(readJobLog(log).map((j) => [j.unique, j.data?.toString()]),
        [['shared-unique', 'from-a'], ['other', 'sentinel']]);
    });

    test('two concurrent doNormal calls with the same unique: one execution, both get the result', { timeout: 20000 }, async (t) => {
      const env = await peerEnv(t, kind);
      const call = (data: string): Step => ({ op: 'do', method: 'doNormal', fn: 'rev', data, unique: 'same-call' });
      const a = phpClient(env, [call('first')]);
      await waitFor('client a waiting', async () => ((await uniqueStatus(env.server, 'same-call')).clients === 1 ? true : undefined));
      const b = phpClient(env, [call('second')]);
      await waitFor('both clients waiting on one job', async () => {
        const st = await uniqueStatus(env.server, 'same-call');
        return st.clients === 2 ? st : undefined;
      });
      const log = join(env.dir, 'jobs');
      phpWorker(env, { count: 0, log, functions: ['rev'] });
      const [ra] = await clientResult(a);
      const [rb] = await clientResult(b);
      assert.deepEqual(ra, { rc: GEARMAN_SUCCESS, result: Buffer.from('tsrif').toString('base64') });
      assert.deepEqual(rb, ra, 'the second caller gets the first job\'s result');
      await waitForStatus(env.server, 'rev', (s) => s.total === 0, 'nothing left');
      assert.deepEqual(readJobLog(log).map((j) => j.data?.toString()), ['first'], 'the worker ran one job');
    });

    test('jobStatusByUniqueKey follows a job by its unique; ping is echoed', { timeout: 20000 }, async (t) => {
      const env = await peerEnv(t, kind);
      const [, queued, unknown, ping] = await clientResult(phpClient(env, [
        { op: 'bg', method: 'doBackground', fn: 'hold', data: 'h', unique: 'find-me' },
        { op: 'statusUnique', unique: 'find-me' },
        { op: 'statusUnique', unique: 'no-such-unique' },
        { op: 'ping', data: 'are you there' },
      ]));
      assert.deepEqual(queued.status, [true, false, 0, 0]);
      assert.deepEqual(unknown.status, [false, false, 0, 0]);
      assert.deepEqual(ping, { ok: true, rc: GEARMAN_SUCCESS });
      const log = join(env.dir, 'jobs');
      phpWorker(env, { count: 1, log, functions: ['hold'] });
      await waitForLoggedJobs(log, 1);
      const [running] = await clientResult(phpClient(env, [{ op: 'statusUnique', unique: 'find-me' }]));
      assert.deepEqual(running.status, [true, true, 1, 2]);
      releaseHeldJobs(log);
      await waitForStatus(env.server, 'hold', (s) => s.total === 0, 'the job finished');
      const [gone] = await clientResult(phpClient(env, [{ op: 'statusUnique', unique: 'find-me' }]));
      assert.deepEqual(gone.status, [false, false, 0, 0]);
    });

    test('a foreground client waits for a worker that connects later', { timeout: 20000 }, async (t) => {
      const env = await peerEnv(t, kind);
      const client = phpClient(env, [{ op: 'do', method: 'doHigh', fn: 'rev', data: 'patience' }]);
      await waitForStatus(env.server, 'rev', (s) => s.total === 1, 'the job queued');
      phpWorker(env, { count: 1, log: join(env.dir, 'jobs'), functions: ['rev'] });
      const [r] = await clientResult(client);
      assert.deepEqual(r, { rc: GEARMAN_SUCCESS, result: Buffer.from('ecneitap').toString('base64') });
    });
  });
}
