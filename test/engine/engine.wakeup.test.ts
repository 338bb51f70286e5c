import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Priority } from '../../src/engine/job.js';
import { setup } from './engine-setup.js';

test('wakeup: PRE_SLEEP with work waiting answers NOOP at once', () => {
  const t = setup();
  t.submit(null, 'f', { background: true });
  const w = t.worker(['f']);
  t.engine.preSleep(w);
  assert.deepEqual(w.out.take(), ['NOOP']);
});

test('wakeup: PRE_SLEEP sees work in any of the worker\'s functions and any priority', () => {
  const t = setup();
  t.submit(null, 'b', { background: true, priority: Priority.LOW });
  const w = t.worker(['a', 'b', 'c']);
  t.engine.preSleep(w);
  assert.deepEqual(w.out.take(), ['NOOP']);
});

test('wakeup: PRE_SLEEP with no work for this worker sends nothing; a new job NOOPs it', () => {
  const t = setup();
  t.submit(null, 'other', { background: true });
  const w = t.sleeper(['f']);
  t.submit(null, 'f', { background: true });
  assert.deepEqual(w.out.take(), ['NOOP']);
});

test('wakeup: every sleeping worker is woken once; no second NOOP until it GRABs', () => {
  const t = setup();
  const ws = [t.sleeper(['f']), t.sleeper(['f']), t.sleeper(['f'])];
  t.submit(null, 'f', { background: true });
  for (const w of ws) assert.deepEqual(w.out.take(), ['NOOP']);
  t.submit(null, 'f', { background: true });
  t.submit(null, 'f', { background: true });
  for (const w of ws) assert.deepEqual(w.out.take(), [], 'a NOOP is already outstanding');
  // A second PRE_SLEEP while a NOOP is outstanding does not add another either.
  t.engine.preSleep(ws[0]!);
  assert.deepEqual(ws[0]!.out.take(), []);
});

test('wakeup: after GRAB and PRE_SLEEP again, the worker can be woken again', () => {
  const t = setup();
  const w = t.sleeper(['f']);
  t.submit(null, 'f', { background: true });
  assert.deepEqual(w.out.take(), ['NOOP']);
  assert.notEqual(t.grab(w), null);
  assert.equal(t.grab(w), null);
  t.engine.preSleep(w);
  assert.deepEqual(w.out.take(), []);
  t.submit(null, 'f', { background: true });
  assert.deepEqual(w.out.take(), ['NOOP']);
});

test('wakeup: a worker that never sent PRE_SLEEP gets no NOOP', () => {
  const t = setup();
  const poller = t.worker(['f']);
  const sleeper = t.sleeper(['f']);
  t.submit(null, 'f', { background: true });
  assert.deepEqual(poller.out.take(), []);
  assert.deepEqual(sleeper.out.take(), ['NOOP']);
});

test('wakeup: a sleeping worker of another function is not woken', () => {
  const t = setup();
  const w = t.sleeper(['g']);
  t.submit(null, 'f', { background: true });
  assert.deepEqual(w.out.take(), []);
});

test('wakeup: -w 1 rotates across three sleepers; a fourth job wakes none', () => {
  const t = setup({ workerWakeup: 1 });
  const ws = [t.sleeper(['f']), t.sleeper(['f']), t.sleeper(['f'])];
  const woken: number[] = [];
  for (let job = 0; job < 4; job++) {
    t.submit(null, 'f', { background: true });
    const now = ws.map((w, i) => (w.out.take().includes('NOOP') ? i : -1)).filter((i) => i >= 0);
    assert.ok(now.length <= 1, `job ${job} woke ${now.length} workers`);
    woken.push(...now);
  }
  assert.equal(woken.length, 3, 'jobs 1..3 each woke one worker, job 4 none');
  assert.deepEqual([...woken].sort(), [0, 1, 2], 'each a different worker');
});

test('wakeup: -w 2 wakes at most two sleepers per job', () => {
  const t = setup({ workerWakeup: 2 });
  const ws = [t.sleeper(['f']), t.sleeper(['f']), t.sleeper(['f'])];
  t.submit(null, 'f', { background: true });
  assert.equal(ws.reduce((n, w) => n + w.out.noops, 0), 2);
});

test('wakeup: -w 1 skips workers that are awake or already NOOPed', () => {
  const t = setup({ workerWakeup: 1 });
  const awake = t.worker(['f']);
  const first = t.sleeper(['f']);
  const second = t.sleeper(['f']);
  t.submit(null, 'f', { background: true });
  t.submit(null, 'f', { background: true });
  assert.equal(awake.out.noops, 0);
  assert.equal(first.out.noops, 1);
  assert.equal(second.out.noops, 1);
});

test('wakeup: a requeue after worker loss wakes sleepers', () => {
  const t = setup();
  t.submit(null, 'f', { background: true });
  const busy = t.worker(['f']);
  assert.notEqual(t.grab(busy), null);
  const idle = t.sleeper(['f']);
  t.engine.close(busy);
  assert.deepEqual(idle.out.take(), ['NOOP']);
});

test('wakeup: with -w 1 a requeue after worker loss wakes a live sleeper, not the departing worker', () => {
  // A worker may hold a job and sleep at once (it grabbed, then asked for more and got NO_JOB).
  const t = setup({ workerWakeup: 1 });
  t.submit(null, 'f', { background: true });
  const leaving = t.worker(['f']);
  assert.notEqual(t.grab(leaving), null);
  assert.equal(t.grab(leaving), null);
  t.engine.preSleep(leaving);
  const idle = t.sleeper(['f']);
  t.engine.close(leaving);
  assert.deepEqual({ leaving: leaving.out.take(), idle: idle.out.take() }, { leaving: [], idle: ['NOOP'] },
    'the live sleeper is woken for the requeued job, the closed session gets nothing');
});

test('wakeup: a closed worker is never NOOPed afterwards', () => {
  const t = setup();
  const gone = t.sleeper(['f']);
  t.engine.close(gone);
  t.submit(null, 'f', { background: true });
  assert.deepEqual(gone.out.take(), []);
  assert.equal(t.engine.fn('f').workers.length, 0);
});

test('wakeup: while assignments are held nobody gets a job or a NOOP; released, sleepers are woken', () => {
  const t = setup();
  const sleeper = t.sleeper(['f']);
  const running = t.worker(['f']);
  t.submit(null, 'f', { background: true, payload: 'before' });
  assert.deepEqual(sleeper.out.take(), ['NOOP']);
  const held = t.grab(running);
  assert.ok(held !== null, 'one job running');
  t.engine.holdAssignments(true);
  t.submit(null, 'f', { background: true, payload: 'during' });
  assert.equal(t.grab(sleeper), null, 'GRAB_JOB gets NO_JOB although two jobs wait');
  t.engine.preSleep(sleeper);
  assert.deepEqual(sleeper.out.take(), [], 'PRE_SLEEP sleeps: no NOOP while held');
  assert.equal(t.engine.workComplete(running, held, Buffer.from('done')), null, 'running work is delivered');
  assert.equal(t.grab(running), null);
  t.engine.preSleep(running);
  t.submit(null, 'f', { background: true, payload: 'later' });
  assert.deepEqual([sleeper.out.take(), running.out.take()], [[], []], 'no wake-ups for new jobs either');
  t.engine.holdAssignments(false);
  assert.deepEqual([sleeper.out.take(), running.out.take()], [['NOOP'], ['NOOP']], 'released: sleepers woken');
  assert.deepEqual([...t.drain(sleeper), ...t.drain(running)], ['during', 'later'], 'in their order');
});
