import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setup } from './engine-setup.js';

test('requeue: worker loss puts the job back at the tail with retries+1 and progress reset', () => {
  const t = setup();
  const c = t.session();
  const job = t.submit(c, 'f', { payload: 'first' });
  t.submit(null, 'f', { payload: 'second', background: true });
  const w1 = t.worker(['f']);
  assert.equal(t.grab(w1), job.handle);
  t.engine.workStatus(w1, job.handle, '3', '4');
  c.out.take();
  t.engine.close(w1);
  assert.equal(job.retries, 1);
  assert.equal(job.state, 'queued');
  assert.equal(job.worker, null);
  assert.deepEqual(t.engine.status(job.handle), { known: true, running: false, numerator: '0', denominator: '0', clients: 1 });
  assert.deepEqual(c.out.take(), [], 'clients are not told about the requeue');
  assert.equal(t.engine.fn('f').running, 0);
  const w2 = t.worker(['f']);
  assert.deepEqual(t.drain(w2), ['second', 'first']);
});

test('requeue: the lost worker\'s late result is refused with JOB_NOT_FOUND', () => {
  const t = setup();
  const job = t.submit(t.session(), 'f');
  const w1 = t.worker(['f']);
  t.grab(w1);
  t.engine.cantDo(w1, 'f');
  assert.equal(t.engine.workComplete(w1, job.handle, Buffer.alloc(0)), 'JOB_NOT_FOUND_RESULT');
});

test('requeue: -j 2 fails the job at the second loss; every client gets WORK_FAIL with the bare handle', () => {
  const t = setup({ jobRetries: 2 });
  const c1 = t.session();
  const c2 = t.session();
  const job = t.submit(c1, 'f', { unique: 'u' });
  t.submit(c2, 'f', { unique: 'u' });
  const w1 = t.worker(['f']);
  t.grab(w1);
  t.engine.close(w1);
  assert.equal(job.state, 'queued', 'first loss: requeued');
  assert.deepEqual(c1.out.take(), []);
  const w2 = t.worker(['f']);
  assert.equal(t.grab(w2), job.handle);
  t.engine.close(w2);
  assert.equal(job.state, 'failed');
  assert.equal(job.retries, 2);
  assert.deepEqual(c1.out.take(), [`WORK_FAIL ${job.handle}`]);
  assert.deepEqual(c2.out.take(), [`WORK_FAIL ${job.handle}`]);
  assert.equal(t.engine.status(job.handle).known, false);
  assert.equal(t.engine.fn('f').total, 0);
  const failed = t.events.filter((e) => e[0] === 'job.failed');
  assert.deepEqual(failed, [['job.failed', job, 'retries-exhausted', null]]);
});

test('requeue: -j 1 fails at the first loss; -j 0 never gives up', () => {
  const one = setup({ jobRetries: 1 });
  const bg = one.submit(null, 'f', { background: true });
  const w = one.worker(['f']);
  one.grab(w);
  one.engine.close(w);
  assert.equal(bg.state, 'failed');
  assert.equal(one.engine.jobs.size, 0);

  const zero = setup({ jobRetries: 0 });
  const job = zero.submit(null, 'f', { background: true });
  for (let i = 0; i < 20; i++) {
    const wi = zero.worker(['f']);
    assert.equal(zero.grab(wi), job.handle);
    zero.engine.close(wi);
  }
  assert.equal(job.state, 'queued');
  assert.equal(job.retries, 20);
});

test('requeue: CANT_DO requeues the jobs held for that function only', () => {
  const t = setup();
  const a = t.submit(null, 'a', { background: true });
  const b = t.submit(null, 'b', { background: true });
  const w = t.worker(['a', 'b']);
  const first = t.grab(w);
  const second = t.grab(w);
  assert.deepEqual([first, second].sort(), [a.handle, b.handle].sort());
  t.engine.cantDo(w, 'a');
  assert.equal(a.state, 'queued');
  assert.equal(a.retries, 1);
  assert.equal(b.state, 'running');
  assert.equal(b.worker, w);
  assert.equal(t.grab(w), null, 'no longer registered for a');
  assert.deepEqual(t.events.filter((e) => e[0] === 'job.requeued'), [['job.requeued', a, 'released', w]]);
});

test('requeue: CANT_DO of a function never registered is harmless', () => {
  const t = setup();
  const job = t.submit(null, 'a', { background: true });
  const w = t.worker(['a']);
  t.grab(w);
  t.engine.cantDo(w, 'zzz');
  t.engine.cantDo(w, 'a');
  t.engine.cantDo(w, 'a');
  assert.equal(job.state, 'queued');
  assert.equal(job.retries, 1);
});

test('requeue: RESET_ABILITIES requeues every held job and unregisters everything', () => {
  const t = setup();
  const a = t.submit(null, 'a', { background: true });
  const b = t.submit(null, 'b', { background: true });
  const w = t.worker(['a', 'b']);
  t.grab(w);
  t.grab(w);
  t.engine.resetAbilities(w);
  assert.equal(a.state, 'queued');
  assert.equal(b.state, 'queued');
  assert.equal(w.abilities.length, 0);
  assert.equal(t.engine.fn('a').workers.length, 0);
  assert.equal(t.grab(w), null);
  assert.equal(t.engine.workComplete(w, a.handle, Buffer.alloc(0)), 'JOB_NOT_FOUND_RESULT');
});

test('requeue: CANT_DO while another worker holds the function\'s job leaves that job alone', () => {
  const t = setup();
  const job = t.submit(null, 'f', { background: true });
  const holder = t.worker(['f']);
  const other = t.worker(['f']);
  t.grab(holder);
  t.engine.cantDo(other, 'f');
  t.engine.resetAbilities(other);
  assert.equal(job.state, 'running');
  assert.equal(job.worker, holder);
});

test('requeue: a worker disconnecting unregisters it and emits worker.disconnected once', () => {
  const t = setup();
  const w = t.worker(['a', 'b']);
  t.engine.close(w);
  t.engine.close(w);
  assert.equal(t.engine.fn('a').workers.length, 0);
  assert.equal(t.engine.fn('b').workers.length, 0);
  assert.deepEqual(t.events.filter((e) => e[0] === 'worker.disconnected'), [['worker.disconnected', w]]);
  assert.deepEqual(t.events.filter((e) => e[0] === 'session.closed'), [['session.closed', w]]);
});
