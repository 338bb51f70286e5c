/**
 * /healthz, /readyz and routes that do not exist.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { VERSION } from '../../src/app.js';
import { buildHttpServer } from '../../src/http/http-server.js';
import type { Store } from '../../src/store/store.js';
import { setup } from './http-setup.js';

describe('health and unknown routes', () => {
  it('/healthz answers with the version; /readyz with the store', async (t) => {
    const s = await setup(t);
    assert.deepEqual((await s.get('/healthz')).body, { status: 'ok', version: VERSION });
    const ready = await s.get('/readyz');
    assert.equal(ready.status, 200);
    assert.deepEqual(ready.body, { status: 'ready', store: s.app.store.name });
  });

  it('/readyz answers 503 STORE_UNAVAILABLE when the store fails', async (t) => {
    const s = await setup(t);
    const broken: Store = Object.assign(Object.create(s.app.store) as Store, {
      nextHandleNumber: async () => { throw new Error('disk I/O error'); },
    });
    const http = buildHttpServer({ ...s.app.httpDeps, store: broken });
    t.after(() => http.close());
    const r = await http.inject({ method: 'GET', url: '/readyz' });
    assert.equal(r.statusCode, 503);
    assert.deepEqual(JSON.parse(r.body).error, { code: 'STORE_UNAVAILABLE', message: `store ${s.app.store.name}: disk I/O error` });
    assert.equal((await http.inject({ method: 'GET', url: '/healthz' })).statusCode, 200, 'still alive');
  });

  it('answers 404 NOT_FOUND for unknown routes and methods', async (t) => {
    const s = await setup(t);
    for (const [method, url] of [['GET', '/api/v1/nothing'], ['GET', '/api/v2/jobs'], ['POST', '/healthz'],
      ['DELETE', '/api/v1/jobs/H:test:1'], ['GET', '/api/v1/jobs/H:test:1/cancel']] as const) {
      const r = await s.request(method, url);
      assert.equal(r.status, 404, `${method} ${url}`);
      assert.deepEqual(r.body, { error: { code: 'NOT_FOUND', message: `no route ${method} ${url}` } });
    }
  });

  it('answers 500 INTERNAL without details when a route throws unexpectedly', async (t) => {
    const s = await setup(t);
    const failing: Store = Object.assign(Object.create(s.app.store) as Store, {
      findJob: async () => { throw new Error('secret internals'); },
    });
    const http = buildHttpServer({ ...s.app.httpDeps, store: failing });
    t.after(() => http.close());
    const r = await http.inject({ method: 'GET', url: '/api/v1/jobs/H:test:1' });
    assert.equal(r.statusCode, 500);
    assert.deepEqual(JSON.parse(r.body), { error: { code: 'INTERNAL', message: 'internal error' } });
  });
});
