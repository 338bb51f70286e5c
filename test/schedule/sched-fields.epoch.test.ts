import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseEpochSeconds } from '../../src/schedule/sched-fields.js';

test('epoch: decimal seconds become milliseconds', () => {
  assert.equal(parseEpochSeconds('1735732800'), 1735732800_000);
  assert.equal(parseEpochSeconds('0'), 0);
  assert.equal(parseEpochSeconds('+7'), 7000);
});

test('epoch: like strtoll, leading whitespace is skipped and only leading digits count', () => {
  assert.equal(parseEpochSeconds(' 42abc'), 42_000);
  assert.equal(parseEpochSeconds('\t8'), 8000);
  assert.equal(parseEpochSeconds('12 34'), 12_000);
  assert.equal(parseEpochSeconds('1e3'), 1000);
  assert.equal(parseEpochSeconds('00012'), 12_000);
});

test('epoch: garbage and empty text → 0 (run now)', () => {
  for (const s of ['', 'abc', ' ', '-', '+', 'x123', '\0']) assert.equal(parseEpochSeconds(s), 0, JSON.stringify(s));
});

test('epoch: negative values → 0 (run now)', () => {
  assert.equal(parseEpochSeconds('-5'), 0);
  assert.equal(parseEpochSeconds('-1735732800'), 0);
});

test('epoch: out of range → null (23 nines, beyond what a date can hold)', () => {
  assert.equal(parseEpochSeconds('99999999999999999999999'), null);
  assert.equal(parseEpochSeconds('9999999999999999999'), null);
  assert.equal(parseEpochSeconds('8640000000001'), null);
  assert.equal(parseEpochSeconds('8640000000000'), 8_640_000_000_000_000, 'the last representable second');
});

test('epoch: leading zeros do not make a small number out of range (strtoll reads 0…042 as 42)', () => {
  assert.equal(parseEpochSeconds('0000000000000000000042'), 42_000);
});
