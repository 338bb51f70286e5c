import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Fifo } from '../../src/engine/fifo.js';

test('fifo: first in, first out, and undefined when empty', () => {
  const q = new Fifo<number>();
  assert.equal(q.shift(), undefined);
  q.push(1);
  q.push(2);
  assert.equal(q.length, 2);
  assert.equal(q.shift(), 1);
  q.push(3);
  assert.deepEqual([...q], [2, 3]);
  assert.equal(q.shift(), 2);
  assert.equal(q.shift(), 3);
  assert.equal(q.shift(), undefined);
  assert.equal(q.length, 0);
});

test('fifo: order and length survive compaction over many interleaved pushes and shifts', () => {
  const q = new Fifo<number>();
  let pushed = 0;
  let shifted = 0;
  for (let round = 0; round < 50; round++) {
    for (let i = 0; i < 300; i++) q.push(pushed++);
    for (let i = 0; i < 250; i++) assert.equal(q.shift(), shifted++);
    assert.equal(q.length, pushed - shifted);
  }
  assert.deepEqual([...q], Array.from({ length: pushed - shifted }, (_, i) => shifted + i));
  while (q.length > 0) assert.equal(q.shift(), shifted++);
  assert.equal(shifted, pushed);
});
