/**
 * The evaluator on a fake clock with a fake StatsSource: pending → firing only after forSeconds,
 * back to inactive when a pending condition clears, resolve, history, notifications, listeners.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { AlertEvaluator } from '../../src/alerts/alert-evaluator.js';
import { parseAlertRule } from '../../src/alerts/alert-rule.js';
import { AlertNotifier, type AlertTransition } from '../../src/alerts/notifiers.js';
import { FakeClock } from '../support/fake-clock.js';
import { FakeStats } from './fake-stats.js';

function setup(opts: { historyLimit?: number } = {}) {
  const clock = new FakeClock();
  const stats = new FakeStats();
  const lines: Record<string, unknown>[] = [];
  const log = pino({ level: 'info' }, new Writable({
    write(chunk, _enc, done) { lines.push(JSON.parse(String(chunk))); done(); },
  }));
  const store = { failing: false };
  const evaluator = new AlertEvaluator({
    stats, storeFailing: () => store.failing, clock, log, notifier: new AlertNotifier(log),
    intervalMs: 1000, ...opts,
  });
  const changes: AlertTransition[] = [];
  evaluator.onChange((_a, t) => changes.push(t));
  evaluator.start();
  return { clock, stats, evaluator, changes, lines, store };
}

test('evaluator: pending at once, firing only after forSeconds, resolved when it clears', (t) => {
  const s = setup();
  t.after(() => s.evaluator.stop());
  s.evaluator.setRule(parseAlertRule({ name: 'deep', metric: 'queue_depth', function: 'mail', op: '>', threshold: 100, forSeconds: 10 }), 'api');
  s.stats.set('mail', { queued: 50 });
  s.clock.advance(3000);
  assert.equal(s.evaluator.get('deep')!.state, 'inactive');
  assert.equal(s.evaluator.get('deep')!.value, 50);

  s.stats.set('mail', { queued: 150 });
  const breachAt = s.clock.now() + 1000;
  s.clock.advance(1000);
  assert.equal(s.evaluator.get('deep')!.state, 'pending');
  s.clock.advance(9000);
  assert.equal(s.evaluator.get('deep')!.state, 'pending', 'not before forSeconds have passed');
  s.clock.advance(1000);
  const a = s.evaluator.get('deep')!;
  assert.equal(a.state, 'firing');
  assert.equal(a.since, breachAt + 10_000);

  s.clock.advance(5000);
  assert.equal(s.evaluator.get('deep')!.state, 'firing', 'stays firing while the condition holds');
  s.stats.set('mail', { queued: 3 });
  s.clock.advance(1000);
  assert.equal(s.evaluator.get('deep')!.state, 'resolved');
  assert.deepEqual(s.changes.map((c) => `${c.from}>${c.to}:${c.value}`),
    ['inactive>pending:150', 'pending>firing:150', 'firing>resolved:3']);
  assert.deepEqual(s.evaluator.get('deep')!.history, s.changes);

  // The log notifier heard the firing (warn) and the resolve (info), not the pending.
  const notices = s.lines.filter((l) => typeof l.msg === 'string' && (l.msg as string).includes('gearhq alert deep'));
  assert.deepEqual(notices.map((l) => l.level), [40, 30]);
  assert.match(notices[0]!.msg as string, /^\[FIRING\] gearhq alert deep: queue_depth of "mail" is 150 \(> 100 for 10s\)/);

  // Breaching again starts a new hold-down.
  s.stats.set('mail', { queued: 500 });
  s.clock.advance(1000);
  assert.equal(s.evaluator.get('deep')!.state, 'pending');
});

test('evaluator: a condition that clears while pending never fires', (t) => {
  const s = setup();
  t.after(() => s.evaluator.stop());
  s.evaluator.setRule(parseAlertRule({ name: 'fails', metric: 'failure_rate', op: '>=', threshold: 0.5, forSeconds: 5, function: 'pdf' }), 'config');
  s.stats.set('pdf', { failureRate: 0.6 });
  s.clock.advance(3000);
  s.stats.set('pdf', { failureRate: 0.1 });
  s.clock.advance(1000);
  s.stats.set('pdf', { failureRate: null }); // nothing finished: no data never holds
  s.clock.advance(10_000);
  assert.equal(s.evaluator.get('fails')!.state, 'inactive');
  assert.deepEqual(s.changes.map((c) => c.to), ['pending', 'inactive']);
  assert.equal(s.evaluator.stats().transitions, 2);
});

test('evaluator: forSeconds 0 fires at the first breach; server-wide rules; store errors', (t) => {
  const s = setup();
  t.after(() => s.evaluator.stop());
  s.evaluator.setRule(parseAlertRule({ name: 'idle', metric: 'no_workers', forSeconds: 0 }), 'api');
  s.evaluator.setRule(parseAlertRule({ name: 'total', metric: 'queue_depth', op: '>=', threshold: 10, forSeconds: 0 }), 'api');
  s.evaluator.setRule(parseAlertRule({ name: 'disk', metric: 'store_errors', forSeconds: 2 }), 'api');
  s.stats.set('a', { queued: 6, workers: 1 });
  s.stats.set('b', { queued: 4, workers: 0 });
  s.clock.advance(1000);
  assert.equal(s.evaluator.get('idle')!.state, 'firing');
  assert.equal(s.evaluator.get('idle')!.value, 1, 'one function has waiting jobs and no workers');
  assert.equal(s.evaluator.get('total')!.state, 'firing');
  assert.equal(s.evaluator.get('total')!.value, 10);
  assert.equal(s.evaluator.get('disk')!.state, 'inactive');
  assert.equal(s.stats.snapshots, 1, 'one snapshot per window per pass');

  s.store.failing = true;
  s.clock.advance(1000);
  assert.equal(s.evaluator.get('disk')!.state, 'pending');
  s.clock.advance(2000);
  assert.equal(s.evaluator.get('disk')!.state, 'firing');
  s.store.failing = false;
  s.clock.advance(1000);
  assert.equal(s.evaluator.get('disk')!.state, 'resolved');
});

test('evaluator: history keeps the last N transitions; replacing a rule starts it afresh; stop is idempotent', () => {
  const s = setup({ historyLimit: 3 });
  s.evaluator.setRule(parseAlertRule({ name: 'flap', metric: 'queue_depth', function: 'f', op: '>', threshold: 0, forSeconds: 0 }), 'api');
  for (let i = 0; i < 4; i++) {
    s.stats.set('f', { queued: 1 });
    s.clock.advance(1000);
    s.stats.set('f', { queued: 0 });
    s.clock.advance(1000);
  }
  const h = s.evaluator.get('flap')!.history;
  assert.equal(h.length, 3);
  assert.deepEqual(h.map((x) => x.to), ['resolved', 'firing', 'resolved']);
  assert.equal(h[2]!.at, s.clock.now());
  s.evaluator.setRule(parseAlertRule({ name: 'flap', metric: 'queue_depth', function: 'f', op: '>', threshold: 5, forSeconds: 0 }), 'api');
  assert.equal(s.evaluator.get('flap')!.history.length, 0);
  assert.ok(s.evaluator.deleteRule('flap'));
  assert.equal(s.evaluator.list().length, 0);
  s.evaluator.stop();
  s.evaluator.stop();
  assert.equal(s.clock.pendingTimers, 0, 'no timer left armed');
});

test('evaluator: rules come back from the config file and stored settings; config names win', () => {
  const s = setup();
  const fromConfig = parseAlertRule({ name: 'a', metric: 'queue_depth', op: '>', threshold: 1, forSeconds: 0 });
  s.evaluator.restoreRules([fromConfig], {
    'alert-rule:a': JSON.stringify({ ...fromConfig, threshold: 99 }),
    'alert-rule:b': JSON.stringify({ name: 'b', metric: 'store_errors', forSeconds: 1 }),
    'alert-rule:broken': '{"name": "broken"}',
    'policy:x': '{}',
  });
  assert.deepEqual(s.evaluator.list().map((a) => [a.rule.name, a.source, a.rule.threshold]), [['a', 'config', 1], ['b', 'api', 0]]);
  assert.ok(s.lines.some((l) => l.msg === 'ignoring a stored alert rule that no longer parses'));
  s.evaluator.stop();
});
