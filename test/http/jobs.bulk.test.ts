/**
 * POST /api/v1/jobs/bulk and /api/v1/operations: cancel or retry every job matching a filter as a
 * tracked operation — with real jobs submitted over the Gearman port, walked in pages, others
 * left alone; the safety catch, bad input, unknown ids, stopping, and the read-only token.
 */
import { describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { Ajv } from 'ajv';
import type { FastifyInstance } from 'fastify';
import { buildHttpServer } from '../../src/http/http-server.js';
import { PacketType } from '../support/raw-client.js';
import { setup, worker, type HttpSetup } from './http-setup.js';

/** Submits `n` background jobs of `fn` over the Gearman port; returns their handles, oldest first. */
async function submitMany(s: HttpSetup, fn: string, n: number, unique = (i: number) => `${fn}-${i}`): Promise<string[]> {
  const c = await s.connect();
  for (let i = 0; i < n; i++) c.send(PacketType.SUBMIT_JOB_BG, [fn, unique(i), `payload ${i}`]);
  const handles: string[] = [];
  for (let i = 0; i < n; i++) handles.push((await c.expect(PacketType.JOB_CREATED)).args[0]!);
  return handles;
}

/** A second HTTP server over the same app with small pages, so walks take several pages. */
async function pagedHttp(t: TestContext, s: HttpSetup, pageSize: number): Promise<FastifyInstance> {
  const http = buildHttpServer({ ...s.app.httpDeps, operations: { pageSize } });
  await http.ready();
  t.after(() => http.close());
  return http;
}

async function call(http: FastifyInstance, method: 'GET' | 'POST', url: string, body?: unknown) {
  const r = await http.inject({ method, url, ...(body === undefined ? {} : { payload: body as object }) });
  return { status: r.statusCode, body: JSON.parse(r.body), headers: r.headers };
}

/** Polls the operation until it is no longer running. */
async function finished(http: FastifyInstance, id: string, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await call(http, 'GET', `/api/v1/operations/${id}`);
    assert.equal(r.status, 200);
    if (r.body.operation.state !== 'running') return r.body.operation;
    if (Date.now() > deadline) assert.fail(`operation ${id} still running: ${JSON.stringify(r.body.operation)}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('POST /api/v1/jobs/bulk', () => {
  it('cancels only the jobs the filter matches, page by page, and leaves the others alone', async (t) => {
    const s = await setup(t);
    const http = await pagedHttp(t, s, 64);
    const doomed = await submitMany(s, 'bulk-a', 500);
    const kept = await submitMany(s, 'bulk-b', 40);
    const started = await call(http, 'POST', '/api/v1/jobs/bulk', { action: 'cancel', filter: { function: 'bulk-a' } });
    assert.equal(started.status, 202);
    const op0 = started.body.operation;
    assert.equal(op0.action, 'cancel');
    assert.equal(op0.state, 'running');
    assert.deepEqual(op0.filter, { function: 'bulk-a' });
    assert.equal(started.headers.location, `/api/v1/operations/${op0.id}`);

    const op = await finished(http, op0.id);
    assert.equal(op.state, 'done');
    assert.deepEqual([op.total, op.matched, op.done, op.skipped, op.errors], [500, 500, 500, 0, 0]);
    assert.ok(op.finishedAt >= op.startedAt);

    assert.equal(s.app.engine.functions.get('bulk-a')!.queuedTotal, 0);
    assert.equal(s.app.engine.functions.get('bulk-b')!.queuedTotal, 40);
    const cancelled = await s.get('/api/v1/jobs?function=bulk-a&state=cancelled&limit=1000');
    assert.deepEqual(cancelled.body.jobs.map((j: { handle: string }) => j.handle).sort(), [...doomed].sort());
    const one = await s.get(`/api/v1/jobs/${encodeURIComponent(doomed[123]!)}`);
    assert.equal(one.body.events.at(-1).type, 'cancelled');
    // The other function's jobs still run, oldest first.
    const w = await worker(s, 'bulk-b');
    assert.equal((await w.grab()).handle, kept[0]);

    const list = await call(http, 'GET', '/api/v1/operations');
    assert.equal(list.status, 200);
    assert.equal(list.body.operations[0].id, op0.id);
  });

  it('retries the failed jobs of a function under their handles, and skips one whose unique is taken', async (t) => {
    const s = await setup(t);
    const handles = await submitMany(s, 'flaky', 12);
    const w = await worker(s, 'flaky');
    // The first 8 fail, the rest complete.
    for (let i = 0; i < 12; i++) {
      const { handle } = await w.grab();
      if (i < 8) await w.fail(handle);
      else await w.complete(handle, 'ok');
    }
    // A new job now holds the unique of one failed job: that one cannot run again.
    await submitMany(s, 'flaky', 1, () => 'flaky-3');
    const started = await s.post('/api/v1/jobs/bulk', { action: 'retry', filter: { function: 'flaky' } });
    assert.equal(started.status, 202);
    const op = await finished(s.http, started.body.operation.id);
    assert.equal(op.state, 'done');
    assert.deepEqual([op.total, op.done, op.skipped, op.errors], [8, 7, 1, 0]);
    assert.deepEqual(op.skippedJobs, [{ handle: handles[3], reason: 'an active job already holds unique "flaky-3"' }]);
    // The 7 come back queued with their old handles (newest first, as the walk found them), after the new job.
    const again: string[] = [];
    for (let i = 0; i < 8; i++) again.push((await w.grab()).handle);
    assert.deepEqual(again.slice(1).sort(), handles.slice(0, 8).filter((_, i) => i !== 3).sort());
    const done = await s.get(`/api/v1/jobs/${encodeURIComponent(handles[0]!)}`);
    assert.equal(done.body.state, 'running');
    assert.equal(done.body.attempts, 2);
  });

  it('cancels everything still to run only when told "all": true', async (t) => {
    const s = await setup(t);
    await submitMany(s, 'x', 5);
    await submitMany(s, 'y', 5);
    await s.post('/api/v1/jobs', { function: 'z', delayMs: 3600_000 });
    const refused = await s.post('/api/v1/jobs/bulk', { action: 'cancel' });
    assert.equal(refused.status, 400);
    assert.equal(refused.body.error.code, 'BAD_REQUEST');
    assert.match(refused.body.error.message, /this would cancel every running, queued, scheduled job: .* or "all": true/);
    const stateOnly = await s.post('/api/v1/jobs/bulk', { action: 'cancel', filter: { state: 'queued' } });
    assert.equal(stateOnly.status, 400, 'a state alone does not narrow');
    const r = await s.post('/api/v1/jobs/bulk', { action: 'cancel', all: true });
    assert.equal(r.status, 202);
    const op = await finished(s.http, r.body.operation.id);
    assert.deepEqual([op.total, op.done], [11, 11]);
    assert.equal(s.app.engine.jobs.size, 0);
  });

  it('answers 400 for bad input, 404 for an unknown operation', async (t) => {
    const s = await setup(t);
    for (const [body, message] of [
      [{}, /must have required property 'action'/],
      [{ action: 'delete', filter: { function: 'f' } }, /must be equal to one of the allowed values/],
      [{ action: 'cancel', filter: { function: 'f', colour: 'red' } }, /must NOT have additional properties/],
      [{ action: 'cancel', filter: { function: 'f' }, everything: true }, /must NOT have additional properties/],
      [{ action: 'cancel', filter: { function: 'f', state: 'completed' } }, /cancel applies to running, queued, scheduled jobs, not completed ones/],
      [{ action: 'retry', filter: { function: 'f', state: 'queued' } }, /retry applies to failed, abandoned, cancelled, completed jobs, not queued ones/],
      [{ action: 'retry', filter: { function: 'f', state: 'lost' } }, /must be equal to one of the allowed values/],
      [{ action: 'cancel', filter: { since: 'yesterday' } }, /since must be an ISO-8601 time/],
      [{ action: 'cancel', filter: { q: '' } }, /q must be 1 to 200 characters/],
      [{ action: 'cancel', filter: { function: 42 } }, /must be string/],
      [{ action: 'retry', all: 'yes' }, /must be boolean/],
    ] as const) {
      const r = await s.post('/api/v1/jobs/bulk', body);
      assert.equal(r.status, 400, JSON.stringify(body));
      assert.equal(r.body.error.code, 'BAD_REQUEST');
      assert.match(r.body.error.message, message);
    }
    for (const r of [await s.get('/api/v1/operations/nope'), await s.post('/api/v1/operations/nope/stop')]) {
      assert.equal(r.status, 404);
      assert.equal(r.body.error.code, 'OPERATION_NOT_FOUND');
    }
    assert.deepEqual((await s.get('/api/v1/operations')).body, { operations: [] });
  });

  it('stops a running operation after its current page; what it did stays done', async (t) => {
    const s = await setup(t);
    const http = await pagedHttp(t, s, 5);
    await submitMany(s, 'slow', 300);
    const started = await call(http, 'POST', '/api/v1/jobs/bulk', { action: 'cancel', filter: { function: 'slow' } });
    const stopped = await call(http, 'POST', `/api/v1/operations/${started.body.operation.id}/stop`);
    assert.equal(stopped.status, 200);
    const op = stopped.body.operation;
    assert.equal(op.state, 'stopped');
    assert.equal(op.message, 'stopped on request');
    assert.ok(op.done < 300, `stopped early (done ${op.done})`);
    assert.equal(s.app.engine.functions.get('slow')!.queuedTotal, 300 - op.done);
    // Stopping a finished operation changes nothing.
    const again = await call(http, 'POST', `/api/v1/operations/${op.id}/stop`);
    assert.equal(again.body.operation.state, 'stopped');
  });

  it('reports progress on the live event stream', async (t) => {
    const s = await setup(t);
    const http = await pagedHttp(t, s, 50);
    await http.listen({ port: 0, host: '127.0.0.1' });
    const port = (http.server.address() as AddressInfo).port;
    await submitMany(s, 'sse', 200);
    const res = await fetch(`http://127.0.0.1:${port}/api/v1/events?types=operation`);
    const reader = res.body!.getReader();
    const events: { event: string; data: any }[] = [];
    const started = await call(http, 'POST', '/api/v1/jobs/bulk', { action: 'cancel', filter: { function: 'sse' } });
    let text = '';
    const deadline = Date.now() + 10_000;
    while (!events.some((e) => e.event === 'operation.finished')) {
      assert.ok(Date.now() < deadline, 'operation.finished within 10 s');
      const { value, done } = await reader.read();
      if (done) break;
      text += Buffer.from(value).toString('utf8');
      for (let i = text.indexOf('\n\n'); i >= 0; i = text.indexOf('\n\n')) {
        const block = text.slice(0, i);
        text = text.slice(i + 2);
        const event = /^event: (.*)$/m.exec(block)?.[1];
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (event !== undefined && data !== undefined) events.push({ event, data: JSON.parse(data) });
      }
    }
    await reader.cancel();
    assert.equal(events[0]!.event, 'operation.started');
    assert.equal(events[0]!.data.operation.id, started.body.operation.id);
    const progress = events.filter((e) => e.event === 'operation.progress').map((e) => e.data.operation.done);
    // One after counting, then one per page of 50.
    assert.ok(progress.length >= 4, `progress events: ${progress.join(', ')}`);
    assert.deepEqual(progress, [...progress].sort((a, b) => a - b), 'done only grows');
    assert.equal(events.at(-1)!.data.operation.done, 200);
  });

  it('needs the full token: the read-only one may follow operations but not start them', async (t) => {
    const s = await setup(t, { config: { httpToken: 'full-secret', httpReadToken: 'read-secret' } });
    await submitMany(s, 'guarded', 3);
    const ask = async (method: 'GET' | 'POST', url: string, token: string, body?: unknown) => {
      const r = await s.http.inject({
        method, url, headers: { authorization: `Bearer ${token}` }, ...(body === undefined ? {} : { payload: body as object }),
      });
      return { status: r.statusCode, body: JSON.parse(r.body) };
    };
    const body = { action: 'cancel', filter: { function: 'guarded' } };
    const denied = await ask('POST', '/api/v1/jobs/bulk', 'read-secret', body);
    assert.equal(denied.status, 403);
    assert.equal(denied.body.error.code, 'FORBIDDEN');
    assert.equal(s.app.engine.functions.get('guarded')!.queuedTotal, 3);
    const ok = await ask('POST', '/api/v1/jobs/bulk', 'full-secret', body);
    assert.equal(ok.status, 202);
    const id = ok.body.operation.id;
    assert.equal((await ask('GET', `/api/v1/operations/${id}`, 'read-secret')).status, 200);
    assert.equal((await ask('POST', `/api/v1/operations/${id}/stop`, 'read-secret')).status, 403);
  });

  it('answers what the OpenAPI document declares', async (t) => {
    const s = await setup(t);
    await submitMany(s, 'doc', 3);
    const doc = (await s.get('/api/v1/openapi.json')).body;
    const ajv = new Ajv({ strict: false, allErrors: true });
    ajv.addFormat('date-time', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    ajv.addSchema(doc, 'openapi.json');
    const check = (method: string, path: string, r: { status: number; body: unknown }) => {
      const responses = doc.paths[path][method].responses;
      const status = responses[String(r.status)] !== undefined ? String(r.status) : 'default';
      const pointer = ['paths', path, method, 'responses', status, 'content', 'application/json', 'schema']
        .map((p) => encodeURIComponent(p.replaceAll('~', '~0').replaceAll('/', '~1'))).join('/');
      const validate = ajv.compile({ $ref: `openapi.json#/${pointer}` });
      assert.ok(validate(r.body), `${method} ${path} ${r.status}: ${ajv.errorsText(validate.errors)}\n${JSON.stringify(r.body)}`);
    };
    const started = await s.post('/api/v1/jobs/bulk', { action: 'cancel', filter: { function: 'doc' } });
    check('post', '/api/v1/jobs/bulk', started);
    const id = started.body.operation.id;
    await finished(s.http, id);
    check('get', '/api/v1/operations/{id}', await s.get(`/api/v1/operations/${id}`));
    check('get', '/api/v1/operations', await s.get('/api/v1/operations'));
    check('post', '/api/v1/operations/{id}/stop', await s.post(`/api/v1/operations/${id}/stop`));
    check('post', '/api/v1/jobs/bulk', await s.post('/api/v1/jobs/bulk', { action: 'cancel' }));
    check('get', '/api/v1/operations/{id}', await s.get('/api/v1/operations/nope'));
    assert.deepEqual(doc.paths['/api/v1/jobs/bulk'].post.tags, ['jobs']);
    assert.equal(doc.paths['/api/v1/operations/{id}'].get.operationId, 'getOperation');
  });
});
