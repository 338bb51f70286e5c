import { test } from 'node:test';
import assert from 'node:assert/strict';
import { systemClock } from '../../src/engine/clock.js';
import { FakeClock } from '../support/fake-clock.js';

test('system clock: now() is wall-clock milliseconds', () => {
  const before = Date.now();
  const now = systemClock.now();
  assert.ok(now >= before && now <= Date.now());
});

test('system clock: a cleared timer never fires', async () => {
  let fired = false;
  const h = systemClock.setTimer(() => { fired = true; }, 5);
  systemClock.clearTimer(h);
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(fired, false);
});

test('system clock: a timer further out than 2^31-1 ms (an epoch job 30 days ahead) does not fire at once', async () => {
  // Node runs setTimeout delays above 2^31-1 ms after 1 ms; the due-job timer would then spin.
  let fired = 0;
  const h = systemClock.setTimer(() => { fired++; }, 30 * 24 * 3600 * 1000);
  await new Promise((r) => setTimeout(r, 30));
  systemClock.clearTimer(h);
  assert.equal(fired, 0);
});

test('fake clock: fires timers in due order, ties in the order set, with now() at each due time', () => {
  const c = new FakeClock(1000);
  const log: string[] = [];
  c.setTimer(() => log.push(`b@${c.now()}`), 20);
  c.setTimer(() => log.push(`a@${c.now()}`), 10);
  c.setTimer(() => log.push(`a2@${c.now()}`), 10);
  const gone = c.setTimer(() => log.push('never'), 15);
  c.clearTimer(gone);
  c.setTimer(() => {
    log.push(`c@${c.now()}`);
    c.setTimer(() => log.push(`d@${c.now()}`), 5);
  }, 25);
  c.advance(29);
  assert.deepEqual(log, ['a@1010', 'a2@1010', 'b@1020', 'c@1025']);
  assert.equal(c.now(), 1029);
  c.advance(1);
  assert.deepEqual(log.slice(4), ['d@1030']);
  assert.equal(c.pendingTimers, 0);
  assert.throws(() => c.advance(-1));
});

test('engine on the system clock: a job due in 30 days arms its due timer once and does not spin', async () => {
  const { Engine } = await import('../../src/engine/engine.js');
  let armed = 0;
  const handles: unknown[] = [];
  const counting = {
    now: () => systemClock.now(),
    setTimer: (fn: () => void, ms: number) => { armed++; const h = systemClock.setTimer(fn, ms); handles.push(h); return h; },
    clearTimer: (h: object) => systemClock.clearTimer(h),
  };
  const engine = new Engine({
    clock: counting, handlePrefix: 'H:t', jobRetries: 0, workerWakeup: 0, roundRobin: false,
    maxFunctionBytes: 512, maxUniqueBytes: 64, maxPayloadBytes: 1024,
  });
  const r = engine.submit(null, {
    fn: 'f', unique: '', payload: 'x', priority: 1, background: true,
    dueAt: Date.now() + 30 * 24 * 3600 * 1000, reducer: '',
  });
  assert.equal(typeof r, 'object');
  await new Promise((res) => setTimeout(res, 30));
  for (const h of handles) systemClock.clearTimer(h as object);
  assert.equal(armed, 1, `the due timer was armed ${armed} times in 30 ms`);
});
