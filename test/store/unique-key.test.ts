import { test } from 'node:test';
import assert from 'node:assert/strict';
import { uniqueHash, uniqueKey } from '../../src/store/sqlite/unique-key.js';

test('unique keys are stored in SQLite files: their values never change (a change needs a migration)', () => {
  assert.equal(uniqueHash('a'), 796524);
  assert.equal(uniqueHash('0-12345'), 544634);
  assert.equal(uniqueHash('\u00ff\u0000x'), 882816, 'latin1 bytes, NUL included');
  assert.equal(uniqueKey(5000, 'a'), 4 * 2 ** 20 + 796524, 'job 5000 is in block 4 (1024 jobs each)');
  assert.equal(uniqueKey(1023, 'a'), 796524);
  assert.equal(uniqueKey(1, ''), null, 'no unique, no key');
  assert.equal(uniqueKey(2 ** 43 - 1, 'a'), (2 ** 33 - 1) * 2 ** 20 + 796524, 'exact up to the largest id it supports');
});
