import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FunctionQueue } from '../../src/engine/function-queue.js';
import { Session } from '../../src/engine/session.js';
import { RecordingOutbox } from './engine-setup.js';

test('function-queue: removing a worker keeps the wake-up walk pointing at the same next worker', () => {
  const fq = new FunctionQueue('f');
  const s = [1, 2, 3, 4].map((i) => new Session(i, '127.0.0.1', new RecordingOutbox(), 0));
  for (const x of s) fq.addWorker(x);
  fq.wakeHead = 2; // next to visit: s[2]
  fq.removeWorker(s[0]!);
  assert.equal(fq.workers[fq.wakeHead], s[2]);
  fq.removeWorker(s[3]!);
  assert.equal(fq.workers[fq.wakeHead], s[2]);
  fq.removeWorker(s[2]!);
  assert.ok(fq.wakeHead < fq.workers.length, 'head stays inside the list');
  fq.removeWorker(s[2]!); // not registered: no change
  assert.deepEqual(fq.workers, [s[1]]);
  fq.removeWorker(s[1]!);
  assert.equal(fq.wakeHead, 0);
  assert.equal(fq.workers.length, 0);
});

test('function-queue: a fresh function counts nothing and takes nothing', () => {
  const fq = new FunctionQueue('f');
  assert.equal(fq.total, 0);
  assert.equal(fq.queuedTotal, 0);
  assert.equal(fq.scheduled, 0);
  for (const p of [0, 1, 2]) assert.equal(fq.take(p), undefined);
});
