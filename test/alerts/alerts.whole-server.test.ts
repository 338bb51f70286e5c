/**
 * End to end on a real app: the real StatsEngine feeds the evaluator on the system clock, and a
 * real webhook receiver hears a `no_workers` alert fire when jobs wait with nobody to do them and
 * resolve when a worker arrives, each within forSeconds + 2 s (the target of issue 5).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { AlertEvaluator } from '../../src/alerts/alert-evaluator.js';
import { parseAlertRule } from '../../src/alerts/alert-rule.js';
import { AlertNotifier, type WebhookBody } from '../../src/alerts/notifiers.js';
import { StatsEngine } from '../../src/stats/stats-engine.js';
import { setup, worker } from '../http/http-setup.js';

test('alerts end to end: no_workers fires while jobs wait and resolves when a worker comes', async (t) => {
  const s = await setup(t);
  const got: { body: WebhookBody; at: number }[] = [];
  let wake: (() => void) | null = null;
  const receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      got.push({ body: JSON.parse(Buffer.concat(chunks).toString('utf8')), at: Date.now() });
      res.end('ok');
      wake?.();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  t.after(() => new Promise<void>((r) => { receiver.closeAllConnections(); receiver.close(() => r()); }));
  const until = (n: number, timeoutMs: number) => new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${got.length} of ${n} webhook calls in ${timeoutMs} ms`)), timeoutMs);
    const check = () => { if (got.length >= n) { clearTimeout(timer); wake = null; resolve(); } };
    wake = check;
    check();
  });

  const stats = new StatsEngine(s.app.engine);
  stats.start();
  t.after(() => stats.stop());
  const log = pino({ level: 'silent' });
  const evaluator = new AlertEvaluator({
    stats, storeFailing: () => false, clock: s.app.engine.clock, log, notifier: new AlertNotifier(log), intervalMs: 250,
  });
  const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/`;
  evaluator.setRule(parseAlertRule({
    name: 'mail-unserved', metric: 'no_workers', function: 'mail', forSeconds: 1, notify: [{ type: 'webhook', url }],
  }), 'api');
  evaluator.start();
  t.after(() => evaluator.stop());

  const submittedAt = Date.now();
  assert.equal((await s.post('/api/v1/jobs', { function: 'mail', payload: 'x' })).status, 201);
  await until(1, 3000 + 1000);
  assert.equal(got[0]!.body.status, 'firing');
  assert.ok(got[0]!.at - submittedAt >= 1000, 'not before forSeconds');

  const joinedAt = Date.now();
  await worker(s, 'mail');
  await until(2, 2000 + 1000);
  assert.equal(got[1]!.body.status, 'resolved');
  assert.ok(got[1]!.at - joinedAt < 2000, `resolved ${got[1]!.at - joinedAt} ms after the worker came`);
  assert.equal(evaluator.get('mail-unserved')!.state, 'resolved');
});
