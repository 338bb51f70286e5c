/**
 * Webhooks against a real HTTP receiver on an ephemeral port: firing and resolving arrive in
 * order, as JSON with a Slack-compatible `text`; a 500 or a hung request is retried with back-off;
 * attempts are bounded.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { AlertEvaluator } from '../../src/alerts/alert-evaluator.js';
import { parseAlertRule } from '../../src/alerts/alert-rule.js';
import { AlertNotifier, type WebhookBody } from '../../src/alerts/notifiers.js';
import { FakeClock } from '../support/fake-clock.js';
import { FakeStats } from './fake-stats.js';

interface Received {
  body: WebhookBody;
  headers: IncomingMessage['headers'];
  at: number;
}

/** A receiver whose answer to the n-th request (from 0) the test decides. */
async function receiver(t: TestContext, answer: (n: number, res: ServerResponse) => void) {
  const got: Received[] = [];
  const waiters: { count: number; resolve: () => void }[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      got.push({ body: JSON.parse(Buffer.concat(chunks).toString('utf8')), headers: req.headers, at: Date.now() });
      for (const w of waiters) if (got.length >= w.count) w.resolve();
      answer(got.length - 1, res);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    got,
    /** Resolves once `count` requests have arrived. */
    until(count: number, timeoutMs = 5000): Promise<void> {
      if (got.length >= count) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`only ${got.length} of ${count} webhook requests arrived`)), timeoutMs);
        waiters.push({ count, resolve: () => { clearTimeout(timer); resolve(); } });
      });
    },
  };
}

function setup(t: TestContext, target: Record<string, unknown>) {
  const clock = new FakeClock();
  const stats = new FakeStats();
  const notifier = new AlertNotifier(pino({ level: 'silent' }), { initialBackoffMs: 50, maxBackoffMs: 400, maxQueued: 10 });
  const evaluator = new AlertEvaluator({ stats, storeFailing: () => false, clock, log: pino({ level: 'silent' }), notifier });
  evaluator.setRule(parseAlertRule({
    name: 'mail-backlog', metric: 'queue_depth', function: 'mail', op: '>', threshold: 100, forSeconds: 5,
    notify: [{ type: 'webhook', ...target }, { type: 'log' }],
  }), 'api');
  evaluator.start();
  t.after(() => evaluator.stop());
  return { clock, stats, evaluator, notifier };
}

test('webhook: fire and resolve reach a real receiver, in order, the fire retried after a 500', async (t) => {
  const r = await receiver(t, (n, res) => {
    res.statusCode = n === 0 ? 500 : 200;
    res.end(n === 0 ? 'try later' : 'ok');
  });
  const s = setup(t, { url: r.url, headers: { authorization: 'Bearer hook-secret' }, maxAttempts: 4, timeoutMs: 2000 });
  s.stats.set('mail', { queued: 250 });
  s.clock.advance(1000); // pending
  s.clock.advance(5000); // firing
  assert.equal(s.evaluator.get('mail-backlog')!.state, 'firing');
  s.stats.set('mail', { queued: 0 });
  s.clock.advance(1000); // resolved: queued behind the fire still being retried
  await r.until(3);

  assert.deepEqual(r.got.map((g) => g.body.status), ['firing', 'firing', 'resolved']);
  const fire = r.got[1]!.body;
  assert.match(fire.text, /^\[FIRING\] gearhq alert mail-backlog: queue_depth of "mail" is 250 \(> 100 for 5s\)$/);
  assert.equal(fire.alert.rule, 'mail-backlog');
  assert.equal(fire.alert.state, 'firing');
  assert.equal(fire.alert.previousState, 'pending');
  assert.equal(fire.alert.function, 'mail');
  assert.equal(fire.alert.value, 250);
  assert.equal(fire.alert.threshold, 100);
  assert.equal(fire.alert.at, new Date(s.evaluator.get('mail-backlog')!.history[1]!.at).toISOString());
  assert.match(r.got[2]!.body.text, /^\[RESOLVED\] gearhq alert mail-backlog: queue_depth of "mail" is 0$/);
  assert.equal(r.got[0]!.headers['content-type'], 'application/json');
  assert.equal(r.got[0]!.headers.authorization, 'Bearer hook-secret');
  assert.ok(r.got[1]!.at - r.got[0]!.at >= 40, 'the retry waited for its back-off');
  // Counted after the last answer was read.
  await waitFor(() => s.notifier.stats().sent === 2);
  assert.deepEqual({ ...s.notifier.stats() }, { sent: 2, failed: 0, retried: 1, dropped: 0, queued: 0, logged: 2 });
});

test('webhook: a request that hangs times out and is retried; attempts are bounded', async (t) => {
  const held: ServerResponse[] = [];
  const r = await receiver(t, (n, res) => {
    if (n === 0) held.push(res); // never answered
    else { res.statusCode = 503; res.end(); }
  });
  t.after(() => { for (const res of held) res.destroy(); });
  const s = setup(t, { url: r.url, maxAttempts: 3, timeoutMs: 200 });
  s.stats.set('mail', { queued: 101 });
  s.clock.advance(1000);
  s.clock.advance(5000);
  await r.until(3);
  await waitFor(() => s.notifier.stats().failed === 1);
  assert.equal(r.got.length, 3, 'no fourth attempt');
  assert.deepEqual({ ...s.notifier.stats(), logged: 0 }, { sent: 0, failed: 1, retried: 2, dropped: 0, queued: 0, logged: 0 });
});

async function waitFor(cond: () => boolean, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}
