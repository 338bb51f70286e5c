import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PacketType } from '../../src/protocol/packets.js';
import { setup } from './engine-setup.js';

function running() {
  const t = setup();
  const c1 = t.session();
  const c2 = t.session();
  const job = t.submit(c1, 'f', { unique: 'u' });
  t.submit(c2, 'f', { unique: 'u' });
  const w = t.worker(['f']);
  assert.equal(t.grab(w), job.handle);
  return { ...t, c1, c2, job, h: job.handle, w };
}

test('results: WORK_DATA, WORK_WARNING, WORK_STATUS, WORK_COMPLETE reach every attached client in order', () => {
  const { engine, c1, c2, h, w } = running();
  assert.equal(engine.workData(w, PacketType.WORK_DATA, h, Buffer.from('d\x001')), null);
  assert.equal(engine.workData(w, PacketType.WORK_WARNING, h, Buffer.from('careful')), null);
  assert.equal(engine.workStatus(w, h, '5', '10'), null);
  assert.equal(engine.workComplete(w, h, Buffer.from('result')), null);
  const expected = [`WORK_DATA ${h} d\x001`, `WORK_WARNING ${h} careful`, `WORK_STATUS ${h} 5/10`, `WORK_COMPLETE ${h} result`];
  assert.deepEqual(c1.out.take(), expected);
  assert.deepEqual(c2.out.take(), expected);
  assert.deepEqual(w.out.take(), [], 'the worker is told nothing');
});

test('results: WORK_STATUS is stored for status(); the job is unknown once complete', () => {
  const { engine, h, w } = running();
  assert.deepEqual(engine.status(h), { known: true, running: true, numerator: '0', denominator: '0', clients: 2 });
  engine.workStatus(w, h, '7', '9');
  assert.deepEqual(engine.status(h), { known: true, running: true, numerator: '7', denominator: '9', clients: 2 });
  engine.workComplete(w, h, Buffer.alloc(0));
  assert.deepEqual(engine.status(h), { known: false, running: false, numerator: '0', denominator: '0', clients: 0 });
  assert.equal(engine.fn('f').total, 0);
  assert.equal(engine.fn('f').running, 0);
});

test('results: WORK_FAIL reaches every client as WORK_FAIL with the bare handle', () => {
  const { engine, c1, c2, h, w } = running();
  assert.equal(engine.workFail(w, h), null);
  assert.deepEqual(c1.out.take(), [`WORK_FAIL ${h}`]);
  assert.deepEqual(c2.out.take(), [`WORK_FAIL ${h}`]);
  assert.equal(engine.status(h).known, false);
});

test('results: WORK_EXCEPTION goes as WORK_EXCEPTION to clients with the exceptions option, as bare WORK_FAIL to others', () => {
  const { engine, c1, c2, h, w } = running();
  c1.exceptions = true;
  assert.equal(engine.workException(w, h, Buffer.from('boom\0trace')), null);
  assert.deepEqual(c1.out.take(), [`WORK_EXCEPTION ${h} boom\0trace`]);
  assert.deepEqual(c2.out.take(), [`WORK_FAIL ${h}`]);
  assert.equal(engine.status(h).known, false);
});

test('results: WORK_EXCEPTION with an empty body is still an exception to an exceptions client', () => {
  const { engine, c1, c2, h, w } = running();
  c1.exceptions = true;
  engine.workException(w, h, Buffer.alloc(0));
  assert.deepEqual(c1.out.take(), [`WORK_EXCEPTION ${h} `]);
  assert.deepEqual(c2.out.take(), [`WORK_FAIL ${h}`]);
});

test('results: a client that left before the result gets nothing; the others still do', () => {
  const { engine, c1, c2, h, w } = running();
  engine.close(c1);
  engine.workComplete(w, h, Buffer.from('r'));
  assert.deepEqual(c1.out.take(), []);
  assert.deepEqual(c2.out.take(), [`WORK_COMPLETE ${h} r`]);
});

test('results: from a connection that does not hold the job → the catalogue\'s JOB_NOT_FOUND codes', () => {
  const { engine, c1, h, w, worker } = running();
  const other = worker(['f']);
  assert.equal(engine.workStatus(other, h, '1', '2'), 'JOB_NOT_FOUND_RESULT');
  assert.equal(engine.workComplete(other, h, Buffer.from('x')), 'JOB_NOT_FOUND_RESULT');
  assert.equal(engine.workFail(other, h), 'JOB_NOT_FOUND_RESULT');
  assert.equal(engine.workData(other, PacketType.WORK_DATA, h, Buffer.from('x')), 'JOB_NOT_FOUND_DATA');
  assert.equal(engine.workData(other, PacketType.WORK_WARNING, h, Buffer.from('x')), 'JOB_NOT_FOUND_DATA');
  assert.equal(engine.workException(other, h, Buffer.from('x')), 'JOB_NOT_FOUND_EXCEPTION');
  assert.deepEqual(c1.out.take(), [], 'nothing forwarded');
  assert.equal(engine.status(h).running, true, 'the job is untouched');
  assert.equal(engine.workComplete(w, h, Buffer.from('ok')), null, 'the holder still can');
});

test('results: unknown handles and results after the job ended → JOB_NOT_FOUND codes', () => {
  const { engine, h, w } = running();
  assert.equal(engine.workComplete(w, 'H:t:999', Buffer.alloc(0)), 'JOB_NOT_FOUND_RESULT');
  engine.workComplete(w, h, Buffer.from('r'));
  assert.equal(engine.workComplete(w, h, Buffer.from('again')), 'JOB_NOT_FOUND_RESULT');
  assert.equal(engine.workFail(w, h), 'JOB_NOT_FOUND_RESULT');
  assert.equal(engine.workStatus(w, h, '1', '1'), 'JOB_NOT_FOUND_RESULT');
  assert.equal(engine.workData(w, PacketType.WORK_DATA, h, Buffer.alloc(0)), 'JOB_NOT_FOUND_DATA');
  assert.equal(engine.workException(w, h, Buffer.alloc(0)), 'JOB_NOT_FOUND_EXCEPTION');
});

test('results: a queued job (not held by anyone) cannot be reported on', () => {
  const t = setup();
  const job = t.submit(t.session(), 'f');
  const w = t.worker(['f']);
  assert.equal(t.engine.workComplete(w, job.handle, Buffer.alloc(0)), 'JOB_NOT_FOUND_RESULT');
  assert.equal(t.engine.status(job.handle).known, true);
});

test('results: background jobs forward to nobody and end normally', () => {
  const t = setup();
  const submitter = t.session();
  const job = t.submit(submitter, 'f', { background: true });
  const w = t.worker(['f']);
  t.grab(w);
  t.engine.workStatus(w, job.handle, '1', '2');
  assert.equal(t.engine.workComplete(w, job.handle, Buffer.from('r')), null);
  assert.deepEqual(submitter.out.take(), []);
  assert.equal(t.engine.jobs.size, 0);
});

test('results: a grabbed job carries what JOB_ASSIGN_ALL needs (function, unique, reducer, payload) and counts the attempt', () => {
  const t = setup();
  const job = t.submit(t.session(), 'f', { unique: 'u1', reducer: 'red', payload: Buffer.from('w\0x') });
  const w = t.worker(['f']);
  const got = t.engine.grab(w)!;
  assert.equal(got, job);
  assert.deepEqual([got.fn.name, got.unique, got.reducer, got.payload], ['f', 'u1', 'red', 'w\0x']);
  assert.equal(got.attempts, 1);
  assert.equal(got.state, 'running');
  assert.equal(got.worker, w);
  assert.equal(got.startedAt, t.clock.now());
  assert.equal(t.engine.fn('f').running, 1);
  assert.equal(t.engine.fn('f').queuedTotal, 0);
});
