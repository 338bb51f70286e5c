/**
 * GET /api/v1/stats and /api/v1/stats/history through inject(): the snapshot over real jobs,
 * window validation, roll-ups written by the roll-up writer and read back after a restart.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { buildHttpServer } from '../../src/http/http-server.js';
import { RollupWriter } from '../../src/stats/rollup-writer.js';
import { StatsEngine } from '../../src/stats/stats-engine.js';
import { FakeClock } from '../support/fake-clock.js';
import { setup, worker, type HttpSetup } from './http-setup.js';

async function withStats(s: HttpSetup, t: { after(fn: () => unknown): void }) {
  const stats = new StatsEngine(s.app.engine);
  stats.start();
  const http = buildHttpServer({ ...s.app.httpDeps, stats });
  t.after(async () => { stats.stop(); await http.close(); });
  const get = async (url: string) => {
    const r = await http.inject({ method: 'GET', url });
    return { status: r.statusCode, body: JSON.parse(r.body) };
  };
  return { stats, get };
}

test('stats: the snapshot follows real jobs; the window is checked; off means 404', async (t) => {
  const s = await setup(t);
  assert.equal((await s.get('/api/v1/stats')).status, 404, 'not collected without the stats engine');
  const { get } = await withStats(s, t);
  for (const payload of ['a', 'b', 'c']) assert.equal((await s.post('/api/v1/jobs', { function: 'mail', payload })).status, 201);
  const w = await worker(s, 'mail');
  await w.complete((await w.grab()).handle, 'ok');
  await w.fail((await w.grab()).handle);

  const r = await get('/api/v1/stats?window=1m');
  assert.equal(r.status, 200);
  assert.equal(r.body.window, '1m');
  assert.match(r.body.at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  assert.ok(r.body.seconds >= 1 && r.body.seconds <= 60, `the 1m window covers up to 60 s, got ${r.body.seconds}`);
  const mail = r.body.functions.find((f: { function: string }) => f.function === 'mail');
  assert.deepEqual(
    [mail.submitted, mail.completed, mail.failed, mail.failureRate, mail.runtime.count, mail.wait.count],
    [3, 1, 1, 0.5, 1, 2]);
  assert.deepEqual(mail.queued, { high: 0, normal: 1, low: 0 });
  assert.equal(mail.workers, 1);
  assert.equal(typeof mail.oldestWaitingMs, 'number');
  assert.equal(r.body.totals.submitted, 3);
  assert.equal((await get('/api/v1/stats')).body.window, '5m', 'the default window');
  const bad = await get('/api/v1/stats?window=2m');
  assert.equal(bad.status, 400);
  assert.equal(bad.body.error.code, 'BAD_REQUEST');
});

test('stats history: the roll-up writer\'s minutes survive a restart; ranges and bad input', async (t) => {
  const s = await setup(t);
  // An hour ago on a whole hour (the retention pruner drops roll-ups older than it keeps them, so
  // a fixed date would be pruned at the restart once it is old enough).
  const t0 = Math.floor(Date.now() / 3_600_000) * 3_600_000 - 3_600_000;
  const iso = (ms: number) => new Date(ms).toISOString();
  const min = 60_000;
  const clock = new FakeClock(t0);
  const stats = new StatsEngine(s.app.engine, clock);
  stats.start();
  const writer = new RollupWriter(stats, s.app.store, clock, pino({ level: 'silent' }), { delayMs: 1000 });
  writer.start();
  for (const payload of ['a', 'b']) await s.post('/api/v1/jobs', { function: 'caf\u00e9', payload });
  clock.advance(61_000); // t0 + 1:01: the writer writes minute t0
  await writer.stop();
  stats.stop();
  assert.equal(writer.stats().written, 1);

  await s.restart();
  const r = await s.get(`/api/v1/stats/history?function=caf%C3%A9&since=${iso(t0 - 60 * min)}&until=${iso(t0 + 60 * min)}`);
  assert.equal(r.status, 200, r.text);
  assert.equal(r.body.truncated, false);
  assert.equal(r.body.rollups.length, 1);
  const row = r.body.rollups[0];
  assert.deepEqual([row.function, row.at, row.submitted, row.completed, row.queued],
    ['caf\u00e9', iso(t0), 2, 0, 2]);
  assert.deepEqual(row.runtime, { p50: null, p95: null, p99: null, count: 0 });

  const all = await s.get(`/api/v1/stats/history?since=${iso(t0)}&until=${iso(t0 + min)}&limit=1`);
  assert.equal(all.body.rollups.length, 1, 'every function when none is named');
  assert.equal((await s.get(`/api/v1/stats/history?function=caf%C3%A9&since=${iso(t0 + 1000)}&until=${iso(t0 + 60 * min)}`))
    .body.rollups.length, 0, 'since is inclusive of whole minutes only');
  for (const q of ['since=yesterday', 'limit=0', 'since=2025-06-02T00:00:00Z&until=2025-06-01T00:00:00Z']) {
    const bad = await s.get(`/api/v1/stats/history?${q}`);
    assert.equal(bad.status, 400, q);
    assert.equal(bad.body.error.code, 'BAD_REQUEST');
  }
});
