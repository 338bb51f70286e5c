/**
 * GET /api/v1/jobs/{handle} `forecast`: a queued job's place among its function's waiting jobs
 * (higher priorities first, FIFO within one) and when it should start at the current service
 * rate — checked against real workers draining at a known pace, with loose bounds.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import { buildHttpServer } from '../../src/http/http-server.js';
import { StatsEngine } from '../../src/stats/stats-engine.js';
import { PacketType } from '../support/raw-client.js';
import { setup, worker, type HttpSetup } from './http-setup.js';

const path = (handle: string) => `/api/v1/jobs/${encodeURIComponent(handle)}`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The app with its stats engine on (the harness runs without the HTTP port, so without one) and
 * GET through an HTTP server that has it.
 */
async function setupWithStats(t: TestContext) {
  const s = await setup(t);
  const stats = new StatsEngine(s.app.engine);
  stats.start();
  const http = buildHttpServer({ ...s.app.httpDeps, stats });
  t.after(async () => { stats.stop(); await http.close(); });
  const forecast = async (handle: string) => {
    const r = await http.inject({ method: 'GET', url: path(handle) });
    assert.equal(r.statusCode, 200, r.body);
    return JSON.parse(r.body).forecast;
  };
  return { s, forecast };
}

/** A worker that takes `fn`'s jobs one at a time and spends `ms` on each, until `stop.done`. */
async function pacedWorker(s: HttpSetup, fn: string, ms: number, stop: { done: boolean }): Promise<void> {
  const conn = await s.connect();
  conn.send(PacketType.CAN_DO, [fn]);
  while (!stop.done) {
    conn.send(PacketType.GRAB_JOB);
    const r = await conn.next(5000);
    if (r.type !== PacketType.JOB_ASSIGN) {
      await sleep(5);
      continue;
    }
    await sleep(ms);
    conn.send(PacketType.WORK_COMPLETE, [r.args[0]!, 'ok']);
  }
}

describe('GET /api/v1/jobs/{handle} forecast', () => {
  it('gives a queued job its place: higher priorities first, then FIFO; no start time without workers', async (t) => {
    const { s, forecast: place } = await setupWithStats(t);
    const submit = async (priority: string) => (await s.post('/api/v1/jobs', { function: 'fc', priority })).body.handle as string;
    const n1 = await submit('normal');
    const n2 = await submit('normal');
    const h1 = await submit('high');
    const l1 = await submit('low');
    const n3 = await submit('normal');
    assert.deepEqual(
      await Promise.all([h1, n1, n2, n3, l1].map(async (h) => [(await place(h)).position, (await place(h)).ahead])),
      [[1, 0], [2, 1], [3, 2], [4, 3], [5, 4]]);
    const f = await place(n3);
    assert.equal(f.exact, true);
    assert.equal(f.startsAt, null, 'no workers: no start time');
    assert.equal(f.basis.reason, 'no-workers');
    assert.equal(f.basis.perSecond, null);
    // A cancelled job ahead no longer counts.
    await s.post(`${path(n2)}/cancel`);
    assert.equal((await place(n3)).position, 3);
    // Only queued jobs have a forecast.
    assert.equal(await place(n2), null, 'cancelled');
    const later = (await s.post('/api/v1/jobs', { function: 'fc', delayMs: 60_000 })).body.handle;
    assert.equal(await place(later), null, 'scheduled');
    const w = await worker(s, 'fc');
    const running = await w.grab();
    assert.equal(running.handle, h1);
    assert.equal(await place(h1), null, 'running');
    assert.equal((await place(n1)).position, 1);
  });

  it('a paused function has no start time', async (t) => {
    const { s, forecast } = await setupWithStats(t);
    const { body: job } = await s.post('/api/v1/jobs', { function: 'held' });
    await worker(s, 'held');
    await s.post('/api/v1/functions/held/pause');
    const f = await forecast(job.handle);
    assert.deepEqual([f.position, f.startsAt, f.basis.reason], [1, null, 'paused']);
  });

  it('forecasts the start from the service rate of workers draining at a known pace', async (t) => {
    const { s, forecast } = await setupWithStats(t);
    const stop = { done: false };
    t.after(() => { stop.done = true; });
    const c = await s.connect();
    for (let i = 0; i < 150; i++) c.send(PacketType.SUBMIT_JOB_BG, ['paced', '', `job ${i}`]);
    for (let i = 0; i < 150; i++) await c.expect(PacketType.JOB_CREATED);
    // Two workers at 40 ms a job: about 50 jobs a second.
    let completed = 0;
    const off = s.app.engine.events.on('job.completed', () => { completed++; });
    t.after(off);
    void pacedWorker(s, 'paced', 40, stop).catch(() => {});
    void pacedWorker(s, 'paced', 40, stop).catch(() => {});
    // The rate is finishes over the last minute's time since start-up (at least 1 s): let it settle.
    while (completed < 40) await sleep(10);
    c.send(PacketType.SUBMIT_JOB_BG, ['paced', '', 'marker']);
    const marker = (await c.expect(PacketType.JOB_CREATED)).args[0]!;
    const askedAt = Date.now();
    const f = await forecast(marker);
    const queued = s.app.engine.functions.get('paced')!.queuedTotal;
    assert.equal(f.exact, true);
    assert.equal(f.position, f.ahead + 1);
    assert.ok(f.ahead <= queued && f.ahead >= queued - 5, `it is last in the queue: ahead ${f.ahead}, queued ${queued}`);
    assert.equal(f.basis.workers, 2);
    assert.ok(f.basis.perSecond > 5 && f.basis.perSecond < 100, `rate ${f.basis.perSecond}/s (really about 50)`);
    const predicted = Date.parse(f.startsAt) - askedAt;
    assert.ok(predicted > 0, `starts in the future (${predicted} ms)`);

    const deadline = Date.now() + 15_000;
    while (s.app.engine.jobs.get(marker)?.state === 'queued' && Date.now() < deadline) await sleep(5);
    const actual = Date.now() - askedAt;
    t.diagnostic(`ahead ${f.ahead} at ${f.basis.perSecond}/s: forecast ${predicted} ms, started after ${actual} ms`);
    // Loose: the mechanism, not the machine — within a factor of three.
    assert.ok(actual / predicted > 0.33 && actual / predicted < 3, `forecast ${predicted} ms, started after ${actual} ms`);
    stop.done = true;
  });
});
