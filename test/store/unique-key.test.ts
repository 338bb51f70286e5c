import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UniqueBlockFilters, uniqueHash, uniqueKey } from '../../src/store/sqlite/unique-key.js';

test('unique keys are stored in SQLite files: their values never change (a change needs a migration)', () => {
  assert.equal(uniqueHash('a'), 796524);
  assert.equal(uniqueHash('0-12345'), 544634);
  assert.equal(uniqueHash('\u00ff\u0000x'), 882816, 'latin1 bytes, NUL included');
  assert.equal(uniqueKey(5000, 'a'), 4 * 2 ** 20 + 796524, 'job 5000 is in block 4 (1024 jobs each)');
  assert.equal(uniqueKey(1023, 'a'), 796524);
  assert.equal(uniqueKey(1, ''), null, 'no unique, no key');
  assert.equal(uniqueKey(2 ** 43 - 1, 'a'), (2 ** 33 - 1) * 2 ** 20 + 796524, 'exact up to the largest id it supports');
});

test('unique filters: a unique\'s block is always a candidate; of 200 full blocks, an absent unique probes almost none', () => {
  const filters = new UniqueBlockFilters();
  for (let id = 0; id < 200 * 1024; id++) filters.add(uniqueKey(id, `job-${id}`)!);
  for (const id of [0, 1023, 1024, 77_777, 200 * 1024 - 1]) {
    const keys = JSON.parse(filters.keysFor(`job-${id}`)) as number[];
    assert.ok(keys.includes(uniqueKey(id, `job-${id}`)!), `job ${id}'s key is probed`);
  }
  let probes = 0;
  for (let i = 0; i < 1000; i++) probes += (JSON.parse(filters.keysFor(`absent-${i}`)) as number[]).length;
  assert.ok(probes / 1000 < 2, `an absent unique probes ${probes / 1000} of 200 blocks on average (one key per block before)`);
  filters.dropBefore(100 * 1024);
  assert.equal(filters.size, 100, 'blocks below the oldest job go');
});

test('unique filters while filling: every block that existed at the start is probed, newer ones by their filter', () => {
  const filters = new UniqueBlockFilters();
  filters.startFilling(1, 10 * 1024);
  filters.add(uniqueKey(20 * 1024, 'new')!);
  const keys = JSON.parse(filters.keysFor('old')) as number[];
  assert.deepEqual(keys, Array.from({ length: 11 }, (_, b) => uniqueKey(b * 1024, 'old')), 'blocks 0-10, none of the new one');
  assert.ok((JSON.parse(filters.keysFor('new')) as number[]).includes(uniqueKey(20 * 1024, 'new')!));
  filters.filled();
  assert.deepEqual(JSON.parse(filters.keysFor('old')), [], 'filled (nothing was added for blocks 0-10): nothing to probe');
});
