import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MinHeap } from '../../src/engine/min-heap.js';

test('min-heap: pops in key order, ties in insertion order', () => {
  const h = new MinHeap<string>();
  assert.equal(h.pop(), undefined);
  assert.equal(h.peekKey(), undefined);
  for (const [k, v] of [[5, 'e'], [1, 'a1'], [3, 'c'], [1, 'a2'], [2, 'b'], [1, 'a3']] as const) h.push(k, v);
  assert.equal(h.size, 6);
  assert.equal(h.peekKey(), 1);
  assert.equal(h.peek(), 'a1');
  const out: string[] = [];
  for (let v = h.pop(); v !== undefined; v = h.pop()) out.push(v);
  assert.deepEqual(out, ['a1', 'a2', 'a3', 'b', 'c', 'e']);
  assert.equal(h.size, 0);
});

test('min-heap: matches a stable sort on random keys with interleaved pops', () => {
  let seed = 12345;
  const random = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
  const h = new MinHeap<number>();
  const model: { k: number; v: number }[] = [];
  let id = 0;
  for (let round = 0; round < 2000; round++) {
    if (random() < 0.6 || model.length === 0) {
      const k = Math.floor(random() * 50);
      h.push(k, id);
      model.push({ k, v: id++ });
    } else {
      model.sort((a, b) => a.k - b.k || a.v - b.v);
      const want = model.shift()!;
      assert.equal(h.peekKey(), want.k);
      assert.equal(h.pop(), want.v);
    }
    assert.equal(h.size, model.length);
  }
});
