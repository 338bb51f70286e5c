import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nextSchedTime } from '../../src/schedule/sched-fields.js';

// Wednesday 2025-01-01 12:00:00 UTC.
const NOW = Date.UTC(2025, 0, 1, 12, 0, 0);

function next(fields: string[], now = NOW): string | null {
  const r = nextSchedTime(fields, now, 'UTC');
  return r === null ? null : new Date(r).toISOString();
}

test('sched: the next matching time, table', () => {
  const table: [string[], string | null, string][] = [
    [['', '', '', '', ''], '2025-01-01T12:01:00.000Z', 'all empty: the next whole minute'],
    [['30', '14', '', '', ''], '2025-01-01T14:30:00.000Z', 'exact minute and hour later today'],
    [['0', '12', '', '', ''], '2025-01-02T12:00:00.000Z', 'exactly now: strictly after, so tomorrow'],
    [['59', '11', '', '', ''], '2025-01-02T11:59:00.000Z', 'earlier today: tomorrow'],
    [['15', '', '', '', ''], '2025-01-01T12:15:00.000Z', 'minute only: this hour'],
    [['', '13', '', '', ''], '2025-01-01T13:00:00.000Z', 'hour only: its first minute'],
    [['0', '0', '', '', '5'], '2025-01-03T00:00:00.000Z', 'day of week 5 = Friday'],
    [['0', '0', '', '', '0'], '2025-01-05T00:00:00.000Z', 'day of week 0 = Sunday'],
    [['0', '0', '', '', '7'], '2025-01-05T00:00:00.000Z', 'day of week 7 = Sunday too'],
    [['0', '0', '', '', '3'], '2025-01-08T00:00:00.000Z', 'today is Wednesday but midnight has passed'],
    [['0', '8', '15', '', ''], '2025-01-15T08:00:00.000Z', 'day of month'],
    [['0', '0', '1', '3', ''], '2025-03-01T00:00:00.000Z', 'day and month'],
    [['0', '0', '29', '2', ''], '2028-02-29T00:00:00.000Z', '29 February: the next leap year'],
    [['*/15', '', '', '', ''], '2025-01-01T12:15:00.000Z', 'cron steps'],
    [['5,45', '', '', '', ''], '2025-01-01T12:05:00.000Z', 'cron lists'],
    [[' 5 ', ' ', '', '', ''], '2025-01-01T12:05:00.000Z', 'surrounding spaces are ignored'],
  ];
  for (const [fields, expected, why] of table) assert.equal(next(fields), expected, `${why}: ${JSON.stringify(fields)}`);
});

test('sched: a time within the current minute still moves to the next whole minute', () => {
  assert.equal(next(['', '', '', '', ''], NOW + 500), '2025-01-01T12:01:00.000Z');
  assert.equal(next(['', '', '', '', ''], NOW + 59_999), '2025-01-01T12:01:00.000Z');
});

test('sched: invalid fields → null', () => {
  const bad: string[][] = [
    ['61', '', '', '', ''],
    ['', '24', '', '', ''],
    ['', '', '32', '', ''],
    ['', '', '', '13', ''],
    ['', '', '', '', '8'],
    ['a;b', '', '', '', ''],
    ['1 2', '', '', '', ''],
    ['0', '0', '31', '2', ''],          // never happens
    ['', '', '', ''],                  // four fields
    ['', '', '', '', '', ''],          // six fields
  ];
  for (const fields of bad) assert.equal(nextSchedTime(fields, NOW, 'UTC'), null, JSON.stringify(fields));
});

test('sched: the time zone decides what "14:30" means', () => {
  const utc = nextSchedTime(['30', '14', '', '', ''], NOW, 'UTC')!;
  const berlin = nextSchedTime(['30', '14', '', '', ''], NOW, 'Europe/Berlin')!;
  assert.equal(utc - berlin, 60 * 60 * 1000, 'Berlin is UTC+1 in January');
});

test('sched: day of month and day of week together must both match (as the contract says: "matching all of them")', () => {
  // Friday the 13th: the next one after 2025-01-01 is 2025-06-13.
  assert.equal(next(['0', '9', '13', '', '5']), '2025-06-13T09:00:00.000Z');
});
