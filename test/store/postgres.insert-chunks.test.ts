import { test } from 'node:test';
import assert from 'node:assert/strict';
import { insertChunks } from '../../src/store/postgres/batch-plan.js';

/** Insert columns as planBatch makes them (ids in the first), and each row's payload and result bytes. */
function rows(blobSizes: [number, number | null][]): [unknown[][], number[]] {
  const cols: unknown[][] = Array.from({ length: 26 }, () => []);
  blobSizes.forEach((_, i) => { for (let c = 0; c < 26; c++) cols[c]!.push(c === 0 ? i + 1 : null); });
  return [cols, blobSizes.map(([payload, result]) => payload + (result ?? 0))];
}

test('postgres insert chunks: whole rows in order, each piece within the byte budget unless one row alone exceeds it', () => {
  const sizes: [number, number | null][] = [[400, 400], [300, null], [100, 100], [900, 900], [50, null], [10, 10], [700, null]];
  const pieces = insertChunks(...rows(sizes), 1000);
  const ids = pieces.map((p) => p[0] as number[]);
  assert.deepEqual(ids, [[1], [2, 3], [4], [5, 6, 7]], 'rows 1-7 cut where the next would pass 1000 blob bytes');
  for (const p of pieces) assert.equal(new Set(p.map((col) => col.length)).size, 1, 'every column of a piece has its rows');
  assert.deepEqual(insertChunks(...rows(sizes), 10_000).map((p) => p[0]), [[1, 2, 3, 4, 5, 6, 7]], 'one piece when all fit');
  const one = rows([[5000, 5000]]);
  assert.equal(insertChunks(...one, 1000)[0], one[0], 'a single row is never cut');
});
