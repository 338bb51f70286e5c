/**
 * GET /metrics: Prometheus text that a scraper can parse, with counts that follow real jobs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildHttpServer } from '../../src/http/http-server.js';
import { Metrics } from '../../src/stats/metrics.js';
import { setup, worker } from './http-setup.js';

/** Parses the text exposition into `name{labels}` → value, checking every line's shape. */
function parse(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('# HELP ') || line.startsWith('# TYPE ')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (-?[0-9.e+-]+|NaN|\+Inf)$/.exec(line);
    assert.ok(m, `a valid sample line: ${JSON.stringify(line)}`);
    out.set(m[1]! + (m[2] ?? ''), Number(m[3]));
  }
  return out;
}

test('metrics: counters, queue gauges and time histograms follow real jobs', async (t) => {
  const s = await setup(t);
  const metrics = new Metrics(s.app.engine, () => s.app.gearman.connectionCount);
  const http = buildHttpServer({ ...s.app.httpDeps, metrics });
  t.after(() => http.close());
  for (const payload of ['a', 'b', 'c']) assert.equal((await s.post('/api/v1/jobs', { function: 'mail', payload })).status, 201);
  await s.post('/api/v1/jobs', { function: 'mail', priority: 'high' });
  const w = await worker(s, 'mail');
  await w.complete((await w.grab()).handle, 'ok');
  await w.fail((await w.grab()).handle);

  const res = await http.inject({ method: 'GET', url: '/metrics' });
  assert.equal(res.statusCode, 200);
  assert.match(res.headers['content-type'] as string, /^text\/plain; version=0\.0\.4/);
  const m = parse(res.body);
  assert.equal(m.get('gearhq_jobs_submitted_total{function="mail"}'), 4);
  assert.equal(m.get('gearhq_jobs_completed_total{function="mail"}'), 1);
  assert.equal(m.get('gearhq_jobs_failed_total{function="mail",reason="fail"}'), 1);
  assert.equal(m.get('gearhq_queue_depth{function="mail",priority="normal"}'), 2);
  assert.equal(m.get('gearhq_queue_depth{function="mail",priority="high"}'), 0);
  assert.equal(m.get('gearhq_workers{function="mail"}'), 1);
  assert.equal(m.get('gearhq_jobs_running{function="mail"}'), 0);
  assert.equal(m.get('gearhq_job_runtime_seconds_count{function="mail"}'), 1);
  assert.equal(m.get('gearhq_job_wait_seconds_count{function="mail"}'), 2);
  const infBucket = [...m].find(([k]) => k.startsWith('gearhq_job_runtime_seconds_bucket{') &&
    k.includes('le="+Inf"') && k.includes('function="mail"'));
  assert.equal(infBucket?.[1], 1, 'the +Inf bucket holds every observation');
  assert.ok((m.get('gearhq_connections') ?? 0) >= 1);
});

test('metrics: not collected means 404 with the error shape, not an empty page', async (t) => {
  const s = await setup(t);
  const r = await s.get('/metrics');
  assert.equal(r.status, 404);
  assert.equal(r.body.error.code, 'NOT_FOUND');
});
