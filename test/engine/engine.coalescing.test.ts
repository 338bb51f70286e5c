import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Priority } from '../../src/engine/job.js';
import { PacketType } from '../../src/protocol/packets.js';
import { setup } from './engine-setup.js';

test('coalescing: same unique and function → same job; every foreground client is attached', () => {
  const t = setup();
  const c1 = t.session();
  const c2 = t.session();
  const a = t.submit(c1, 'rev', { unique: 'u1', payload: 'one' });
  const b = t.submit(c2, 'rev', { unique: 'u1', payload: 'two', priority: Priority.HIGH });
  assert.equal(b, a);
  assert.equal(t.engine.jobs.size, 1);
  assert.deepEqual(a.clients, [c1, c2]);
  assert.equal(a.payload.toString(), 'one', 'the later workload is ignored');
  assert.equal(a.priority, Priority.NORMAL, 'the later priority is ignored');
  assert.equal(t.engine.status(a.handle).clients, 2);
  assert.equal(t.engine.fn('rev').total, 1);
});

test('coalescing: both clients receive every result packet', () => {
  const t = setup();
  const c1 = t.session();
  const c2 = t.session();
  const job = t.submit(c1, 'rev', { unique: 'u1' });
  t.submit(c2, 'rev', { unique: 'u1' });
  const w = t.worker(['rev']);
  assert.equal(t.grab(w), job.handle);
  t.engine.workStatus(w, job.handle, '1', '2');
  t.engine.workComplete(w, job.handle, Buffer.from('done'));
  for (const c of [c1, c2]) {
    assert.deepEqual(c.out.take(), [`WORK_STATUS ${job.handle} 1/2`, `WORK_COMPLETE ${job.handle} done`]);
  }
});

test('coalescing: a background duplicate adds a reference and receives nothing', () => {
  const t = setup();
  const fg = t.session();
  const bg = t.session();
  const job = t.submit(fg, 'rev', { unique: 'u1' });
  assert.equal(job.backgroundRefs, 0);
  assert.equal(t.submit(bg, 'rev', { unique: 'u1', background: true }), job);
  assert.equal(job.backgroundRefs, 1);
  assert.deepEqual(job.clients, [fg]);
  assert.equal(bg.attached, null);
  const w = t.worker(['rev']);
  t.grab(w);
  t.engine.workComplete(w, job.handle, Buffer.from('r'));
  assert.deepEqual(bg.out.take(), []);
  assert.deepEqual(fg.out.take(), [`WORK_COMPLETE ${job.handle} r`]);
});

test('coalescing: background onto background adds a reference per submission', () => {
  const t = setup();
  const job = t.submit(null, 'f', { unique: 'k', background: true });
  t.submit(null, 'f', { unique: 'k', background: true });
  t.submit(null, 'f', { unique: 'k', background: true, priority: Priority.LOW });
  assert.equal(job.backgroundRefs, 3);
  assert.equal(t.engine.jobs.size, 1);
});

test('coalescing: unique "-" coalesces by byte-identical workload', () => {
  const t = setup();
  const a = t.submit(null, 'f', { unique: '-', payload: 'same', background: true });
  const b = t.submit(null, 'f', { unique: '-', payload: 'same', background: true });
  const c = t.submit(null, 'f', { unique: '-', payload: 'different', background: true });
  const d = t.submit(null, 'f', { unique: '-', payload: Buffer.from('same\0'), background: true });
  assert.equal(b, a);
  assert.notEqual(c, a);
  assert.notEqual(d, a);
  assert.equal(a.unique, '-', 'the stored unique is the literal -');
  assert.equal(t.engine.jobs.size, 3);
});

test('coalescing: unique "-" with an empty workload never coalesces', () => {
  const t = setup();
  const a = t.submit(null, 'f', { unique: '-', payload: '', background: true });
  const b = t.submit(null, 'f', { unique: '-', payload: '', background: true });
  assert.notEqual(b, a);
  assert.equal(t.engine.jobs.size, 2);
});

test('coalescing: "-" keyed by workload does not collide with a unique equal to the workload', () => {
  const t = setup();
  const a = t.submit(null, 'f', { unique: '-', payload: 'abc', background: true });
  const b = t.submit(null, 'f', { unique: 'abc', payload: 'abc', background: true });
  assert.notEqual(b, a);
});

test('coalescing: an empty unique never coalesces, even with the same workload', () => {
  const t = setup();
  const c = t.session();
  const a = t.submit(c, 'f', { unique: '', payload: 'x' });
  const b = t.submit(c, 'f', { unique: '', payload: 'x' });
  assert.notEqual(b, a);
  assert.equal(t.engine.fn('f').total, 2);
});

test('coalescing: the same unique under another function is a separate job', () => {
  const t = setup();
  const a = t.submit(null, 'f1', { unique: 'u', background: true });
  const b = t.submit(null, 'f2', { unique: 'u', background: true });
  assert.notEqual(b, a);
  assert.notEqual(b.handle, a.handle);
});

test('coalescing: applies to a running job until it finishes, then a new job is made', () => {
  const t = setup();
  const c1 = t.session();
  const c2 = t.session();
  const job = t.submit(c1, 'f', { unique: 'u' });
  const w = t.worker(['f']);
  assert.equal(t.grab(w), job.handle);
  assert.equal(t.submit(c2, 'f', { unique: 'u' }), job, 'joins the running job');
  t.engine.workData(w, PacketType.WORK_DATA, job.handle, Buffer.from('partial'));
  t.engine.workComplete(w, job.handle, Buffer.from('r'));
  assert.deepEqual(c2.out.take(), [`WORK_DATA ${job.handle} partial`, `WORK_COMPLETE ${job.handle} r`]);
  const again = t.submit(c2, 'f', { unique: 'u' });
  assert.notEqual(again, job);
  assert.notEqual(again.handle, job.handle);
});

test('coalescing: after a failure, the same unique makes a new job', () => {
  const t = setup();
  const job = t.submit(null, 'f', { unique: 'u', background: true });
  const w = t.worker(['f']);
  t.grab(w);
  t.engine.workFail(w, job.handle);
  assert.notEqual(t.submit(null, 'f', { unique: 'u', background: true }), job);
});

test('coalescing: coalesced submissions bypass maxqueue', () => {
  const t = setup();
  t.submit(null, 'f', { unique: 'u', background: true });
  assert.equal(t.engine.setMaxQueue('f', [1, 1, 1]), true);
  assert.equal(t.engine.submit(null, t.request('f', { unique: 'v', background: true })), 'QUEUE_FULL');
  assert.equal(typeof t.engine.submit(null, t.request('f', { unique: 'u', background: true })), 'object');
});

test('coalescing: the "job.coalesced" event carries the job, the submitter and background-ness', () => {
  const t = setup();
  const c = t.session();
  const job = t.submit(null, 'f', { unique: 'u', background: true });
  t.submit(c, 'f', { unique: 'u' });
  t.submit(null, 'f', { unique: 'u', background: true });
  const coalesced = t.events.filter((e) => e[0] === 'job.coalesced');
  assert.deepEqual(coalesced, [['job.coalesced', job, c, false], ['job.coalesced', job, null, true]]);
  assert.equal(t.events.filter((e) => e[0] === 'job.submitted').length, 1);
});

test('coalescing: statusByUnique reports the job and its waiting clients; empty unique never matches', () => {
  const t = setup();
  const c1 = t.session();
  const c2 = t.session();
  t.submit(c1, 'f', { unique: 'u' });
  t.submit(c2, 'f', { unique: 'u' });
  assert.deepEqual(t.engine.statusByUnique('u'), { known: true, running: false, numerator: '0', denominator: '0', clients: 2 });
  t.submit(null, 'f', { unique: '', background: true });
  assert.equal(t.engine.statusByUnique('').known, false);
  assert.equal(t.engine.statusByUnique('nope').known, false);
});

test('coalescing: statusByUnique ignores the function and returns the newest job with that unique', () => {
  const t = setup();
  const w = t.worker(['f2']);
  t.submit(null, 'f1', { unique: 'u', background: true });
  const newer = t.submit(null, 'f2', { unique: 'u', background: true });
  t.grab(w);
  t.engine.workStatus(w, newer.handle, '3', '4');
  assert.deepEqual(t.engine.statusByUnique('u'), { known: true, running: true, numerator: '3', denominator: '4', clients: 0 });
});

test('coalescing: statusByUnique still finds the older job once the newer one with that unique finishes', () => {
  const t = setup();
  const w = t.worker(['f2']);
  const older = t.submit(null, 'f1', { unique: 'u', background: true });
  const newer = t.submit(null, 'f2', { unique: 'u', background: true });
  t.grab(w);
  t.engine.workComplete(w, newer.handle, Buffer.alloc(0));
  assert.ok(t.engine.jobs.has(older.handle), 'the f1 job is still queued');
  assert.equal(t.engine.statusByUnique('u').known, true, 'an active job with unique "u" exists');
});

test('coalescing: statusByUnique finds `-` jobs (indexed by workload) by their unique `-`', () => {
  const t = setup();
  t.submit(null, 'f1', { unique: '-', background: true, payload: 'a' });
  const newer = t.submit(null, 'f2', { unique: '-', background: true, payload: 'b' });
  t.engine.cancel(newer.handle);
  assert.equal(t.engine.statusByUnique('-').known, true, 'the f1 job is still queued');
});
