/**
 * Alert rules are checked once, with messages that say what is wrong, and filled with defaults.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AlertRuleError, compare, parseAlertRule, parseAlertRules } from '../../src/alerts/alert-rule.js';
import { ConfigError, loadConfig } from '../../src/config.js';

const base = { name: 'deep', metric: 'queue_depth', op: '>', threshold: 100, forSeconds: 30 };

test('alert rule: defaults are filled in (window 5m, notify the log)', () => {
  const r = parseAlertRule(base);
  assert.deepEqual(r, { ...base, window: '5m', notify: [{ type: 'log' }] });
  const w = parseAlertRule({ ...base, function: 'mail', window: '1m', notify: [{ type: 'webhook', url: 'http://127.0.0.1:9/x' }] });
  assert.equal(w.function, 'mail');
  assert.deepEqual(w.notify, [{ type: 'webhook', url: 'http://127.0.0.1:9/x', headers: {}, timeoutMs: 5000, maxAttempts: 5 }]);
});

test('alert rule: yes/no metrics may leave out op and threshold (meaning > 0)', () => {
  const r = parseAlertRule({ name: 'idle', metric: 'no_workers', function: 'mail', forSeconds: 60 });
  assert.equal(r.op, '>');
  assert.equal(r.threshold, 0);
});

test('alert rule: bad input is refused with a message naming the field', () => {
  const cases: [unknown, RegExp][] = [
    [null, /expected an object/],
    [{ ...base, name: '' }, /name must be/],
    [{ ...base, name: 'a b' }, /name must be/],
    [{ ...base, metric: 'queue' }, /metric must be one of queue_depth, .*store_errors, got "queue"/],
    [{ ...base, op: '=>' }, /op must be one of > >= < <= ==, got "=>"/],
    [{ ...base, op: undefined }, /op must be one of/],
    [{ ...base, threshold: '100' }, /threshold must be a number, got "100"/],
    [{ ...base, forSeconds: -1 }, /forSeconds must be a number of seconds/],
    [{ ...base, forSeconds: undefined }, /forSeconds must be/],
    [{ ...base, window: '2m' }, /window must be one of 1m, 5m, 1h, got "2m"/],
    [{ ...base, function: '' }, /function must be a non-empty string/],
    [{ ...base, metric: 'failure_rate', threshold: 5 }, /failure_rate threshold is a fraction from 0 to 1/],
    [{ ...base, metric: 'store_errors', function: 'mail' }, /store_errors is server-wide/],
    [{ ...base, colour: 'red' }, /unknown field "colour"/],
    [{ ...base, notify: {} }, /notify must be a list/],
    [{ ...base, notify: [{ type: 'email' }] }, /notify\[0\]\.type: expected "webhook" or "log", got "email"/],
    [{ ...base, notify: [{ type: 'webhook' }] }, /notify\[0\]\.url: expected an http\(s\) URL/],
    [{ ...base, notify: [{ type: 'webhook', url: 'ftp://x/' }] }, /expected http or https/],
    [{ ...base, notify: [{ type: 'webhook', url: 'http://x/', maxAttempts: 0 }] }, /maxAttempts: expected an integer from 1 to 20/],
    [{ ...base, notify: [{ type: 'webhook', url: 'http://x/', headers: { a: 1 } }] }, /headers\.a: expected a string/],
  ];
  for (const [input, message] of cases) {
    assert.throws(() => parseAlertRule(input), (e: Error) => e instanceof AlertRuleError && message.test(e.message),
      `${JSON.stringify(input)} → ${message}`);
  }
});

test('alert rules: a list needs distinct names; the config file reports where', () => {
  assert.throws(() => parseAlertRules([base, base]), /two rules are named "deep"/);
  assert.throws(() => loadConfig({ alertRules: '[{"name": "x"}]' }, {}),
    (e: Error) => e instanceof ConfigError && /--alert-rules\[0\] "x": metric must be one of/.test(e.message));
  assert.equal(loadConfig({}, { GEARHQ_ALERT_RULES: JSON.stringify([base]) }).alertRules[0]!.name, 'deep');
});

test('alert rule: comparisons', () => {
  assert.ok(compare(2, '>', 1) && !compare(1, '>', 1));
  assert.ok(compare(1, '>=', 1) && compare(0, '<', 1) && compare(1, '<=', 1) && compare(1, '==', 1) && !compare(2, '==', 1));
});
