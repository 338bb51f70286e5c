/**
 * Cron schedules on a fake clock: ticks, one job per tick, resuming after the last stored tick,
 * missed-run policies, pause and resume, and the previews.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { lastTickBetween, nextTick, nextTicks, parseScheduleDef, ScheduleError } from '../../src/schedule/cron-schedule.js';
import { Scheduler } from '../../src/schedule/scheduler.js';
import { Journal } from '../../src/store/journal.js';
import { MemoryStore } from '../../src/store/memory/memory-store.js';
import { setup as engineSetup } from '../engine/engine-setup.js';

const silent = pino({ level: 'silent' });
const T0 = Date.UTC(2026, 5, 1, 12, 0, 0); // a Monday, 12:00:00 UTC

function setup(store = new MemoryStore()) {
  const t = engineSetup();
  t.clock.advance(T0 - t.clock.now());
  const journal = new Journal(t.engine, store, silent, { maxStoredBytes: 1024, lazyCommitMs: 5, maxBatchJobs: 1000 });
  const scheduler = new Scheduler(t.engine, journal, silent);
  return { ...t, store, journal, scheduler };
}

const everyMinute = parseScheduleDef({ name: 'tick', cron: '* * * * *', function: 'report', payload: 'p' });

test('cron: schedules are validated with clear messages and defaults filled in', () => {
  assert.deepEqual(everyMinute, {
    name: 'tick', cron: '* * * * *', timezone: 'UTC', function: 'report', payload: 'p', unique: null,
    priority: 'normal', enabled: true, missed: 'skip',
  });
  for (const [bad, msg] of [
    [{ cron: '* * * * *', function: 'f' }, /name is required/],
    [{ name: 'a b', cron: '* * * * *', function: 'f' }, /name must be/],
    [{ name: 'x', cron: '* * *', function: 'f' }, /cron must have 5 or 6 fields, got 3/],
    [{ name: 'x', cron: '99 * * * *', function: 'f' }, /schedule x: /],
    [{ name: 'x', cron: '* * * * *', function: 'f', timezone: 'Mars/Olympus' }, /schedule x: /],
    [{ name: 'x', cron: '* * * * *', function: 'f', missed: 'later' }, /missed must be skip or run-once/],
    [{ name: 'x', cron: '* * * * *', function: 'f', every: 1 }, /unknown field "every"/],
  ] as const) {
    assert.throws(() => parseScheduleDef(bad), (e: Error) => e instanceof ScheduleError && msg.test(e.message), JSON.stringify(bad));
  }
});

test('cron: next ticks follow the time zone across daylight saving', () => {
  const berlin = parseScheduleDef({ name: 'b', cron: '30 2 * * *', timezone: 'Europe/Berlin', function: 'f' });
  // 2026-03-29: 02:30 does not exist in Berlin; it fires once that day, at 03:00 local (01:00Z).
  const spring = nextTicks(berlin, Date.UTC(2026, 2, 28, 12), 2).map((t) => new Date(t).toISOString());
  assert.deepEqual(spring, ['2026-03-29T01:00:00.000Z', '2026-03-30T00:30:00.000Z']);
  // 2026-10-25: 02:30 happens twice; it fires once.
  const autumn = nextTicks(berlin, Date.UTC(2026, 9, 24, 12), 2).map((t) => new Date(t).toISOString());
  assert.deepEqual(autumn, ['2026-10-25T00:30:00.000Z', '2026-10-26T01:30:00.000Z']);
  const secs = parseScheduleDef({ name: 's', cron: '*/10 * * * * *', function: 'f' });
  assert.equal(nextTick(secs, T0), T0 + 10_000);
  assert.equal(lastTickBetween(everyMinute, T0, T0 + 5 * 60_000 + 30_000), T0 + 5 * 60_000);
  assert.equal(lastTickBetween(everyMinute, T0, T0 + 59_000), null);
});

test('scheduler: fires one ordinary background job per tick, recorded with its firing', async () => {
  const t = setup();
  t.scheduler.start([everyMinute], {});
  t.clock.advance(59_999);
  assert.equal(t.engine.fn('report').total, 0);
  t.clock.advance(1);
  assert.equal(t.engine.fn('report').total, 1);
  t.clock.advance(60_000);
  assert.equal(t.engine.fn('report').total, 2);
  t.journal.commit();
  assert.deepEqual(await t.store.lastFirings(), { tick: T0 + 120_000 });
  const page = await t.store.listJobs({ fn: 'report', limit: 10 });
  assert.deepEqual(page.jobs.map((j) => j.unique), [`schedule:tick:${T0 + 120_000}`, `schedule:tick:${T0 + 60_000}`]);
  assert.ok(page.jobs.every((j) => j.background && j.payload.toString() === 'p'));
  const events = await t.store.jobEvents(page.jobs[0]!.id);
  assert.deepEqual(events.map((e) => e.type), ['schedule']);
  assert.equal(t.scheduler.get('tick')!.lastJob, page.jobs[0]!.handle);
});

test('scheduler: after a restart it resumes after the last stored tick and never fires a tick twice', () => {
  const t = setup();
  t.clock.advance(30_000); // restarted half a minute after the 12:00 tick fired
  t.scheduler.start([everyMinute], { tick: T0 });
  assert.equal(t.engine.fn('report').total, 0, 'the 12:00 tick is not fired again');
  t.clock.advance(30_000);
  assert.equal(t.engine.fn('report').total, 1, '12:01 fires');
});

test('scheduler: missed ticks after downtime are skipped, or run once', () => {
  const skip = setup();
  skip.clock.advance(10 * 60_000 + 1);
  skip.scheduler.start([everyMinute], { tick: T0 });
  assert.equal(skip.engine.fn('report').total, 0);
  const once = setup();
  once.clock.advance(10 * 60_000 + 1);
  once.scheduler.start([{ ...everyMinute, missed: 'run-once' }], { tick: T0 });
  assert.equal(once.engine.fn('report').total, 1, 'one job for the ten missed ticks');
  once.clock.advance(60_000);
  assert.equal(once.engine.fn('report').total, 2);
});

test('scheduler: pause stops firing, resume starts from now; a disabled schedule has no next runs', () => {
  const t = setup();
  t.scheduler.start([everyMinute], {});
  assert.equal(t.scheduler.setEnabled('tick', false), true);
  t.clock.advance(5 * 60_000);
  assert.equal(t.engine.fn('report').total, 0);
  assert.deepEqual(t.scheduler.get('tick')!.nextRuns, []);
  t.scheduler.setEnabled('tick', true);
  assert.deepEqual(t.scheduler.get('tick', 2)!.nextRuns, [T0 + 6 * 60_000, T0 + 7 * 60_000]);
  t.clock.advance(60_000);
  assert.equal(t.engine.fn('report').total, 1);
  assert.equal(t.scheduler.setEnabled('nope', true), false);
});

test('scheduler: a fixed unique keeps one job at a time (a tick while the last one waits joins it)', () => {
  const t = setup();
  t.scheduler.start([{ ...everyMinute, unique: 'only-one' }], {});
  t.clock.advance(3 * 60_000);
  assert.equal(t.engine.fn('report').total, 1);
});
