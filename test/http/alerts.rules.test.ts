/**
 * /api/v1/alerts/rules and /api/v1/alerts through inject(): create, read, replace and delete rules
 * (stored as settings, restored at start), config-file rules read-only, alert states with history.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { AlertEvaluator } from '../../src/alerts/alert-evaluator.js';
import { parseAlertRule } from '../../src/alerts/alert-rule.js';
import { AlertNotifier } from '../../src/alerts/notifiers.js';
import { buildHttpServer } from '../../src/http/http-server.js';
import { FakeClock } from '../support/fake-clock.js';
import { FakeStats } from '../alerts/fake-stats.js';
import { setup as appSetup } from './http-setup.js';

async function setup(t: TestContext) {
  const s = await appSetup(t);
  const silent = pino({ level: 'silent' });
  const clock = new FakeClock();
  const stats = new FakeStats();
  const alerts = new AlertEvaluator({ stats, storeFailing: () => false, clock, log: silent, notifier: new AlertNotifier(silent) });
  alerts.setRule(parseAlertRule({ name: 'from-config', metric: 'store_errors', forSeconds: 10 }), 'config');
  alerts.start();
  t.after(() => alerts.stop());
  const http = buildHttpServer({ ...s.app.httpDeps, alerts });
  t.after(() => http.close());
  const call = async (method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, body?: unknown) => {
    const r = await http.inject({ method, url, ...(body === undefined ? {} : { payload: body as object }) });
    return { status: r.statusCode, body: r.body.length > 0 ? JSON.parse(r.body) : null };
  };
  return { s, alerts, clock, stats, call };
}

const deep = { name: 'mail-deep', metric: 'queue_depth', function: 'mail', op: '>', threshold: 100, forSeconds: 30 };

test('alert rules: create, read, replace, delete; stored as settings and restored', async (t) => {
  const { s, alerts, call } = await setup(t);
  const created = await call('POST', '/api/v1/alerts/rules', deep);
  assert.equal(created.status, 201);
  assert.deepEqual(created.body, { ...deep, window: '5m', notify: [{ type: 'log' }], source: 'api' });
  assert.equal((await call('POST', '/api/v1/alerts/rules', deep)).body.error.code, 'CONFLICT');

  const list = await call('GET', '/api/v1/alerts/rules');
  assert.deepEqual(list.body.rules.map((r: any) => [r.name, r.source]), [['from-config', 'config'], ['mail-deep', 'api']]);
  assert.equal((await call('GET', '/api/v1/alerts/rules/mail-deep')).body.threshold, 100);
  const missing = await call('GET', '/api/v1/alerts/rules/nope');
  assert.equal(missing.status, 404);
  assert.equal(missing.body.error.code, 'ALERT_RULE_NOT_FOUND');

  const replaced = await call('PUT', '/api/v1/alerts/rules/mail-deep', { ...deep, name: undefined, threshold: 500 });
  assert.equal(replaced.status, 200);
  assert.equal(replaced.body.threshold, 500);
  const renamed = await call('PUT', '/api/v1/alerts/rules/mail-deep', { ...deep, name: 'other' });
  assert.equal(renamed.status, 400);

  // Stored: a fresh evaluator (as at the next start) finds the API rule again.
  const settings = await s.app.store.loadSettings();
  assert.equal(JSON.parse(settings['alert-rule:mail-deep']!).threshold, 500);
  const restarted = new AlertEvaluator({
    stats: null, storeFailing: () => false, clock: new FakeClock(), log: pino({ level: 'silent' }),
    notifier: new AlertNotifier(pino({ level: 'silent' })),
  });
  restarted.restoreRules([], settings);
  assert.equal(restarted.get('mail-deep')?.rule.threshold, 500);

  assert.equal((await call('DELETE', '/api/v1/alerts/rules/mail-deep')).status, 204);
  assert.equal(alerts.get('mail-deep'), undefined);
  assert.equal((await s.app.store.loadSettings())['alert-rule:mail-deep'], undefined);
  assert.equal((await call('DELETE', '/api/v1/alerts/rules/mail-deep')).status, 404);
});

test('alert rules: bad rules are 400 with the reason; config-file rules are read-only', async (t) => {
  const { call } = await setup(t);
  const bad = await call('POST', '/api/v1/alerts/rules', { ...deep, op: '!=' });
  assert.equal(bad.status, 400);
  assert.equal(bad.body.error.code, 'BAD_REQUEST');
  assert.match(bad.body.error.message, /op must be one of > >= < <= ==, got "!="/);
  assert.match((await call('POST', '/api/v1/alerts/rules', [deep])).body.error.message, /expected an object/);
  const del = await call('DELETE', '/api/v1/alerts/rules/from-config');
  assert.equal(del.status, 409);
  assert.match(del.body.error.message, /comes from the config file/);
  assert.equal((await call('PUT', '/api/v1/alerts/rules/from-config', { metric: 'store_errors', forSeconds: 1 })).status, 409);
  assert.equal((await call('POST', '/api/v1/alerts/rules', { name: 'from-config', metric: 'store_errors', forSeconds: 1 })).status, 409);
});

test('alerts: current states with their history; ?state= filters', async (t) => {
  const { call, clock, stats } = await setup(t);
  await call('POST', '/api/v1/alerts/rules', { ...deep, forSeconds: 2 });
  stats.set('mail', { queued: 150 });
  clock.advance(1000);
  clock.advance(2000);
  const r = await call('GET', '/api/v1/alerts');
  assert.equal(r.status, 200);
  const a = r.body.alerts.find((x: any) => x.rule === 'mail-deep');
  assert.equal(a.state, 'firing');
  assert.equal(a.value, 150);
  assert.equal(a.function, 'mail');
  assert.equal(a.since, new Date(clock.now()).toISOString());
  assert.deepEqual(a.history.map((h: any) => [h.from, h.to, h.value]), [['inactive', 'pending', 150], ['pending', 'firing', 150]]);
  assert.equal(r.body.alerts.find((x: any) => x.rule === 'from-config').state, 'inactive');
  assert.equal(r.body.evaluator.firing, 1);

  const firing = await call('GET', '/api/v1/alerts?state=firing');
  assert.deepEqual(firing.body.alerts.map((x: any) => x.rule), ['mail-deep']);
  assert.equal((await call('GET', '/api/v1/alerts?state=burning')).status, 400);
});

test('alerts: without an evaluator (HTTP port off) the routes do not exist', async (t) => {
  const s = await appSetup(t);
  const r = await s.get('/api/v1/alerts');
  assert.equal(r.status, 404);
  assert.equal(r.body.error.code, 'NOT_FOUND');
});

test('alert rules: the read-only token sees a webhook\'s origin and header names, not its secrets', async (t) => {
  const s = await appSetup(t);
  const silent = pino({ level: 'silent' });
  const alerts = new AlertEvaluator({ stats: new FakeStats(), storeFailing: () => false, clock: new FakeClock(), log: silent, notifier: new AlertNotifier(silent) });
  alerts.setRule(parseAlertRule({
    name: 'to-slack', metric: 'no_workers', forSeconds: 0,
    notify: [{ type: 'webhook', url: 'https://hooks.example.com/services/T000/B000/XXXXSECRET', headers: { Authorization: 'Bearer hook-secret' } }, { type: 'log' }],
  }), 'config');
  const http = buildHttpServer({ ...s.app.httpDeps, alerts, tokens: { full: 'full-token', read: 'read-token' } });
  t.after(() => http.close());
  const get = async (url: string, token: string) => {
    const r = await http.inject({ method: 'GET', url, headers: { authorization: `Bearer ${token}` } });
    assert.equal(r.statusCode, 200, r.body);
    return { json: JSON.parse(r.body), text: r.body };
  };
  for (const url of ['/api/v1/alerts/rules', '/api/v1/alerts/rules/to-slack']) {
    const read = await get(url, 'read-token');
    assert.ok(!read.text.includes('SECRET') && !read.text.includes('hook-secret'), read.text);
    const rule = url.endsWith('to-slack') ? read.json : read.json.rules[0];
    assert.deepEqual(rule.notify[0], { type: 'webhook', url: 'https://hooks.example.com/…', headers: { Authorization: '(hidden)' }, timeoutMs: rule.notify[0].timeoutMs, maxAttempts: rule.notify[0].maxAttempts });
    assert.deepEqual(rule.notify[1], { type: 'log' });
    const full = await get(url, 'full-token');
    assert.ok(full.text.includes('XXXXSECRET') && full.text.includes('Bearer hook-secret'), 'the full token sees what it can edit');
  }
});
