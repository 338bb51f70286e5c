/**
 * StatsEngine on a fake clock: counters and percentiles follow jobs through the engine, windows
 * slide by slots, gauges, the oldest waiting job and the drain forecast, and minute roll-ups.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseRetryPolicy } from '../../src/engine/retry-policy.js';
import { Priority } from '../../src/engine/job.js';
import { RELATIVE_ERROR } from '../../src/stats/log-histogram.js';
import { StatsEngine } from '../../src/stats/stats-engine.js';
import type { FunctionStats, StatsWindow } from '../../src/stats/stats-types.js';
import { setup as engineSetup } from '../engine/engine-setup.js';

function setup() {
  const t = engineSetup();
  const stats = new StatsEngine(t.engine);
  stats.start();
  const row = (window: StatsWindow, fn: string): FunctionStats => {
    const r = stats.snapshot(window).functions.find((f) => f.function === fn);
    assert.ok(r, `a row for ${fn}`);
    return r;
  };
  return { ...t, stats, row };
}

function near(got: number | null, want: number, what: string): void {
  assert.ok(got !== null && Math.abs(got - want) <= want * RELATIVE_ERROR + 1e-9, `${what}: got ${got}, want ~${want}`);
}

test('stats engine: counters, failure rate and wait/runtime/completion percentiles follow the jobs', () => {
  const t = setup();
  const w = t.worker(['resize']);
  for (let i = 0; i < 4; i++) t.submit(null, 'resize', { background: true, payload: `p${i}` });
  t.clock.advance(100);
  let job = t.engine.grab(w)!;
  t.clock.advance(250);
  assert.equal(t.engine.workComplete(w, job.handle, Buffer.from('ok')), null);
  job = t.engine.grab(w)!;
  t.clock.advance(50);
  t.engine.workFail(w, job.handle);
  job = t.engine.grab(w)!;
  t.engine.workException(w, job.handle, Buffer.from('boom'));
  const last = t.engine.grab(w)!;
  assert.ok(t.engine.cancel(last.handle), 'cancelled while running');

  const r = t.row('1m', 'resize');
  assert.deepEqual(
    [r.submitted, r.completed, r.failed, r.exceptions, r.retried, r.cancelled],
    [4, 1, 2, 1, 0, 1]);
  assert.equal(r.failureRate, 2 / 3);
  near(r.wait.p50, 350, 'wait p50 (the second job waited 100 + 250 ms)');
  near(r.wait.p99, 400, 'wait p99');
  assert.equal(r.wait.count, 4);
  near(r.runtime.p50, 250, 'runtime');
  near(r.timeToCompletion.p95, 350, 'time to completion');
  assert.equal(r.runtime.count, 1);
  assert.equal(r.throughput, 1 / 1, 'one completion over the one second (minimum) covered since start');
  const snap = t.stats.snapshot('1m');
  assert.equal(snap.totals.completed, 1);
  assert.equal(snap.totals.failureRate, 2 / 3);
  assert.equal(snap.window, '1m');
  assert.equal(snap.at, t.clock.now());
});

test('stats engine: retries and exceptions that are retried count as such, not as failures', () => {
  const t = setup();
  t.engine.setPolicy('mail', parseRetryPolicy({ maxAttempts: 3, backoff: { initialMs: 1000, factor: 1, maxMs: 1000, jitter: 0 }, retryOn: ['fail', 'exception'] }));
  const w = t.worker(['mail']);
  t.submit(null, 'mail', { background: true });
  let job = t.engine.grab(w)!;
  t.engine.workException(w, job.handle, Buffer.from('x'));
  t.clock.advance(1000);
  job = t.engine.grab(w)!;
  t.engine.workComplete(w, job.handle, Buffer.alloc(0));
  const r = t.row('5m', 'mail');
  assert.deepEqual([r.retried, r.exceptions, r.failed, r.completed, r.failureRate], [1, 1, 0, 1, 0]);
  near(r.timeToCompletion.p50, 1000, 'time to completion spans the retry');
  assert.equal(r.wait.count, 2);
  assert.ok(r.wait.p99! < 1, 'the retry waited from its due time, not from submission');
});

test('stats engine: windows slide — 1m forgets after a minute, 5m after five, 1h after an hour', () => {
  const t = setup();
  const w = t.worker(['f']);
  for (let i = 0; i < 6; i++) t.submit(null, 'f', { background: true });
  t.drain(w);
  const completed = (win: StatsWindow) => t.row(win, 'f').completed;
  assert.deepEqual([completed('1m'), completed('5m'), completed('1h')], [6, 6, 6]);
  t.clock.advance(61_000);
  assert.deepEqual([completed('1m'), completed('5m'), completed('1h')], [0, 6, 6]);
  t.clock.advance(5 * 60_000);
  assert.deepEqual([completed('1m'), completed('5m'), completed('1h')], [0, 0, 6]);
  assert.equal(t.row('1h', 'f').runtime.count, 6, 'histograms come along into the minute slots');
  t.clock.advance(55 * 60_000);
  assert.deepEqual([completed('1m'), completed('5m'), completed('1h')], [0, 0, 0]);
});

test('stats engine: throughput is completions per second of the time covered', () => {
  const t = setup();
  const w = t.worker(['f']);
  t.clock.advance(10 * 60_000); // well past start-up, so windows are whole
  for (let s = 0; s < 300; s++) {
    t.submit(null, 'f', { background: true });
    t.submit(null, 'f', { background: true });
    t.drain(w);
    t.clock.advance(1000);
  }
  const r1 = t.row('1m', 'f');
  assert.ok(Math.abs(r1.throughput - 2) < 0.1, `1m: 2 jobs/s, got ${r1.throughput}`);
  const r5 = t.row('5m', 'f');
  assert.ok(Math.abs(r5.throughput - 2) < 0.1, `5m: 2 jobs/s, got ${r5.throughput}`);
  const r60 = t.row('1h', 'f');
  assert.ok(Math.abs(r60.throughput - 600 / 900) < 0.05, `1h: 600 jobs over the 15 minutes since start-up, got ${r60.throughput}`);
});

test('stats engine: a snapshot says how many seconds its window covers, the divisor of its rates', () => {
  const t = setup(); // started at 12:00:00.000
  t.clock.advance(300);
  assert.equal(t.stats.snapshot('1m').seconds, 1, 'never less than a second');
  t.clock.advance(2200);
  assert.equal(t.stats.snapshot('5m').seconds, 2.5, 'only the time since start-up');
  t.clock.advance(10 * 60_000); // 12:10:02.5
  assert.equal(t.stats.snapshot('1m').seconds, 52.5, '1m: the current 10 s slot and the five before it');
  assert.equal(t.stats.snapshot('5m').seconds, 292.5);
  assert.equal(t.stats.snapshot('1h').seconds, 602.5, '1h reaches back to start-up only');
});

test('stats engine: gauges, the oldest waiting job and the drain forecast', () => {
  const t = setup();
  t.submit(null, 'q', { background: true, priority: Priority.LOW });
  t.clock.advance(5000);
  const cancelled = t.submit(null, 'q', { background: true, priority: Priority.HIGH });
  t.clock.advance(1000);
  t.submit(null, 'q', { background: true, priority: Priority.HIGH });
  t.submit(null, 'q', { background: true, dueAt: t.clock.now() + 3_600_000 });
  t.engine.cancel(cancelled.handle);
  let r = t.row('5m', 'q');
  assert.deepEqual(r.queued, { high: 1, normal: 0, low: 1 });
  assert.deepEqual([r.scheduled, r.running, r.workers, r.paused], [1, 0, 0, false]);
  assert.equal(r.oldestWaitingMs, 6000, 'the low-priority job has waited longest');
  assert.equal(r.drainEtaMs, null, 'no workers: not draining');

  // A worker finishing 2 jobs per second for a while: 6 queued drain in ~3 s.
  const w = t.worker(['q']);
  t.drain(w);
  for (let s = 0; s < 60; s++) {
    t.submit(null, 'q', { background: true });
    t.submit(null, 'q', { background: true });
    t.drain(w);
    t.clock.advance(1000);
  }
  for (let i = 0; i < 6; i++) t.submit(null, 'q', { background: true });
  r = t.row('5m', 'q');
  assert.equal(r.oldestWaitingMs, 0);
  assert.ok(r.drainEtaMs !== null && Math.abs(r.drainEtaMs - 3000) < 200, `drain ~3 s, got ${r.drainEtaMs}`);
  t.engine.pause('q');
  assert.equal(t.row('5m', 'q').drainEtaMs, null, 'paused: not draining');
  t.engine.resume('q');
  t.drain(w);
  assert.equal(t.row('5m', 'q').drainEtaMs, 0, 'nothing queued: drained');
  t.clock.advance(2 * 60_000);
  t.submit(null, 'q', { background: true });
  assert.equal(t.row('5m', 'q').drainEtaMs, null, 'nothing finished in the last minute: not draining');
});

test('stats engine: roll-ups give one row per function per ended minute, with the gauges on the newest', () => {
  const t = setup();
  const start = t.clock.now(); // 12:00:00 exactly
  const w = t.worker(['a']);
  t.submit(null, 'a', { background: true });
  t.clock.advance(30_000);
  t.drain(w);
  t.submit(null, 'b', { background: true });
  const first = Math.floor(start / 60_000) - 1;
  assert.deepEqual(t.stats.rollupsSince(first).rows, [], 'the minute has not ended');
  t.clock.advance(90_000); // 12:02:00
  const { rows, lastMinute } = t.stats.rollupsSince(first);
  assert.equal(lastMinute, first + 2);
  const brief = rows.map((r) => [r.fn, (r.at - start) / 60_000, r.submitted, r.completed, r.runtime.count, r.queued, r.workers]);
  assert.deepEqual(brief, [
    ['a', 0, 1, 1, 1, 0, 0],
    ['b', 0, 1, 0, 0, 0, 0],
    ['a', 1, 0, 0, 0, 0, 1], // nothing happened, but a worker is there
    ['b', 1, 0, 0, 0, 1, 0], // nothing happened, but a job waits
  ]);
  assert.deepEqual(t.stats.rollupsSince(lastMinute).rows, [], 'nothing new');
  t.stats.stop();
  t.submit(null, 'a', { background: true });
  assert.equal(t.row('1m', 'a').submitted, 0, 'stopped: no longer counting');
});

test('service rate: a function busy after an idle spell is measured over the time it has been busy', () => {
  const t = setup();
  const w = t.worker(['burst']);
  t.submit(null, 'burst', { background: true });
  t.drain(w);
  t.clock.advance(120_000); // two quiet minutes: nothing finished in the last one
  t.submit(null, 'burst', { background: true });
  assert.equal(t.stats.serviceRate('burst').reason, 'no-recent-finishes');
  // Now 10 jobs a second for 5 seconds.
  for (let s = 0; s < 5; s++) {
    for (let i = 0; i < 10; i++) t.submit(null, 'burst', { background: true });
    t.drain(w);
    t.clock.advance(1000);
  }
  const rate = t.stats.serviceRate('burst');
  // 51 finished since the start of their 10-second slot (at most 10 s ago): not 51 over a minute.
  assert.ok(rate.perSecond !== null && rate.perSecond >= 5, `rate ${rate.perSecond}/s over ${rate.seconds} s`);
  assert.ok(rate.seconds <= 10, `measured over ${rate.seconds} s`);
});
