/**
 * LogHistogram: percentiles within the stated relative error of the exact nearest-rank values,
 * on random data of several shapes; merged histograms answer as one over all the data.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LogHistogram, RELATIVE_ERROR } from '../../src/stats/log-histogram.js';

/** A small seeded generator, so a failure can be replayed. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function exact(sorted: number[], q: number): number {
  return sorted[Math.max(1, Math.ceil(q * sorted.length)) - 1]!;
}

function checkWithin(h: LogHistogram, values: number[], label: string): void {
  const sorted = [...values].sort((a, b) => a - b);
  for (const q of [0.01, 0.5, 0.9, 0.95, 0.99, 0.999, 1]) {
    const want = exact(sorted, q);
    const got = h.quantile(q)!;
    if (want < 1) assert.equal(got, 0, `${label} q=${q}: sub-millisecond values report 0`);
    else assert.ok(Math.abs(got - want) / want <= RELATIVE_ERROR + 1e-12, `${label} q=${q}: got ${got}, exact ${want}`);
  }
  assert.equal(h.count, values.length);
}

test('histogram: the stated error is about 2%', () => {
  assert.ok(RELATIVE_ERROR > 0.015 && RELATIVE_ERROR <= 0.02, `RELATIVE_ERROR = ${RELATIVE_ERROR}`);
});

test('histogram: percentiles within the stated error on random data of several shapes', () => {
  const r = rng(42);
  const shapes: Record<string, () => number> = {
    'uniform 0-1000 ms': () => Math.floor(r() * 1000),
    'log-uniform 1 ms-1 h': () => Math.round(Math.exp(r() * Math.log(3_600_000))),
    'bimodal 5 ms / 30 s': () => (r() < 0.9 ? 5 + Math.floor(r() * 3) : 30_000 + Math.floor(r() * 1000)),
    'fractional and zero': () => (r() < 0.2 ? 0 : r() * 50),
    'one value': () => 1234,
  };
  for (const [label, gen] of Object.entries(shapes)) {
    const h = new LogHistogram();
    const values = Array.from({ length: 20_000 }, gen);
    for (const v of values) h.record(v);
    checkWithin(h, values, label);
  }
});

test('histogram: empty answers null; negatives and NaN count as 0; huge values are capped', () => {
  const h = new LogHistogram();
  assert.equal(h.quantile(0.5), null);
  h.record(-5);
  h.record(Number.NaN);
  assert.equal(h.quantile(1), 0);
  h.record(1e15);
  assert.ok(h.quantile(1)! >= 1e10 * (1 - RELATIVE_ERROR), 'values past the range land in the last bucket');
  assert.equal(h.count, 3);
  h.reset();
  assert.equal(h.count, 0);
  assert.equal(h.quantile(0.99), null);
});

test('histogram: merging windows answers as one histogram over all their data', () => {
  const r = rng(7);
  const parts = [
    Array.from({ length: 3000 }, () => Math.floor(r() * 20)), // fast minute
    Array.from({ length: 500 }, () => 1000 + Math.floor(r() * 9000)), // slow minute
    [], // idle minute
    Array.from({ length: 1500 }, () => Math.round(Math.exp(r() * 12))),
  ];
  const merged = new LogHistogram();
  const whole = new LogHistogram();
  for (const part of parts) {
    const h = new LogHistogram();
    for (const v of part) { h.record(v); whole.record(v); }
    merged.merge(h);
  }
  const all = parts.flat();
  checkWithin(merged, all, 'merged');
  for (const q of [0.5, 0.95, 0.99]) assert.equal(merged.quantile(q), whole.quantile(q), 'merge is exact');
  // Merging into a histogram that already spans a different range grows it on both sides.
  const low = new LogHistogram();
  low.record(2);
  const high = new LogHistogram();
  high.record(5_000_000);
  high.merge(low);
  assert.deepEqual([high.quantile(0.5)! < 3, high.quantile(1)! > 4_000_000, high.count], [true, true, 2]);
});
