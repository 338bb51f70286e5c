import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  backoffDelay, nextAttemptAt, parseRescheduleRequest, parseRetryPolicy, PolicyError, type RetryPolicy,
} from '../../src/engine/retry-policy.js';

const policy = (o: Partial<RetryPolicy['backoff']> & { maxAttempts?: number } = {}): RetryPolicy => ({
  maxAttempts: o.maxAttempts ?? 5,
  backoff: { initialMs: o.initialMs ?? 1000, factor: o.factor ?? 2, maxMs: o.maxMs ?? 60000, jitter: o.jitter ?? 0 },
  retryOn: ['fail', 'exception', 'timeout', 'lost'],
  foreground: false,
  timeoutMs: null,
});

test('backoff: initialMs × factor^(attempt-1), capped at maxMs', () => {
  const table: [attempt: number, p: RetryPolicy, ms: number][] = [
    [1, policy(), 1000],
    [2, policy(), 2000],
    [3, policy(), 4000],
    [6, policy(), 32000],
    [7, policy(), 60000],
    [30, policy(), 60000],
    [1, policy({ initialMs: 500, factor: 3 }), 500],
    [3, policy({ initialMs: 500, factor: 3 }), 4500],
    [4, policy({ factor: 1 }), 1000],
    [2, policy({ initialMs: 0 }), 0],
  ];
  for (const [attempt, p, ms] of table) assert.equal(backoffDelay(attempt, p, 0.5), ms, `attempt ${attempt}`);
});

test('backoff: jitter spreads the delay over ±jitter of itself, never past maxMs', () => {
  const p = policy({ jitter: 0.5 });
  assert.equal(backoffDelay(2, p, 0), 1000);
  assert.equal(backoffDelay(2, p, 0.5), 2000);
  assert.equal(backoffDelay(2, p, 0.999999), 3000);
  assert.equal(backoffDelay(10, p, 0.99), 60000, 'capped');
});

test('nextAttemptAt: null once the attempts are used up', () => {
  const p = policy({ maxAttempts: 3 });
  assert.equal(nextAttemptAt(10_000, 1, p, 0.5), 11_000);
  assert.equal(nextAttemptAt(10_000, 2, p, 0.5), 12_000);
  assert.equal(nextAttemptAt(10_000, 3, p, 0.5), null);
  assert.equal(nextAttemptAt(10_000, 1, policy({ maxAttempts: 1 }), 0.5), null);
});

test('parseRetryPolicy: fills defaults and refuses bad fields with a clear message', () => {
  assert.deepEqual(parseRetryPolicy({ maxAttempts: 3 }), {
    maxAttempts: 3, backoff: { initialMs: 1000, factor: 2, maxMs: 3600000, jitter: 0 },
    retryOn: ['fail', 'exception', 'timeout', 'lost'], foreground: false, timeoutMs: null,
  });
  assert.equal(parseRetryPolicy({ timeoutMs: 30000 }).timeoutMs, 30000);
  assert.deepEqual(parseRetryPolicy({ maxAttempts: 2, retryOn: ['fail', 'fail'], foreground: true }).retryOn, ['fail']);
  for (const [bad, msg] of [
    [{ maxAttempts: 0 }, /maxAttempts must be a number from 1/],
    [{ maxAttempts: 2.5 }, /whole number/],
    [{ retryOn: ['boom'] }, /retryOn must list some of fail, exception, timeout, lost/],
    [{ backoff: { jitter: 2 } }, /backoff.jitter must be a number from 0 to 1/],
    [{ tries: 3 }, /unknown field "tries"/],
    [[], /expected an object/],
  ] as const) {
    assert.throws(() => parseRetryPolicy(bad), (e: Error) => e instanceof PolicyError && msg.test(e.message), JSON.stringify(bad));
  }
});

test('parseRescheduleRequest: +seconds, epoch seconds or ISO time after the gearhq:reschedule prefix', () => {
  const now = Date.UTC(2026, 0, 1);
  const r = (s: string) => parseRescheduleRequest(Buffer.from(s), now);
  assert.equal(r('gearhq:reschedule +3600'), now + 3600_000);
  assert.equal(r('gearhq:reschedule +1.5\n'), now + 1500);
  assert.equal(r('gearhq:reschedule 1767225600'), 1767225600_000);
  assert.equal(r('gearhq:reschedule 2026-02-01T00:00:00Z'), Date.UTC(2026, 1, 1));
  assert.equal(r('gearhq:reschedule soon'), null);
  assert.equal(r('some other exception'), null);
  assert.equal(r('gearhq:reschedule'), null);
});
