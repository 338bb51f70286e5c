import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setup } from './engine-setup.js';

test('events: a job\'s life emits submitted, assigned, status, data, completed with the right arguments', () => {
  const t = setup();
  const c = t.session();
  const w = t.worker(['f']);
  t.events.length = 0;
  const job = t.submit(c, 'f');
  t.grab(w);
  t.engine.workStatus(w, job.handle, '1', '2');
  t.engine.workData(w, 29, job.handle, Buffer.from('warn'));
  t.engine.workComplete(w, job.handle, Buffer.from('res'));
  assert.deepEqual(t.events, [
    ['job.submitted', job, c],
    ['job.assigned', job, w],
    ['job.status', job],
    ['job.data', job, 'warning', Buffer.from('warn')],
    ['job.completed', job, Buffer.from('res')],
  ]);
});

test('events: fail and exception emit job.failed with reason and data', () => {
  const t = setup();
  const w = t.worker(['f']);
  const a = t.submit(null, 'f', { background: true });
  t.grab(w);
  t.engine.workFail(w, a.handle);
  const b = t.submit(null, 'f', { background: true });
  t.grab(w);
  t.engine.workException(w, b.handle, Buffer.from('why'));
  assert.deepEqual(t.events.filter((e) => e[0] === 'job.failed'), [
    ['job.failed', a, 'fail', null],
    ['job.failed', b, 'exception', Buffer.from('why')],
  ]);
});

test('events: requeue reasons are lost, timeout and released, each with the worker that held the job', () => {
  const t = setup();
  const job = t.submit(null, 'f', { background: true });
  const w1 = t.worker(['f']);
  t.grab(w1);
  t.engine.close(w1);
  const w2 = t.worker(['f'], 1000);
  t.grab(w2);
  t.clock.advance(1000);
  t.grab(w2);
  t.engine.cantDo(w2, 'f');
  assert.deepEqual(t.events.filter((e) => e[0] === 'job.requeued'), [
    ['job.requeued', job, 'lost', w1],
    ['job.requeued', job, 'timeout', w2],
    ['job.requeued', job, 'released', w2],
  ]);
});

test('events: worker.connected once at the first registration, worker.disconnected at close', () => {
  const t = setup();
  const s = t.session();
  t.engine.canDo(s, 'a', 0);
  t.engine.canDo(s, 'b', 0);
  t.engine.canDo(s, 'a', 0);
  t.engine.close(s);
  const client = t.session();
  t.engine.close(client);
  assert.deepEqual(t.events.filter((e) => e[0].startsWith('worker.')), [
    ['worker.connected', s],
    ['worker.disconnected', s],
  ]);
  assert.deepEqual(t.eventNames((n) => n.startsWith('session.')), ['session.opened', 'session.closed', 'session.opened', 'session.closed']);
});

test('events: cancelled, abandoned, coalesced and due carry the job', () => {
  const t = setup();
  const c = t.session();
  const c2 = t.session();
  const a = t.submit(c2, 'f', { unique: 'u' });
  t.submit(c, 'f', { unique: 'u' });
  const b = t.submit(null, 'f', { background: true });
  t.engine.cancel(b.handle);
  const d = t.submit(null, 'f', { background: true, dueAt: t.clock.now() + 1000 });
  t.clock.advance(1000);
  t.engine.close(c2);
  t.engine.close(c);
  const interesting = t.events.filter((e) => ['job.coalesced', 'job.cancelled', 'job.due', 'job.abandoned'].includes(e[0]));
  assert.deepEqual(interesting, [
    ['job.coalesced', a, c, false],
    ['job.cancelled', b],
    ['job.due', d],
    ['job.abandoned', a],
  ]);
});

test('events: the emitter unsubscribes and tolerates no listeners', () => {
  const t = setup();
  const seen: string[] = [];
  const off = t.engine.events.on('job.submitted', (job) => seen.push(job.handle));
  t.submit(null, 'f', { background: true });
  off();
  off();
  t.submit(null, 'f', { background: true });
  assert.deepEqual(seen, ['H:t:1']);
});
