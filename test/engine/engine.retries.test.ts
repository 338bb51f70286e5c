/**
 * Retry policies and worker reschedules in the engine, on a fake clock.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseRetryPolicy } from '../../src/engine/retry-policy.js';
import { setup } from './engine-setup.js';

const threeTries = parseRetryPolicy({ maxAttempts: 3, backoff: { initialMs: 1000, factor: 2, maxMs: 60000 } });

function withPolicy(policy = threeTries) {
  const t = setup({ random: () => 0.5 });
  t.engine.setPolicy('f', policy);
  return t;
}

test('retries: a failed background job waits its back-off, runs again under the same handle, then fails for good', () => {
  const t = withPolicy();
  const w = t.worker(['f']);
  const job = t.submit(null, 'f', { background: true });
  assert.equal(t.grab(w), job.handle);
  t.engine.workFail(w, job.handle);
  assert.equal(job.state, 'scheduled');
  assert.equal(t.grab(w), null, 'not before its back-off');
  t.clock.advance(999);
  assert.equal(t.grab(w), null);
  t.clock.advance(1);
  assert.equal(t.grab(w), job.handle, 'attempt 2 after 1 s');
  t.engine.workException(w, job.handle, Buffer.from('boom'));
  t.clock.advance(2000);
  assert.equal(t.grab(w), job.handle, 'attempt 3 after 2 s more');
  t.engine.workFail(w, job.handle);
  assert.equal(job.state, 'failed');
  assert.equal(t.engine.status(job.handle).known, false);
  const names = t.eventNames((n) => n === 'job.retrying' || n === 'job.failed');
  assert.deepEqual(names, ['job.retrying', 'job.retrying', 'job.failed']);
});

test('retries: success on a later attempt completes the job', () => {
  const t = withPolicy();
  const w = t.worker(['f']);
  const job = t.submit(null, 'f', { background: true });
  t.grab(w);
  t.engine.workFail(w, job.handle);
  t.clock.advance(1000);
  t.grab(w);
  assert.equal(t.engine.workComplete(w, job.handle, Buffer.from('ok')), null);
  assert.equal(job.state, 'completed');
  assert.equal(job.attempts, 2);
});

test('retries: sleeping workers are woken when a retry becomes due', () => {
  const t = withPolicy();
  const w = t.worker(['f']);
  const job = t.submit(null, 'f', { background: true });
  t.grab(w);
  t.engine.workFail(w, job.handle);
  t.engine.grab(w);
  t.engine.preSleep(w);
  w.out.take();
  t.clock.advance(1000);
  assert.deepEqual(w.out.take(), ['NOOP']);
});

test('retries: outcomes outside retryOn behave as gearmand (fail ends it, loss requeues at once)', () => {
  const t = withPolicy(parseRetryPolicy({ maxAttempts: 5, retryOn: ['exception'] }));
  const w = t.worker(['f']);
  const a = t.submit(null, 'f', { background: true, payload: 'a' });
  t.grab(w);
  t.engine.workFail(w, a.handle);
  assert.equal(a.state, 'failed');
  const b = t.submit(null, 'f', { background: true, payload: 'b' });
  t.grab(w);
  t.engine.close(w);
  assert.equal(b.state, 'queued', 'a lost worker still requeues at once');
});

test('retries: a lost worker retries with back-off when the policy covers it', () => {
  const t = withPolicy(parseRetryPolicy({ maxAttempts: 2, retryOn: ['lost'] }));
  const w1 = t.worker(['f']);
  const job = t.submit(null, 'f', { background: true });
  t.grab(w1);
  t.engine.close(w1);
  assert.equal(job.state, 'scheduled');
  const w2 = t.worker(['f']);
  t.clock.advance(1000);
  t.grab(w2);
  t.engine.close(w2);
  assert.equal(job.state, 'failed', 'two attempts, both lost');
});

test('retries: foreground jobs are not retried unless the policy says so', () => {
  const t = withPolicy();
  const w = t.worker(['f']);
  const c = t.session();
  const job = t.submit(c, 'f');
  t.grab(w);
  t.engine.workFail(w, job.handle);
  assert.deepEqual(c.out.take(), [`WORK_FAIL ${job.handle}`]);
  const t2 = withPolicy(parseRetryPolicy({ maxAttempts: 2, foreground: true }));
  const w2 = t2.worker(['f']);
  const c2 = t2.session();
  const fg = t2.submit(c2, 'f');
  t2.grab(w2);
  t2.engine.workFail(w2, fg.handle);
  assert.deepEqual(c2.out.take(), [], 'the client keeps waiting');
  t2.clock.advance(1000);
  t2.grab(w2);
  t2.engine.workComplete(w2, fg.handle, Buffer.from('second time'));
  assert.deepEqual(c2.out.take(), [`WORK_COMPLETE ${fg.handle} second time`]);
});

test('retries: without any policy a failed background job simply ends (gearmand)', () => {
  const t = setup();
  const w = t.worker(['f']);
  const job = t.submit(null, 'f', { background: true });
  t.grab(w);
  t.engine.workFail(w, job.handle);
  assert.equal(job.state, 'failed');
});

test('retries: a server-wide default applies to functions without their own policy', () => {
  const t = setup({ defaultPolicy: parseRetryPolicy({ maxAttempts: 2 }), random: () => 0.5 });
  t.engine.setPolicy('nopolicy', parseRetryPolicy({ maxAttempts: 1 }));
  const w = t.worker(['f', 'nopolicy']);
  const a = t.submit(null, 'f', { background: true });
  const b = t.submit(null, 'nopolicy', { background: true });
  for (const h of [t.grab(w), t.grab(w)]) t.engine.workFail(w, h!);
  assert.equal(a.state, 'scheduled');
  assert.equal(b.state, 'failed');
});

test('reschedule: WORK_EXCEPTION "gearhq:reschedule +60" puts the job back for later, same handle, attempt given back', () => {
  const t = setup();
  const w = t.worker(['f']);
  const job = t.submit(null, 'f', { background: true, unique: 'monthly' });
  t.grab(w);
  assert.equal(t.engine.workException(w, job.handle, Buffer.from('gearhq:reschedule +60')), null);
  assert.equal(job.state, 'scheduled');
  assert.equal(job.attempts, 0);
  // The worker library's follow-up WORK_FAIL for the same job is tolerated once.
  assert.equal(t.engine.workFail(w, job.handle), null);
  assert.equal(t.engine.workFail(w, job.handle), 'JOB_NOT_FOUND_RESULT');
  assert.equal(t.engine.status(job.handle).known, true);
  t.clock.advance(59_999);
  assert.equal(t.grab(w), null);
  t.clock.advance(1);
  assert.equal(t.grab(w), job.handle);
  // Coalescing still finds it while it waits.
  assert.equal(t.eventNames((n) => n === 'job.rescheduled').length, 1);
});

test('reschedule: a foreground job\'s exception is forwarded, not taken as a reschedule', () => {
  const t = setup();
  const w = t.worker(['f']);
  const c = t.session();
  c.exceptions = true;
  const job = t.submit(c, 'f');
  t.grab(w);
  t.engine.workException(w, job.handle, Buffer.from('gearhq:reschedule +60'));
  assert.deepEqual(c.out.take(), [`${'WORK_EXCEPTION'} ${job.handle} gearhq:reschedule +60`]);
  assert.equal(job.state, 'failed');
});
