import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ERRORS } from '../../src/errors/catalogue.js';
import { Job, Priority } from '../../src/engine/job.js';
import { setup } from './engine-setup.js';

const HIGH = Priority.HIGH;
const NORMAL = Priority.NORMAL;
const LOW = Priority.LOW;

test('maxqueue: the limit for the submission\'s priority is compared with the function\'s total', () => {
  const t = setup();
  t.engine.fn('mq');
  assert.equal(t.engine.setMaxQueue('mq', [0, 5, 1]), true);
  for (let i = 0; i < 4; i++) t.submit(null, 'mq', { background: true, priority: HIGH });
  assert.equal(t.engine.submit(null, t.request('mq', { background: true, priority: LOW })), 'QUEUE_FULL');
  assert.ok(t.engine.submit(null, t.request('mq', { background: true, priority: NORMAL })) instanceof Job);
  assert.equal(t.engine.submit(null, t.request('mq', { background: true, priority: NORMAL })), 'QUEUE_FULL');
  assert.ok(t.engine.submit(null, t.request('mq', { background: true, priority: HIGH })) instanceof Job, 'HIGH unlimited');
  assert.equal(ERRORS.QUEUE_FULL.gearmanCode, 'QUEUE_ERROR');
  assert.equal(ERRORS.QUEUE_FULL.gearmanText, 'Job queue is full');
});

test('maxqueue: running and scheduled jobs count towards the total', () => {
  const t = setup();
  t.engine.fn('f');
  t.engine.setMaxQueue('f', [2, 2, 2]);
  t.submit(null, 'f', { background: true });
  t.submit(null, 'f', { background: true, dueAt: t.clock.now() + 1000 });
  const w = t.worker(['f']);
  assert.notEqual(t.grab(w), null);
  assert.equal(t.engine.fn('f').total, 2);
  assert.equal(t.engine.submit(null, t.request('f', { background: true })), 'QUEUE_FULL');
});

test('maxqueue: a finished job frees its place; 0 means unlimited', () => {
  const t = setup();
  t.engine.fn('f');
  t.engine.setMaxQueue('f', [1, 1, 1]);
  const job = t.submit(null, 'f', { background: true });
  assert.equal(t.engine.submit(null, t.request('f', { background: true })), 'QUEUE_FULL');
  const w = t.worker(['f']);
  t.grab(w);
  t.engine.workComplete(w, job.handle, Buffer.alloc(0));
  t.submit(null, 'f', { background: true });
  t.engine.setMaxQueue('f', [0, 0, 0]);
  for (let i = 0; i < 10; i++) t.submit(null, 'f', { background: true });
});

test('maxqueue: refused submissions create nothing and emit nothing', () => {
  const t = setup();
  t.engine.fn('f');
  t.engine.setMaxQueue('f', [1, 1, 1]);
  t.submit(null, 'f', { background: true });
  const before = t.engine.handleCounter;
  const eventsBefore = t.events.length;
  assert.equal(t.engine.submit(null, t.request('f', { background: true })), 'QUEUE_FULL');
  assert.equal(t.engine.handleCounter, before);
  assert.equal(t.events.length, eventsBefore);
  assert.equal(t.engine.jobs.size, 1);
});

test('maxqueue: an unknown function → false, and the function is not created', () => {
  const t = setup();
  assert.equal(t.engine.setMaxQueue('nope', [1, 1, 1]), false);
  assert.equal(t.engine.functions.has('nope'), false);
});

test('limits: size limits return the catalogue codes', () => {
  const t = setup({ maxFunctionBytes: 512, maxUniqueBytes: 64, maxPayloadBytes: 1000 });
  const cases: [Parameters<typeof t.request>, string][] = [
    [['', {}], 'FUNCTION_EMPTY'],
    [['f'.repeat(513), {}], 'FUNCTION_TOO_LARGE'],
    [['f', { unique: 'u'.repeat(65) }], 'UNIQUE_TOO_LARGE'],
    [['f', { payload: Buffer.alloc(1001) }], 'PAYLOAD_TOO_LARGE'],
  ];
  for (const [args, code] of cases) {
    assert.equal(t.engine.submit(null, t.request(...args)), code);
    assert.ok(code in ERRORS, `${code} is in the catalogue`);
  }
  assert.equal(t.engine.jobs.size, 0);
  assert.equal(ERRORS.UNIQUE_TOO_LARGE.gearmanCode, 'ARGUMENT_TOO_LARGE');
  assert.equal(ERRORS.UNIQUE_TOO_LARGE.gearmanText, 'Unique value too large');
});

test('limits: exactly at each limit is accepted, and a 64-byte unique is kept whole and coalesces', () => {
  const t = setup({ maxFunctionBytes: 512, maxUniqueBytes: 64, maxPayloadBytes: 1000 });
  const u = 'u'.repeat(64);
  const a = t.submit(null, 'f'.repeat(512), { unique: u, payload: Buffer.alloc(1000), background: true });
  assert.equal(a.unique, u);
  assert.equal(t.submit(null, 'f'.repeat(512), { unique: u, background: true }), a);
  assert.equal(t.engine.statusByUnique(u).known, true);
});

test('limits: CAN_DO with a function name over the limit → FUNCTION_TOO_LARGE, nothing registered', () => {
  const t = setup({ maxFunctionBytes: 16 });
  const w = t.session();
  assert.equal(t.engine.canDo(w, 'x'.repeat(17), 0), 'FUNCTION_TOO_LARGE');
  assert.equal(w.abilities.length, 0);
  assert.equal(t.engine.canDo(w, 'x'.repeat(16), 0), null);
});

test('dropFunction: refuses with workers or jobs, case-insensitive match, not-found otherwise', () => {
  const t = setup();
  const w = t.worker(['Busy']);
  assert.equal(t.engine.dropFunction('busy'), 'busy');
  t.engine.close(w);
  t.submit(null, 'Busy', { background: true });
  assert.equal(t.engine.dropFunction('BUSY'), 'busy');
  t.engine.fn('idle');
  assert.equal(t.engine.dropFunction('IDLE'), 'ok');
  assert.equal(t.engine.functions.has('idle'), false);
  assert.equal(t.engine.dropFunction('idle'), 'not-found');
});
