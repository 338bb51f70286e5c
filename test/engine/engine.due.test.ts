import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Priority } from '../../src/engine/job.js';
import { setup } from './engine-setup.js';

test('due: a job due later is held (counted, not grabbable) until its time', () => {
  const t = setup();
  const now = t.clock.now();
  const job = t.submit(null, 'f', { background: true, dueAt: now + 60_000 });
  assert.equal(job.state, 'scheduled');
  assert.equal(t.engine.fn('f').total, 1, 'status counts it');
  assert.equal(t.engine.status(job.handle).known, true);
  const w = t.worker(['f']);
  assert.equal(t.grab(w), null);
  t.clock.advance(59_999);
  assert.equal(t.grab(w), null);
  t.clock.advance(1);
  assert.equal(job.state, 'queued');
  assert.equal(t.grab(w), job.handle);
});

test('due: PRE_SLEEP does not answer NOOP for a job that is not due yet', () => {
  const t = setup();
  t.submit(null, 'f', { background: true, dueAt: t.clock.now() + 5000 });
  const w = t.worker(['f']);
  t.engine.preSleep(w);
  assert.deepEqual(w.out.take(), []);
});

test('due: sleeping workers are NOOPed when the job becomes due, not before', () => {
  const t = setup();
  const w = t.sleeper(['f']);
  t.submit(null, 'f', { background: true, dueAt: t.clock.now() + 10_000 });
  assert.deepEqual(w.out.take(), [], 'no pointless wake-up at submission');
  t.clock.advance(9_999);
  assert.deepEqual(w.out.take(), []);
  t.clock.advance(1);
  assert.deepEqual(w.out.take(), ['NOOP']);
});

test('due: jobs are released in due order, whatever order they were submitted in', () => {
  const t = setup();
  const base = t.clock.now();
  for (const [sec, name] of [[30, 'c'], [10, 'a'], [20, 'b'], [10, 'a2'], [40, 'd']] as const) {
    t.submit(null, 'f', { background: true, dueAt: base + sec * 1000, payload: name });
  }
  const w = t.worker(['f']);
  const released: string[] = [];
  t.engine.events.on('job.due', (job) => released.push(`${job.payload}@${(t.clock.now() - base) / 1000}`));
  t.clock.advance(25_000);
  assert.deepEqual(released, ['a@10', 'a2@10', 'b@20']);
  assert.deepEqual(t.drain(w), ['a', 'a2', 'b']);
  t.clock.advance(100_000);
  assert.deepEqual(released, ['a@10', 'a2@10', 'b@20', 'c@30', 'd@40']);
  assert.deepEqual(t.drain(w), ['c', 'd']);
});

test('due: all due in one jump → queued in due order', () => {
  const t = setup();
  const base = t.clock.now();
  t.submit(null, 'f', { background: true, dueAt: base + 3000, payload: 'third' });
  t.submit(null, 'f', { background: true, dueAt: base + 1000, payload: 'first' });
  t.submit(null, 'f', { background: true, dueAt: base + 2000, payload: 'second' });
  t.clock.advance(10_000);
  assert.deepEqual(t.drain(t.worker(['f'])), ['first', 'second', 'third']);
});

test('due: a held job never blocks other jobs of the same or lower priority', () => {
  const t = setup();
  t.submit(null, 'f', { background: true, dueAt: t.clock.now() + 60_000, payload: 'later', priority: Priority.HIGH });
  t.submit(null, 'f', { background: true, payload: 'normal-now' });
  t.submit(null, 'f', { background: true, payload: 'low-now', priority: Priority.LOW });
  const w = t.worker(['f']);
  assert.deepEqual(t.drain(w), ['normal-now', 'low-now']);
  t.engine.preSleep(w);
  assert.deepEqual(w.out.take(), [], 'and no busy loop: PRE_SLEEP sleeps');
});

test('due: a due time in the past, now, or 0 means run at once', () => {
  const t = setup();
  const w = t.sleeper(['f']);
  const past = t.submit(null, 'f', { background: true, dueAt: t.clock.now() - 5000 });
  const now = t.submit(null, 'f', { background: true, dueAt: t.clock.now() });
  const zero = t.submit(null, 'f', { background: true, dueAt: 0 });
  for (const j of [past, now, zero]) {
    assert.equal(j.state, 'queued');
    assert.equal(j.dueAt, 0);
  }
  assert.deepEqual(w.out.take(), ['NOOP']);
});

test('due: an earlier job submitted after a later one re-arms the timer earlier', () => {
  const t = setup();
  const w = t.sleeper(['f']);
  t.submit(null, 'f', { background: true, dueAt: t.clock.now() + 60_000, payload: 'late' });
  t.submit(null, 'f', { background: true, dueAt: t.clock.now() + 5_000, payload: 'early' });
  t.clock.advance(5_000);
  assert.deepEqual(w.out.take(), ['NOOP']);
  assert.deepEqual(t.drain(w), ['early']);
  t.engine.preSleep(w);
  t.clock.advance(54_999);
  assert.deepEqual(w.out.take(), []);
  t.clock.advance(1);
  assert.deepEqual(w.out.take(), ['NOOP']);
  assert.deepEqual(t.drain(w), ['late']);
});

test('due: at most one due timer is pending however many jobs are held', () => {
  const t = setup();
  for (let i = 1; i <= 50; i++) t.submit(null, 'f', { background: true, dueAt: t.clock.now() + i * 1000 });
  assert.equal(t.clock.pendingTimers, 1);
  t.clock.advance(25_500);
  assert.equal(t.clock.pendingTimers, 1);
  assert.equal(t.engine.fn('f').queuedTotal, 25);
  t.clock.advance(100_000);
  assert.equal(t.clock.pendingTimers, 0);
  assert.equal(t.engine.fn('f').queuedTotal, 50);
});

test('due: held jobs of different functions each wake their own sleepers at their own time', () => {
  const t = setup();
  const wa = t.sleeper(['a']);
  const wb = t.sleeper(['b']);
  t.submit(null, 'a', { background: true, dueAt: t.clock.now() + 1000 });
  t.submit(null, 'b', { background: true, dueAt: t.clock.now() + 2000 });
  t.clock.advance(1000);
  assert.deepEqual([wa.out.take(), wb.out.take()], [['NOOP'], []]);
  t.clock.advance(1000);
  assert.deepEqual([wa.out.take(), wb.out.take()], [[], ['NOOP']]);
});

test('due: releaseDue() called early does nothing; the timer still fires on time', () => {
  const t = setup();
  const job = t.submit(null, 'f', { background: true, dueAt: t.clock.now() + 1000 });
  t.engine.releaseDue();
  assert.equal(job.state, 'scheduled');
  t.clock.advance(1000);
  assert.equal(job.state, 'queued');
});

test('due: a held job coalesces with later submissions of the same unique', () => {
  const t = setup();
  const job = t.submit(null, 'f', { unique: 'u', background: true, dueAt: t.clock.now() + 1000 });
  assert.equal(t.submit(null, 'f', { unique: 'u', background: true }), job);
  assert.equal(job.state, 'scheduled', 'the later (immediate) submission does not change the due time');
});

test('due: a queued job rescheduled to now keeps its one place in the queue', () => {
  const t = setup();
  const a = t.submit(null, 'f', { background: true, payload: 'a' });
  t.submit(null, 'f', { background: true, payload: 'b' });
  assert.equal(t.engine.rescheduleWaiting(a.handle, t.clock.now()), a);
  assert.equal(t.engine.fn('f').queuedTotal, 2);
  assert.equal([...t.engine.fn('f').queues[Priority.NORMAL]!].length, 2, 'no second FIFO entry for a');
  const w = t.worker(['f']);
  assert.deepEqual(t.drain(w), ['a', 'b']);
  // Rescheduled to later, it leaves the queue and comes back (at the back) when due.
  const c = t.submit(null, 'f', { background: true, payload: 'c' });
  t.submit(null, 'f', { background: true, payload: 'd' });
  t.engine.rescheduleWaiting(c.handle, t.clock.now() + 1000);
  assert.equal(c.state, 'scheduled');
  t.clock.advance(1000);
  const waiting = [...t.engine.fn('f').waiting(Priority.NORMAL)].map((j) => j.payload.toString());
  assert.deepEqual(waiting, ['d', 'c'], 'listed once, at its new place (its old entry is stale)');
  assert.deepEqual(t.drain(w), ['d', 'c'], 'handed out at its new place, not its old one');
});
