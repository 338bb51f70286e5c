import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ActiveJobs, handleNumber } from '../../src/engine/active-jobs.js';
import { Engine } from '../../src/engine/engine.js';
import { Priority } from '../../src/engine/job.js';
import { FakeClock } from '../support/fake-clock.js';

test('handleNumber: the digits after the last colon, or -1 when a handle does not end in them', () => {
  assert.equal(handleNumber('H:host:42'), 42);
  assert.equal(handleNumber('H:host:0'), 0);
  assert.equal(handleNumber('7'), 7);
  assert.equal(handleNumber('H:host:123456789012345'), 123456789012345);
  assert.equal(handleNumber('H:host:1234567890123456'), -1, 'more digits than a double holds exactly');
  assert.equal(handleNumber('H:host:'), -1);
  assert.equal(handleNumber('H:host:4x'), -1);
  assert.equal(handleNumber('H:host-42'), -1);
  assert.equal(handleNumber(''), -1);
});

test('a restored job keeps its handle with an old prefix: found by that exact handle only', () => {
  const engine = new Engine({
    clock: new FakeClock(), handlePrefix: 'H:new', jobRetries: 0, workerWakeup: 0, roundRobin: false,
    maxFunctionBytes: 512, maxUniqueBytes: 64, maxPayloadBytes: 1 << 20,
  });
  const old = engine.restore({
    id: 7, handle: 'H:old:7', fn: 'f', unique: '', payload: 'x', priority: Priority.NORMAL,
    background: true, dueAt: 0, reducer: '', submittedAt: 0, retries: 0, attempts: 0,
  });
  assert.equal(engine.jobs.get('H:old:7'), old);
  assert.equal(engine.jobs.get('H:new:7'), undefined, 'same number, other prefix');
  assert.equal(engine.status('H:old:7').known, true);
  const fresh = engine.submit(null, { fn: 'f', unique: '', payload: '', priority: Priority.NORMAL, background: true, dueAt: 0, reducer: '' });
  assert.ok(typeof fresh !== 'string');
  assert.equal(fresh.handle, 'H:new:8', 'numbering goes on after the restored job');
  assert.equal(engine.jobs.get('H:new:8'), fresh);
  assert.equal(engine.jobs.size, 2);
});

test('ActiveJobs: random adds and removes over several pages agree with a plain map', () => {
  const jobs = new ActiveJobs();
  const model = new Map<number, { id: number; handle: string }>();
  let seed = 42;
  const rand = (n: number) => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % n;
  for (let step = 0; step < 20_000; step++) {
    const id = rand(5000) + (step > 10_000 ? 1_000_000 : 0);
    const existing = model.get(id);
    if (existing !== undefined && rand(2) === 0) {
      jobs.remove(existing as never);
      model.delete(id);
    } else if (existing === undefined) {
      const job = { id, handle: `H:t:${id}` };
      jobs.add(job as never);
      model.set(id, job);
    }
    if (step % 997 === 0) {
      assert.equal(jobs.size, model.size);
      assert.deepEqual([...jobs.values()].map((j) => j.id).sort((a, b) => a - b), [...model.keys()].sort((a, b) => a - b));
    }
  }
  for (const [id, job] of model) assert.equal(jobs.get(`H:t:${id}`), job);
  assert.equal(jobs.get('H:t:999999999'), undefined);
  for (const job of [...model.values()]) jobs.remove(job as never);
  assert.equal(jobs.size, 0);
  assert.deepEqual([...jobs.values()], []);
  const stale = { id: 7, handle: 'H:t:7' };
  jobs.remove(stale as never);
  assert.equal(jobs.size, 0, 'removing a job that is not there changes nothing');
});
