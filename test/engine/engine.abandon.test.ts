import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setup } from './engine-setup.js';

test('abandon: a foreground client leaving its queued job drops it at once', () => {
  const t = setup();
  const c = t.session();
  const job = t.submit(c, 'f');
  assert.equal(t.engine.fn('f').total, 1);
  t.engine.close(c);
  assert.equal(t.engine.fn('f').total, 0, 'status total decreases immediately');
  assert.equal(t.engine.fn('f').queuedTotal, 0);
  assert.equal(t.engine.status(job.handle).known, false);
  assert.equal(job.state, 'abandoned');
  const w = t.worker(['f']);
  assert.equal(t.grab(w), null, 'never assigned');
  assert.deepEqual(t.events.filter((e) => e[0] === 'job.abandoned'), [['job.abandoned', job]]);
});

test('abandon: PRE_SLEEP does not see an abandoned job', () => {
  const t = setup();
  const c = t.session();
  t.submit(c, 'f');
  t.engine.close(c);
  const w = t.worker(['f']);
  t.engine.preSleep(w);
  assert.deepEqual(w.out.take(), []);
});

test('abandon: not dropped while another foreground client still waits', () => {
  const t = setup();
  const c1 = t.session();
  const c2 = t.session();
  const job = t.submit(c1, 'f', { unique: 'u' });
  t.submit(c2, 'f', { unique: 'u' });
  t.engine.close(c1);
  assert.equal(job.state, 'queued');
  assert.equal(t.engine.status(job.handle).clients, 1);
  t.engine.close(c2);
  assert.equal(job.state, 'abandoned');
});

test('abandon: not dropped when a background submission coalesced onto it', () => {
  const t = setup();
  const c = t.session();
  const job = t.submit(c, 'f', { unique: 'u' });
  t.submit(null, 'f', { unique: 'u', background: true });
  t.engine.close(c);
  assert.equal(job.state, 'queued');
  assert.equal(t.engine.fn('f').total, 1);
  const w = t.worker(['f']);
  assert.equal(t.grab(w), job.handle);
});

test('abandon: a foreground client leaving a background job it joined does not drop it', () => {
  const t = setup();
  const job = t.submit(null, 'f', { unique: 'u', background: true });
  const c = t.session();
  t.submit(c, 'f', { unique: 'u' });
  t.engine.close(c);
  assert.equal(job.state, 'queued');
});

test('abandon: a running job whose last client left finishes normally; its result goes nowhere', () => {
  const t = setup();
  const c = t.session();
  const job = t.submit(c, 'f');
  const w = t.worker(['f']);
  t.grab(w);
  t.engine.close(c);
  assert.equal(job.state, 'running');
  assert.equal(t.engine.workComplete(w, job.handle, Buffer.from('r')), null);
  assert.deepEqual(c.out.take(), []);
  assert.equal(job.state, 'completed');
});

test('abandon: a running job with no client left is not requeued when its worker goes away', () => {
  const t = setup();
  const c = t.session();
  const job = t.submit(c, 'f');
  const w = t.worker(['f']);
  t.grab(w);
  t.engine.close(c);
  t.engine.close(w);
  assert.equal(job.state, 'abandoned');
  assert.equal(t.engine.fn('f').total, 0);
});

test('abandon: a client waiting on several jobs abandons each one', () => {
  const t = setup();
  const c = t.session();
  t.submit(c, 'f');
  t.submit(c, 'f');
  t.submit(c, 'g');
  t.engine.close(c);
  assert.equal(t.engine.jobs.size, 0);
  assert.equal(t.eventNames((n) => n === 'job.abandoned').length, 3);
});

test('cancel: a queued job is removed at once; its clients get WORK_FAIL', () => {
  const t = setup();
  const c = t.session();
  const job = t.submit(c, 'f', { unique: 'u' });
  assert.equal(t.engine.cancel(job.handle), true);
  assert.deepEqual(c.out.take(), [`WORK_FAIL ${job.handle}`]);
  assert.equal(job.state, 'cancelled');
  assert.equal(t.engine.fn('f').total, 0);
  assert.equal(t.engine.status(job.handle).known, false);
  const w = t.worker(['f']);
  assert.equal(t.grab(w), null);
  assert.notEqual(t.submit(null, 'f', { unique: 'u', background: true }), job, 'the unique is free again');
  assert.deepEqual(t.events.filter((e) => e[0] === 'job.cancelled'), [['job.cancelled', job]]);
});

test('cancel: unknown handle → false', () => {
  const t = setup();
  assert.equal(t.engine.cancel('H:t:42'), false);
});

test('cancel: a running job keeps running; clients get WORK_FAIL now and nothing later', () => {
  const t = setup();
  const c = t.session();
  const job = t.submit(c, 'f', { unique: 'u' });
  const w = t.worker(['f']);
  t.grab(w);
  assert.equal(t.engine.cancel(job.handle), true);
  assert.deepEqual(c.out.take(), [`WORK_FAIL ${job.handle}`]);
  assert.equal(job.state, 'running');
  const fresh = t.submit(null, 'f', { unique: 'u', background: true });
  assert.notEqual(fresh, job, 'new submissions no longer join it');
  assert.equal(t.engine.workComplete(w, job.handle, Buffer.from('r')), null, 'the worker is not punished');
  assert.deepEqual(c.out.take(), []);
  assert.equal(job.state, 'cancelled');
  assert.equal(t.engine.fn('f').running, 0);
  assert.equal(t.eventNames((n) => n === 'job.completed').length, 0);
});

test('cancel: a cancelled running job whose worker is lost is not requeued', () => {
  const t = setup();
  const job = t.submit(null, 'f', { background: true });
  const w = t.worker(['f']);
  t.grab(w);
  t.engine.cancel(job.handle);
  t.engine.close(w);
  assert.equal(job.state, 'cancelled');
  assert.equal(t.engine.fn('f').total, 0);
  assert.equal(t.engine.jobs.size, 0);
});

test('cancel: a scheduled job is removed and never released', () => {
  const t = setup();
  const job = t.submit(null, 'f', { background: true, dueAt: t.clock.now() + 60_000 });
  assert.equal(t.engine.fn('f').total, 1);
  t.engine.cancel(job.handle);
  assert.equal(t.engine.fn('f').total, 0);
  t.clock.advance(60_000);
  const w = t.worker(['f']);
  assert.equal(t.grab(w), null);
  assert.equal(t.eventNames((n) => n === 'job.due').length, 0);
});

test('abandon: a client that submitted the same unique twice and then left no longer holds the job', () => {
  // One connection, two submissions coalesced onto one job (e.g. two tasks in one batch).
  const t = setup();
  const c = t.session();
  const job = t.submit(c, 'f', { unique: 'u' });
  assert.equal(t.submit(c, 'f', { unique: 'u' }), job);
  t.engine.close(c);
  assert.equal((job.clients ?? []).includes(c), false, 'the closed session is not left among the job\'s clients');
  assert.equal(job.state, 'abandoned', 'nobody waits for it any more, so it is dropped');
  assert.equal(t.engine.fn('f').total, 0);
});
