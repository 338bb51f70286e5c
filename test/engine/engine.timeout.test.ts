import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setup } from './engine-setup.js';

test('timeout: CAN_DO_TIMEOUT requeues a job still running when the time is up', () => {
  const t = setup();
  const c = t.session();
  const job = t.submit(c, 'f');
  const w = t.worker(['f'], 5000);
  assert.equal(t.grab(w), job.handle);
  t.clock.advance(4999);
  assert.equal(job.state, 'running');
  t.clock.advance(1);
  assert.equal(job.state, 'queued');
  assert.equal(job.retries, 1);
  assert.equal(job.worker, null);
  assert.deepEqual(c.out.take(), [], 'clients are not told');
  assert.deepEqual(t.events.filter((e) => e[0] === 'job.requeued'), [['job.requeued', job, 'timeout', w]]);
  assert.equal(t.engine.workComplete(w, job.handle, Buffer.from('late')), 'JOB_NOT_FOUND_RESULT');
  assert.equal(t.grab(w), job.handle, 'it can be taken again');
});

test('timeout: at least 1000 ms whatever smaller value was registered', () => {
  for (const ms of [1, 2, 999]) {
    const t = setup();
    const job = t.submit(null, 'f', { background: true });
    const w = t.worker(['f'], ms);
    t.grab(w);
    t.clock.advance(999);
    assert.equal(job.state, 'running', `${ms} ms: still running at 999 ms`);
    t.clock.advance(1);
    assert.equal(job.state, 'queued', `${ms} ms: requeued at 1000 ms`);
  }
});

test('timeout: one timer per running job, each from its own assignment time', () => {
  const t = setup();
  const a = t.submit(null, 'f', { background: true, payload: 'a' });
  const b = t.submit(null, 'f', { background: true, payload: 'b' });
  const w = t.worker(['f'], 2000);
  t.grab(w);
  t.clock.advance(1500);
  t.grab(w);
  assert.equal(t.clock.pendingTimers, 2);
  t.clock.advance(500);
  assert.equal(a.state, 'queued');
  assert.equal(b.state, 'running');
  t.clock.advance(1499);
  assert.equal(b.state, 'running');
  t.clock.advance(1);
  assert.equal(b.state, 'queued');
});

test('timeout: a completed job\'s timer is cleared and never fires', () => {
  const t = setup();
  const job = t.submit(null, 'f', { background: true });
  const w = t.worker(['f'], 1000);
  t.grab(w);
  assert.equal(t.clock.pendingTimers, 1);
  t.engine.workComplete(w, job.handle, Buffer.alloc(0));
  assert.equal(t.clock.pendingTimers, 0);
  t.clock.advance(10_000);
  assert.equal(t.eventNames((n) => n === 'job.requeued').length, 0);
});

test('timeout: a job requeued by the timer and grabbed again gets a fresh timer, the old one is gone', () => {
  const t = setup();
  const job = t.submit(null, 'f', { background: true });
  const w1 = t.worker(['f'], 1000);
  const w2 = t.worker(['f'], 3000);
  t.grab(w1);
  t.clock.advance(1000);
  assert.equal(t.grab(w2), job.handle);
  assert.equal(t.clock.pendingTimers, 1);
  t.clock.advance(2999);
  assert.equal(job.state, 'running');
  assert.equal(job.worker, w2);
  t.clock.advance(1);
  assert.equal(job.state, 'queued');
  assert.equal(job.retries, 2);
});

test('timeout: failed, exception and lost jobs leave no timer behind', () => {
  const t = setup();
  const w = t.worker(['f'], 1000);
  const a = t.submit(null, 'f', { background: true });
  t.grab(w);
  t.engine.workFail(w, a.handle);
  const b = t.submit(null, 'f', { background: true });
  t.grab(w);
  t.engine.workException(w, b.handle, Buffer.from('x'));
  t.submit(null, 'f', { background: true });
  t.grab(w);
  t.engine.close(w);
  assert.equal(t.clock.pendingTimers, 0);
});

test('timeout: PRE_SLEEP does not cancel a running job\'s timer', () => {
  const t = setup();
  const job = t.submit(null, 'f', { background: true });
  const w = t.worker(['f'], 1000);
  t.grab(w);
  t.engine.preSleep(w);
  t.clock.advance(1000);
  assert.equal(job.state, 'queued');
});

test('timeout: plain CAN_DO (timeout 0) arms no timer', () => {
  const t = setup();
  t.submit(null, 'f', { background: true });
  const w = t.worker(['f'], 0);
  t.grab(w);
  assert.equal(t.clock.pendingTimers, 0);
});

test('timeout: the timeout belongs to the registration; re-registering updates it', () => {
  const t = setup();
  const w = t.worker(['f'], 1000);
  assert.equal(t.engine.canDo(w, 'f', 5000), null);
  assert.equal(w.abilities.length, 1, 'one registration');
  const job = t.submit(null, 'f', { background: true });
  t.grab(w);
  t.clock.advance(4999);
  assert.equal(job.state, 'running');
  t.clock.advance(1);
  assert.equal(job.state, 'queued');
});

test('timeout: with -j 1 a timeout fails the job and its clients get WORK_FAIL', () => {
  const t = setup({ jobRetries: 1 });
  const c = t.session();
  const job = t.submit(c, 'f');
  const w = t.worker(['f'], 1000);
  t.grab(w);
  t.clock.advance(1000);
  assert.equal(job.state, 'failed');
  assert.deepEqual(c.out.take(), [`WORK_FAIL ${job.handle}`]);
});
