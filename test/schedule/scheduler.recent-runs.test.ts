/**
 * The scheduler remembers each schedule's recent runs (newest first, at most RECENT_RUNS): the job
 * each tick submitted, or why the submission was refused. A change keeps them; a preview shows
 * them without changing anything.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { parseScheduleDef } from '../../src/schedule/cron-schedule.js';
import { RECENT_RUNS, Scheduler } from '../../src/schedule/scheduler.js';
import { Priority } from '../../src/engine/job.js';
import { setup as engineSetup } from '../engine/engine-setup.js';

const T0 = Date.UTC(2026, 5, 1, 12, 0, 0);

function setup() {
  const t = engineSetup();
  t.clock.advance(T0 - t.clock.now());
  const scheduler = new Scheduler(t.engine, null, pino({ level: 'silent' }));
  return { ...t, scheduler };
}

const everyMinute = parseScheduleDef({ name: 'tick', cron: '* * * * *', function: 'report' });

test('scheduler: recent runs are newest first, name their jobs, and stop at RECENT_RUNS', () => {
  const t = setup();
  t.scheduler.start([everyMinute], {});
  assert.deepEqual(t.scheduler.get('tick')!.recentRuns, []);
  t.clock.advance(60_000);
  const first = t.scheduler.get('tick')!.recentRuns;
  assert.equal(first.length, 1);
  assert.deepEqual(first[0], { at: T0 + 60_000, handle: t.scheduler.get('tick')!.lastJob, error: null });
  assert.ok(t.engine.jobs.has(first[0]!.handle!));
  t.clock.advance((RECENT_RUNS + 2) * 60_000);
  const runs = t.scheduler.get('tick')!.recentRuns;
  assert.equal(runs.length, RECENT_RUNS);
  assert.equal(runs[0]!.at, T0 + (RECENT_RUNS + 3) * 60_000);
  assert.deepEqual(runs.map((r) => r.at), [...runs.map((r) => r.at)].sort((a, b) => b - a));
});

test('scheduler: a refused submission is a run with its error and no job', () => {
  const t = setup();
  t.scheduler.start([everyMinute], {});
  t.engine.fn('report').maxQueue[Priority.NORMAL] = 1;
  t.clock.advance(2 * 60_000);
  const [refused, ok] = t.scheduler.get('tick')!.recentRuns;
  assert.deepEqual(refused, { at: T0 + 120_000, handle: null, error: 'QUEUE_FULL' });
  assert.equal(ok!.error, null);
  assert.notEqual(ok!.handle, null);
});

test('scheduler: a changed schedule keeps its runs; a preview shows the change and changes nothing', () => {
  const t = setup();
  t.scheduler.start([everyMinute], {});
  t.clock.advance(60_000);
  const hourly = { ...everyMinute, cron: '0 * * * *' };
  const preview = t.scheduler.preview(hourly, 2);
  assert.deepEqual(preview.nextRuns, [T0 + 3_600_000, T0 + 7_200_000]);
  assert.equal(preview.recentRuns.length, 1);
  assert.equal(t.scheduler.get('tick')!.cron, '* * * * *', 'the preview saved nothing');
  t.clock.advance(60_000);
  assert.equal(t.scheduler.get('tick')!.recentRuns.length, 2, 'and the schedule kept firing');
  t.scheduler.put(hourly);
  assert.equal(t.scheduler.get('tick')!.recentRuns.length, 2);
  assert.deepEqual(t.scheduler.preview({ ...everyMinute, name: 'new' }).recentRuns, []);
});

test('scheduler: a change clears the last error, and its preview says so too', () => {
  const t = setup();
  t.scheduler.start([everyMinute], {});
  t.engine.fn('report').maxQueue[Priority.NORMAL] = 1;
  t.clock.advance(2 * 60_000);
  assert.equal(t.scheduler.get('tick')!.lastError, 'QUEUE_FULL');
  const hourly = { ...everyMinute, cron: '0 * * * *' };
  const preview = t.scheduler.preview(hourly);
  assert.equal(preview.lastError, null);
  assert.equal(t.scheduler.get('tick')!.lastError, 'QUEUE_FULL', 'the preview changed nothing');
  t.scheduler.put(hourly);
  const changed = t.scheduler.get('tick')!;
  assert.deepEqual({ ...preview, nextRuns: [] }, { ...changed, nextRuns: [] }, 'the preview is what the change gave');
  assert.equal(changed.recentRuns[0]!.error, 'QUEUE_FULL', 'the refused run stays in the history');
});
