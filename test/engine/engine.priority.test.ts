import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Priority } from '../../src/engine/job.js';
import { setup } from './engine-setup.js';

const HIGH = Priority.HIGH;
const NORMAL = Priority.NORMAL;
const LOW = Priority.LOW;

test('priority: within a function HIGH > NORMAL > LOW, FIFO within a level', () => {
  const t = setup();
  for (const [p, name] of [[LOW, 'low1'], [NORMAL, 'norm1'], [HIGH, 'high1'], [LOW, 'low2'], [HIGH, 'high2'], [NORMAL, 'norm2']] as const) {
    t.submit(null, 'f', { priority: p, payload: name, background: true });
  }
  const w = t.worker(['f']);
  assert.deepEqual(t.drain(w), ['high1', 'high2', 'norm1', 'norm2', 'low1', 'low2']);
});

test('priority: global across all of a worker\'s functions (the 2.0.0 order), FIFO within a level', () => {
  const t = setup();
  t.submit(null, 'fa', { priority: NORMAL, payload: 'fa-normal', background: true });
  t.submit(null, 'fa', { priority: LOW, payload: 'fa-low', background: true });
  t.submit(null, 'fb', { priority: HIGH, payload: 'fb-high', background: true });
  t.submit(null, 'fc', { priority: NORMAL, payload: 'fc-normal', background: true });
  t.submit(null, 'fc', { priority: LOW, payload: 'fc-low', background: true });
  t.submit(null, 'fa', { priority: HIGH, payload: 'fa-high', background: true });
  const w = t.worker(['fa', 'fb', 'fc']);
  const order = t.drain(w);
  assert.deepEqual(order.slice(0, 2).sort(), ['fa-high', 'fb-high']);
  assert.deepEqual(order.slice(2, 4).sort(), ['fa-normal', 'fc-normal']);
  assert.deepEqual(order.slice(4).sort(), ['fa-low', 'fc-low']);
});

test('priority: a HIGH job submitted last is taken before older NORMAL jobs of another function', () => {
  const t = setup();
  for (let i = 0; i < 3; i++) t.submit(null, 'a', { payload: `a${i}`, background: true });
  t.submit(null, 'b', { priority: HIGH, payload: 'b-high', background: true });
  const w = t.worker(['b', 'a']);
  assert.deepEqual(t.drain(w), ['b-high', 'a0', 'a1', 'a2']);
});

test('priority: same level across functions without round-robin: newest registration first', () => {
  const t = setup();
  for (const f of ['r1', 'r2', 'r3']) for (let i = 0; i < 2; i++) t.submit(null, f, { payload: `${f}.${i}`, background: true });
  const w = t.worker(['r1', 'r2', 'r3']);
  assert.deepEqual(t.drain(w), ['r3.0', 'r3.1', 'r2.0', 'r2.1', 'r1.0', 'r1.1']);
});

test('priority: round-robin rotates a worker\'s functions after each assignment (r3, r2, r1, r3, ...)', () => {
  const t = setup({ roundRobin: true });
  for (const f of ['r1', 'r2', 'r3']) for (let i = 0; i < 2; i++) t.submit(null, f, { payload: `${f}.${i}`, background: true });
  const w = t.worker(['r1', 'r2', 'r3']);
  assert.deepEqual(t.drain(w), ['r3.0', 'r2.0', 'r1.0', 'r3.1', 'r2.1', 'r1.1']);
});

test('priority: round-robin still serves HIGH before NORMAL across functions', () => {
  const t = setup({ roundRobin: true });
  t.submit(null, 'r1', { payload: 'r1-normal', background: true });
  t.submit(null, 'r2', { payload: 'r2-normal', background: true });
  t.submit(null, 'r1', { priority: HIGH, payload: 'r1-high', background: true });
  const w = t.worker(['r1', 'r2']);
  assert.deepEqual(t.drain(w), ['r1-high', 'r2-normal', 'r1-normal']);
});

test('priority: a worker only gets jobs of functions it registered', () => {
  const t = setup();
  t.submit(null, 'other', { background: true });
  const w = t.worker(['mine']);
  assert.equal(t.grab(w), null);
  t.submit(null, 'mine', { payload: 'yes', background: true });
  assert.deepEqual(t.drain(w), ['yes']);
});

test('priority: a requeued job goes to the tail of its level, behind jobs submitted after it', () => {
  const t = setup();
  t.submit(null, 'f', { payload: 'first', background: true });
  t.submit(null, 'f', { payload: 'second', background: true });
  const w1 = t.worker(['f']);
  assert.ok(t.grab(w1));
  t.submit(null, 'f', { payload: 'third', background: true });
  t.engine.close(w1);
  const w2 = t.worker(['f']);
  assert.deepEqual(t.drain(w2), ['second', 'third', 'first']);
});

test('priority: job handles are prefix:n counting from 1 (or firstHandle), coalesced submissions take none', () => {
  const t = setup();
  assert.equal(t.submit(null, 'f', { unique: 'u' }).handle, 'H:t:1');
  assert.equal(t.submit(null, 'f', { unique: 'u' }).handle, 'H:t:1');
  assert.equal(t.submit(null, 'f').handle, 'H:t:2');
  assert.equal(t.engine.handleCounter, 3);
  const t2 = setup({ firstHandle: 500, handlePrefix: 'TEST' });
  assert.equal(t2.submit(null, 'f').handle, 'TEST:500');
});
