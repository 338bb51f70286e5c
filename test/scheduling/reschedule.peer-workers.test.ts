/**
 * Workers that reschedule their own job (issue 4, "A worker reschedules its own job"): a
 * WORK_EXCEPTION whose data is `gearhq:reschedule +1` puts a background job back as scheduled one
 * second later, under the same handle, with its history showing one job and a rescheduled attempt.
 * Shown with the unmodified php-gearman and pure-Perl Gearman::Worker libraries, using the
 * functions the README quotes (test/peers/scripts/scheduling-worker.*): `report` waits for an
 * input file by rescheduling itself until the file exists.
 *
 * What works, as found on the wire:
 * - PHP: `$job->sendException('gearhq:reschedule +1'); return null;` sends WORK_EXCEPTION and
 *   nothing else; `work()` returns true with GEARMAN_SUCCESS, so an ordinary work loop goes on.
 * - Perl: `$worker->send_work_exception($job, 'gearhq:reschedule +1'); return undef;` sends
 *   WORK_EXCEPTION and nothing else. A `die "gearhq:reschedule +1\n"` does NOT reschedule:
 *   Gearman::Worker sends the message frozen by Storable (binary bytes before the text), then
 *   WORK_FAIL, so the server sees an ordinary exception and the job ends failed.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { waitForWorkers, type Peer } from '../support/peers.js';
import {
  PacketType, adminLines, perlSchedulingWorker, phpSchedulingWorker, readHistory, readRuns, schedEnv, submit,
  waitForFn, waitForRuns, type SchedEnv,
} from './harness.js';

type Spawn = (env: SchedEnv, log: string) => Peer;

async function reschedulesItself(t: Parameters<typeof schedEnv>[0], spawn: Spawn, lang: string): Promise<void> {
  const env = await schedEnv(t, { store: 'sqlite' });
  const log = join(env.dir, 'runs');
  const worker = spawn(env, log);
  await waitForWorkers(env.server(), 'report', 1);
  const c = await env.connect();
  const input = join(env.dir, 'input.csv');
  const handle = await submit(c, PacketType.SUBMIT_JOB_BG, ['report', 'monthly', input]);
  // The first run finds no input and asks to run again in 1 s; the input then arrives.
  await waitForRuns(log, 1);
  writeFileSync(input, 'a,b,c\n1,2,3\n');
  // Between the runs the job is held, not running, and still known under its handle.
  await waitForFn(c, 'report', (s) => s.total === 0, 'the job completed');
  const runs = readRuns(log);
  assert.deepEqual(runs.map((r) => r.handle), [handle, handle], 'two runs under one handle');
  const gap = Math.round(runs[1]!.ms - runs[0]!.ms);
  console.log(`${lang} reschedule: second run ${gap} ms after the first (asked: +1 s)`);
  assert.ok(gap >= 1000 && gap < 1500, `about 1 s apart: ${gap} ms`);
  assert.ok(worker.running, `the ${lang} worker is still running`);
  assert.equal(worker.stderrText(), '', `the ${lang} worker wrote no error`);
  assert.ok(!(await adminLines(c, 'show jobs')).some((l) => l.startsWith(`${handle}\t`)), 'gone from show jobs');

  await env.stop();
  const { record, events } = await readHistory(env.dataDir, handle);
  assert.equal(record.state, 'completed');
  assert.equal(record.result?.toString(), 'report on 12 bytes');
  assert.equal(record.attempts, 1, 'a reschedule gives its attempt back');
  assert.deepEqual(events.map((e) => e.type).filter((e) => e === 'rescheduled' || e === 'retrying'), ['rescheduled'],
    'one job with one rescheduled attempt in its history');
}

describe('workers that reschedule their own job', { timeout: 30000 }, () => {
  test('PHP: sendException("gearhq:reschedule +1") and return null runs the job again 1 s later, same handle, worker unharmed',
    (t) => reschedulesItself(t, phpSchedulingWorker, 'PHP'));

  test('Perl: send_work_exception($job, "gearhq:reschedule +1") and return undef runs it again 1 s later, same handle, worker unharmed',
    (t) => reschedulesItself(t, perlSchedulingWorker, 'Perl'));

  test('Perl: die "gearhq:reschedule +1\\n" is not a reschedule (Storable-frozen exception, then WORK_FAIL): the job fails once',
    async (t) => {
      const env = await schedEnv(t, { store: 'sqlite' });
      const log = join(env.dir, 'runs');
      const worker = perlSchedulingWorker(env, log);
      await waitForWorkers(env.server(), 'dies', 1);
      const c = await env.connect();
      const handle = await submit(c, PacketType.SUBMIT_JOB_BG, ['dies', '', 'x']);
      await waitForFn(c, 'dies', (s) => s.total === 0, 'the job ended');
      assert.deepEqual(readRuns(log).map((r) => r.handle), [handle], 'one run');
      // The worker's WORK_FAIL after its WORK_EXCEPTION is accepted quietly (an ERROR reply would
      // make Gearman::Worker die at its next GRAB_JOB): the same worker goes on to the next job.
      const input = join(env.dir, 'input.csv');
      writeFileSync(input, 'ready');
      const next = await submit(c, PacketType.SUBMIT_JOB_BG, ['report', '', input]);
      await waitForFn(c, 'report', (s) => s.total === 0, 'the next job completed');
      assert.deepEqual(readRuns(log).map((r) => r.handle), [handle, next]);
      assert.ok(worker.running, 'the Perl worker is still running');
      assert.match(worker.stderrText(), /Job 'dies' died: gearhq:reschedule \+1/);
      await env.stop();
      const { record, events } = await readHistory(env.dataDir, handle);
      assert.equal(record.state, 'failed');
      assert.equal(record.outcome, 'exception');
      const error = record.error ?? Buffer.alloc(0);
      assert.ok(error.includes('gearhq:reschedule +1') && !error.toString('latin1').startsWith('gearhq:'),
        `the exception data is the Storable-frozen message: ${JSON.stringify(error.toString('latin1'))}`);
      assert.ok(!events.some((e) => e.type === 'rescheduled'));
    });
});
