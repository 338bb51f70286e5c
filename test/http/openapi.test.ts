/**
 * GET /api/v1/openapi.json: the OpenAPI document generated from the routes' schemas. Every route
 * registered under /api/v1 is in it with an operationId and a success schema, and what the routes
 * really send (real jobs, workers, schedules, rules, stats) validates against what it declares.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { Ajv, type ValidateFunction } from 'ajv';
import type { InjectOptions } from 'fastify';
import { pino } from 'pino';
import { AlertEvaluator } from '../../src/alerts/alert-evaluator.js';
import { AlertNotifier } from '../../src/alerts/notifiers.js';
import { buildHttpServer, type HttpDeps } from '../../src/http/http-server.js';
import { Metrics } from '../../src/stats/metrics.js';
import { StatsEngine } from '../../src/stats/stats-engine.js';
import { setup as appSetup, worker } from './http-setup.js';

interface Operation {
  operationId?: string;
  tags?: string[];
  security?: unknown[];
  responses: Record<string, { content?: Record<string, { schema?: unknown }> }>;
}
interface OpenApiDoc {
  openapi: string;
  info: { title: string; version: string };
  tags: { name: string }[];
  security?: unknown[];
  paths: Record<string, Record<string, Operation>>;
}

/** The app with every optional part on (stats, alerts, metrics), so that every route exists. */
async function setup(t: TestContext, extra: Partial<HttpDeps> = {}) {
  const s = await appSetup(t);
  const silent = pino({ level: 'silent' });
  const stats = new StatsEngine(s.app.engine);
  stats.start();
  const alerts = new AlertEvaluator({
    stats, storeFailing: () => false, clock: s.app.engine.clock, log: silent, notifier: new AlertNotifier(silent),
  });
  alerts.start();
  const metrics = new Metrics(s.app.engine, () => s.app.gearman.connectionCount);
  const http = buildHttpServer({ ...s.app.httpDeps, stats, alerts, metrics, ...extra });
  // Routes are added when the server gets ready, so a hook added now sees every one of them.
  const routes: { method: string; url: string }[] = [];
  http.addHook('onRoute', (r) => {
    for (const method of [r.method].flat()) {
      if (method !== 'HEAD' && r.url.startsWith('/api/v1')) routes.push({ method, url: r.url });
    }
  });
  await http.ready();
  t.after(async () => {
    await http.close();
    alerts.stop();
    stats.stop();
  });
  const call = async (method: InjectOptions['method'], url: string, body?: unknown, headers: Record<string, string> = {}) => {
    const r = await http.inject({ method, url, headers, ...(body === undefined ? {} : { payload: body as InjectOptions['payload'] }) });
    return { status: r.statusCode, body: r.body.length > 0 ? JSON.parse(r.body) as unknown : null };
  };
  return { s, alerts, routes, call };
}

/** Checks replies against the response schema the document declares for their route and status. */
function replyChecker(doc: OpenApiDoc) {
  const ajv = new Ajv({ strict: false, allErrors: true });
  // What the server writes (Date#toISOString), not merely something Date.parse accepts.
  ajv.addFormat('date-time', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  ajv.addSchema(doc, 'openapi.json');
  const compiled = new Map<string, ValidateFunction>();
  return (method: string, path: string, reply: { status: number; body: unknown }) => {
    const op = doc.paths[path]?.[method.toLowerCase()];
    assert.ok(op, `${method} ${path} is in the document`);
    const status = op.responses[String(reply.status)] !== undefined ? String(reply.status) : 'default';
    assert.ok(op.responses[status]?.content?.['application/json']?.schema, `${method} ${path} declares a JSON schema for ${reply.status}`);
    const pointer = ['paths', path, method.toLowerCase(), 'responses', status, 'content', 'application/json', 'schema']
      .map((p) => encodeURIComponent(p.replaceAll('~', '~0').replaceAll('/', '~1'))).join('/');
    let validate = compiled.get(pointer);
    if (validate === undefined) {
      validate = ajv.compile({ $ref: `openapi.json#/${pointer}` });
      compiled.set(pointer, validate);
    }
    assert.ok(validate(reply.body), `${method} ${path} ${reply.status}: ${ajv.errorsText(validate.errors)}\n${JSON.stringify(reply.body)}`);
  };
}

test('openapi: an OpenAPI 3 document with every /api/v1 route, each with an operationId and a success schema', async (t) => {
  const { s, routes, call } = await setup(t);
  const r = await call('GET', '/api/v1/openapi.json');
  assert.equal(r.status, 200);
  const doc = r.body as OpenApiDoc;
  assert.match(doc.openapi, /^3\.\d+\.\d+$/);
  assert.equal(doc.info.version, s.app.httpDeps.version);
  assert.ok(routes.length >= 30, `routes were collected (${routes.length})`);
  const tags = new Set(doc.tags.map((x) => x.name));
  const operationIds = new Set<string>();
  for (const { method, url } of routes) {
    const path = url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
    const op = doc.paths[path]?.[method.toLowerCase()];
    assert.ok(op, `${method} ${path} is in the document`);
    assert.equal(typeof op.operationId, 'string', `${method} ${path} has an operationId`);
    assert.ok(!operationIds.has(op.operationId!), `operationId ${op.operationId} is used once`);
    operationIds.add(op.operationId!);
    assert.ok(op.tags !== undefined && op.tags.length > 0 && op.tags.every((x) => tags.has(x)), `${method} ${path} has declared tags`);
    const success = Object.keys(op.responses).filter((status) => /^2\d\d$/.test(status));
    assert.ok(success.length > 0, `${method} ${path} declares a 2xx reply`);
    for (const status of success) {
      if (status === '204') continue;
      const content = Object.values(op.responses[status]!.content ?? {});
      assert.ok(content.length > 0 && content.every((c) => c.schema !== undefined), `${method} ${path} ${status} has a schema`);
    }
  }
  // Health checks stay open whatever tokens are set; the document says so.
  assert.deepEqual(doc.paths['/healthz']?.get?.security, []);
});

test('openapi: what the routes send validates against the schemas the document declares', async (t) => {
  const { s, alerts, call } = await setup(t);
  const doc = (await call('GET', '/api/v1/openapi.json')).body as OpenApiDoc;
  const check = replyChecker(doc);
  const expect = async (method: InjectOptions['method'] & string, url: string, path: string, status: number, body?: unknown) => {
    const r = await call(method, url, body);
    assert.equal(r.status, status, `${method} ${url}: ${JSON.stringify(r.body)}`);
    check(method, path, r);
    return r.body as Record<string, any>;
  };
  const job = '/api/v1/jobs/{handle}';

  // Jobs in every shape: text and binary payloads, due later, finished with a result, running.
  const text = await expect('POST', '/api/v1/jobs', '/api/v1/jobs', 201, { function: 'resize', payload: 'a.png', unique: 'u1' });
  const binary = await expect('POST', '/api/v1/jobs', '/api/v1/jobs', 201, { function: 'resize', payloadBase64: '/w==' });
  assert.equal(binary.payload.base64, '/w==');
  const later = await expect('POST', '/api/v1/jobs', '/api/v1/jobs', 201, { function: 'mail', delayMs: 60_000, priority: 'low' });
  assert.equal(later.state, 'scheduled');
  const w = await worker(s, 'resize');
  const first = await w.grab();
  await w.complete(first.handle, 'done');
  await w.grab(); // holds the binary job: running, listed under its worker
  const done = await expect('GET', `/api/v1/jobs/${encodeURIComponent(text.handle)}`, job, 200);
  assert.equal(done.state, 'completed');
  assert.equal(done.result.text, 'done');
  assert.ok(done.events.length >= 3, 'a timeline');
  await expect('GET', `/api/v1/jobs/${encodeURIComponent(binary.handle)}`, job, 200);
  await expect('GET', '/api/v1/jobs?limit=10', '/api/v1/jobs', 200);
  await expect('POST', `/api/v1/jobs/${encodeURIComponent(later.handle)}/reschedule`, `${job}/reschedule`, 200, { delayMs: 1000 });
  await expect('POST', `/api/v1/jobs/${encodeURIComponent(later.handle)}/cancel`, `${job}/cancel`, 200, {});
  await expect('POST', `/api/v1/jobs/${encodeURIComponent(later.handle)}/retry`, `${job}/retry`, 200, {});
  const queued = await expect('GET', `/api/v1/jobs/${encodeURIComponent(later.handle)}`, job, 200);
  assert.equal(queued.forecast.position, 1, 'a queued job comes with its start forecast');
  await expect('GET', '/api/v1/jobs/H:nowhere:1', job, 404);
  await expect('POST', '/api/v1/jobs', '/api/v1/jobs', 400, { function: 'f', colour: 'red' });
  await expect('GET', '/api/v1/jobs?state=lost', '/api/v1/jobs', 400);

  // Functions with and without a policy, paused; the worker holding its job.
  await expect('PUT', '/api/v1/functions/resize/policy', '/api/v1/functions/{name}/policy', 200,
    { maxAttempts: 3, backoff: { initialMs: 500 }, timeoutMs: 60_000 });
  await expect('POST', '/api/v1/functions/mail/pause', '/api/v1/functions/{name}/pause', 200, {});
  await expect('GET', '/api/v1/functions', '/api/v1/functions', 200);
  await expect('GET', '/api/v1/functions/resize', '/api/v1/functions/{name}', 200);
  await expect('DELETE', '/api/v1/functions/resize/policy', '/api/v1/functions/{name}/policy', 200);
  const workers = await expect('GET', '/api/v1/workers', '/api/v1/workers', 200);
  assert.equal(workers.workers[0].jobs.length, 1);

  // Schedules, alert rules and their alerts, stats.
  const nightly = { name: 'nightly', cron: '0 3 * * *', function: 'report', payload: 'all' };
  await expect('POST', '/api/v1/schedules', '/api/v1/schedules', 201, nightly);
  await expect('PATCH', '/api/v1/schedules/nightly', '/api/v1/schedules/{name}', 200, { enabled: false });
  await expect('GET', '/api/v1/schedules', '/api/v1/schedules', 200);
  await expect('GET', '/api/v1/schedules/nightly', '/api/v1/schedules/{name}', 200);
  const rule = {
    name: 'resize-deep', metric: 'queue_depth', function: 'resize', op: '>', threshold: -1, forSeconds: 0,
    notify: [{ type: 'log' }, { type: 'webhook', url: 'http://127.0.0.1:9/hook', headers: { 'x-team': 'media' } }],
  };
  await expect('POST', '/api/v1/alerts/rules', '/api/v1/alerts/rules', 201, rule);
  await expect('PUT', '/api/v1/alerts/rules/workers-gone', '/api/v1/alerts/rules/{name}', 200, { metric: 'no_workers', forSeconds: 5 });
  await expect('GET', '/api/v1/alerts/rules', '/api/v1/alerts/rules', 200);
  await expect('GET', '/api/v1/alerts/rules/resize-deep', '/api/v1/alerts/rules/{name}', 200);
  alerts.evaluate();
  const listed = await expect('GET', '/api/v1/alerts', '/api/v1/alerts', 200);
  assert.ok(listed.alerts.some((a: { history: unknown[] }) => a.history.length > 0), 'an alert with history was checked');
  await expect('GET', '/api/v1/stats?window=1m', '/api/v1/stats', 200);
  await expect('GET', '/api/v1/stats/history', '/api/v1/stats/history', 200);

  await expect('GET', '/healthz', '/healthz', 200);
  await expect('GET', '/readyz', '/readyz', 200);
  await expect('GET', '/api/v1/auth', '/api/v1/auth', 200);
});

test('openapi: readable with the read-only token, not without one; it says a token is needed', async (t) => {
  const { call } = await setup(t, { tokens: { full: 'full-secret', read: 'read-secret' } });
  assert.equal((await call('GET', '/api/v1/openapi.json')).status, 401);
  const r = await call('GET', '/api/v1/openapi.json', undefined, { authorization: 'Bearer read-secret' });
  assert.equal(r.status, 200);
  const doc = r.body as OpenApiDoc;
  assert.deepEqual(doc.security, [{ bearer: [] }]);
  assert.deepEqual(doc.paths['/readyz']?.get?.security, [], 'health checks need no token');
});
