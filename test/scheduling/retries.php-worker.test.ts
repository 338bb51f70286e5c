/**
 * Retry policies (issue 4, "Retry policies") with a real php-gearman worker that fails some
 * attempts: from the config file's `retry-policies`, from the server-wide `--default-retry-policy`
 * with its defaults filled in, and for foreground jobs only when the policy says `foreground`.
 * Runs are proved by the worker's own log (handle and start time of every attempt) and by the
 * job's record in the SQLite store once the server is gone.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { clientResult, phpClient, waitForWorkers } from '../support/peers.js';
import {
  PacketType, adminLines, phpSchedulingWorker, readHistory, readRuns, schedEnv, submit, waitForFn,
  type SchedEnv,
} from './harness.js';

const GEARMAN_SUCCESS = 0;
const GEARMAN_WORK_FAIL = 24;

const backoff = { initialMs: 200, factor: 2, maxMs: 1000, jitter: 0 };

/** Starts gearhq with `config`, a PHP scheduling worker, and submits one background `flaky` job. */
async function flakyJob(t: Parameters<typeof schedEnv>[0], plan: string, opts: Parameters<typeof schedEnv>[1]) {
  const env = await schedEnv(t, { store: 'sqlite', ...opts });
  const log = join(env.dir, 'runs');
  const worker = phpSchedulingWorker(env, log);
  await waitForWorkers(env.server(), 'flaky', 1);
  const c = await env.connect();
  const handle = await submit(c, PacketType.SUBMIT_JOB_BG, ['flaky', '', plan]);
  return { env, log, worker, c, handle };
}

/** Start-to-start gaps between consecutive runs, ms. */
function gaps(ms: number[]): number[] {
  return ms.slice(1).map((m, i) => Math.round(m - ms[i]!));
}

async function stopAndRead(env: SchedEnv, handle: string) {
  await env.stop();
  return readHistory(env.dataDir, handle);
}

describe('retry policies with a php-gearman worker', { timeout: 30000 }, () => {
  test('a background job that fails twice completes on attempt 3 of a 3-attempt policy from the config file, under one handle',
    async (t) => {
      const { env, log, worker, c, handle } = await flakyJob(t, 'sendFail,setReturnFail,ok',
        { config: { 'retry-policies': { flaky: { maxAttempts: 3, backoff, retryOn: ['fail', 'exception', 'timeout', 'lost'], foreground: false } } } });
      await waitForFn(c, 'flaky', (s) => s.total === 0, 'the job ended');
      const runs = readRuns(log);
      assert.deepEqual(runs.map((r) => r.handle), [handle, handle, handle], 'three runs, one handle');
      const [g1, g2] = gaps(runs.map((r) => r.ms));
      console.log(`retry gaps (start to start): ${g1} ms, ${g2} ms (back-off 200 ms, 400 ms)`);
      assert.ok(g1! >= 200 && g1! < 1200, `attempt 2 starts 200 ms after attempt 1 at the earliest: ${g1} ms`);
      assert.ok(g2! >= 400 && g2! < 1400, `attempt 3 starts 400 ms after attempt 2 at the earliest: ${g2} ms`);
      assert.ok(!(await adminLines(c, 'show jobs')).some((l) => l.startsWith(`${handle}\t`)), 'gone from show jobs');
      assert.ok(worker.running, 'the worker is still running');
      assert.equal(worker.stderrText(), '');
      const { record, events } = await stopAndRead(env, handle);
      assert.equal(record.state, 'completed');
      assert.equal(record.attempts, 3);
      assert.equal(record.result?.toString(), 'ok after 3 attempts');
      const retrying = events.filter((e) => e.type === 'retrying').map((e) => e.detail ?? '');
      assert.deepEqual(retrying.map((d) => d.split(';')[0]), ['fail', 'fail']);
      // Each names the attempt that failed and its worker (the record keeps only the last one's).
      assert.deepEqual(retrying.map((d) => /\(attempt (\d) on (\S+)\)$/.exec(d)?.slice(1)),
        [['1', record.worker!.split(' ')[0]!], ['2', record.worker!.split(' ')[0]!]], retrying.join(' | '));
    });

  test('with maxAttempts 2 the same job fails for good after exactly 2 runs and leaves show jobs', async (t) => {
    const { env, log, worker, c, handle } = await flakyJob(t, 'sendFail,setReturnFail,ok',
      { config: { 'retry-policies': { flaky: { maxAttempts: 2, backoff } } } });
    await waitForFn(c, 'flaky', (s) => s.total === 0, 'the job ended');
    assert.deepEqual(readRuns(log).map((r) => r.handle), [handle, handle], 'two runs, one handle');
    assert.ok(!(await adminLines(c, 'show jobs')).some((l) => l.startsWith(`${handle}\t`)), 'gone from show jobs');
    c.send(PacketType.GET_STATUS, [handle]);
    assert.deepEqual((await c.expect(PacketType.STATUS_RES)).args, [handle, '0', '0', '0', '0'], 'unknown to GET_STATUS');
    assert.ok(worker.running, 'the worker is still running');
    const { record } = await stopAndRead(env, handle);
    assert.equal(record.state, 'failed');
    assert.equal(record.attempts, 2);
    assert.equal(record.outcome, 'retries-exhausted');
  });

  test('the server-wide --default-retry-policy applies to functions without their own, with defaults filled in', async (t) => {
    // Only maxAttempts and initialMs given: factor 2, no jitter and every outcome are the defaults.
    const { env, log, c, handle } = await flakyJob(t, 'sendFail,sendFail,ok',
      { args: ['--default-retry-policy', JSON.stringify({ maxAttempts: 3, backoff: { initialMs: 150 } })] });
    await waitForFn(c, 'flaky', (s) => s.total === 0, 'the job ended');
    const runs = readRuns(log);
    assert.equal(runs.length, 3);
    const [g1, g2] = gaps(runs.map((r) => r.ms));
    assert.ok(g1! >= 150 && g2! >= 300, `back-off 150 ms then 300 ms (factor 2 by default): ${g1} ms, ${g2} ms`);
    const { record } = await stopAndRead(env, handle);
    assert.equal(record.state, 'completed');
  });

  test('a foreground job is retried only when the policy says foreground: true; its client waits for the last attempt',
    async (t) => {
      const env = await schedEnv(t, { config: { 'retry-policies': { flaky: { maxAttempts: 3, backoff, foreground: true } } } });
      const log = join(env.dir, 'runs');
      phpSchedulingWorker(env, log);
      await waitForWorkers(env.server(), 'flaky', 1);
      const [r] = await clientResult(phpClient(env.peerEnv(), [{ op: 'do', method: 'doNormal', fn: 'flaky', data: 'sendFail,sendFail,ok' }]));
      assert.deepEqual(r, { rc: GEARMAN_SUCCESS, result: Buffer.from('ok after 3 attempts').toString('base64') });
      const runs = readRuns(log);
      assert.equal(runs.length, 3);
      assert.equal(new Set(runs.map((x) => x.handle)).size, 1, 'one handle');
    });

  test('without foreground: true a foreground job fails at its first failure, as in gearmand', async (t) => {
    const env = await schedEnv(t, { config: { 'retry-policies': { flaky: { maxAttempts: 3, backoff } } } });
    const log = join(env.dir, 'runs');
    phpSchedulingWorker(env, log);
    await waitForWorkers(env.server(), 'flaky', 1);
    const [r] = await clientResult(phpClient(env.peerEnv(), [{ op: 'do', method: 'doNormal', fn: 'flaky', data: 'sendFail,ok' }]));
    assert.equal(r.rc, GEARMAN_WORK_FAIL, JSON.stringify(r));
    const c = await env.connect();
    await waitForFn(c, 'flaky', (s) => s.total === 0, 'nothing left');
    assert.equal(readRuns(log).length, 1, 'one run');
  });
});
