/**
 * GET /api/v1/functions[/{name}] and PUT/DELETE /api/v1/functions/{name}/policy: what each
 * function holds, retry policies (checked by the same parser as the config file), kept across
 * restarts.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setup, worker } from './http-setup.js';

describe('GET /api/v1/functions', () => {
  it('lists every function with queued by priority, scheduled, running, workers and paused', async (t) => {
    const s = await setup(t);
    for (const priority of ['high', 'normal', 'normal', 'low'] as const) await s.post('/api/v1/jobs', { function: 'img', priority });
    await s.post('/api/v1/jobs', { function: 'img', delayMs: 60_000 });
    await s.post('/api/v1/jobs', { function: 'audio' });
    const w = await worker(s, 'img');
    await w.grab(); // takes the high one
    const r = await s.get('/api/v1/functions');
    assert.equal(r.status, 200);
    assert.deepEqual(r.body.functions.map((f: { name: string }) => f.name), ['audio', 'img']);
    const img = r.body.functions[1];
    assert.deepEqual(
      { queued: img.queued, scheduled: img.scheduled, running: img.running, workers: img.workers, paused: img.paused },
      { queued: { high: 0, normal: 2, low: 1 }, scheduled: 1, running: 1, workers: 1, paused: false },
    );
    assert.equal(img.policy, null);
    const one = await s.get('/api/v1/functions/img');
    assert.deepEqual(one.body, img);
  });

  it('answers 404 FUNCTION_NOT_FOUND for an unknown function', async (t) => {
    const s = await setup(t);
    const r = await s.get('/api/v1/functions/nothing');
    assert.equal(r.status, 404);
    assert.deepEqual(r.body.error, { code: 'FUNCTION_NOT_FOUND', message: 'no function "nothing"' });
  });

  it('finds a function with a UTF-8 name', async (t) => {
    const s = await setup(t);
    await s.post('/api/v1/jobs', { function: 'größe' });
    const r = await s.get(`/api/v1/functions/${encodeURIComponent('größe')}`);
    assert.equal(r.status, 200);
    assert.equal(r.body.name, 'größe');
  });
});

describe('PUT and DELETE /api/v1/functions/{name}/policy', () => {
  it('sets a policy with defaults filled in, removes it, and keeps it across a restart', async (t) => {
    const s = await setup(t);
    const r = await s.request('PUT', '/api/v1/functions/sync/policy', { maxAttempts: 5, backoff: { initialMs: 500 }, retryOn: ['fail', 'lost'] });
    assert.equal(r.status, 200);
    const expected = {
      maxAttempts: 5, backoff: { initialMs: 500, factor: 2, maxMs: 3600_000, jitter: 0 }, retryOn: ['fail', 'lost'], foreground: false, timeoutMs: null,
    };
    assert.deepEqual(r.body.policy, expected);
    assert.deepEqual(r.body.effectivePolicy, expected);
    await s.restart();
    assert.deepEqual((await s.get('/api/v1/functions/sync')).body.policy, expected);
    const d = await s.request('DELETE', '/api/v1/functions/sync/policy');
    assert.equal(d.status, 200);
    assert.equal(d.body.policy, null);
    await s.restart();
    // With neither jobs nor settings left, the function is gone after the restart.
    assert.equal((await s.get('/api/v1/functions/sync')).status, 404);
    await s.post('/api/v1/jobs', { function: 'sync' });
    assert.equal((await s.get('/api/v1/functions/sync')).body.policy, null);
  });

  it('refuses a bad policy with 400 and the parser\'s message', async (t) => {
    const s = await setup(t);
    const cases: [unknown, string][] = [
      [{ maxAttempts: 0 }, 'policy: maxAttempts must be a number from 1 to 10000'],
      [{ maxAttempts: 2.5 }, 'policy: maxAttempts must be a whole number'],
      [{ retryOn: ['crash'] }, 'policy: retryOn must list some of fail, exception, timeout, lost'],
      [{ backoff: { factor: 0.5 } }, 'policy: backoff.factor must be a number from 1 to 100'],
      [{ tries: 3 }, 'policy: unknown field "tries"'],
      [[1, 2], 'policy: expected an object'],
    ];
    for (const [body, message] of cases) {
      const r = await s.request('PUT', '/api/v1/functions/sync/policy', body);
      assert.equal(r.status, 400, JSON.stringify(body));
      assert.deepEqual(r.body.error, { code: 'BAD_REQUEST', message });
    }
    assert.equal(s.app.engine.functions.get('sync')?.policy ?? null, null, 'nothing was set');
  });

  it('answers 404 when removing the policy of an unknown function', async (t) => {
    const s = await setup(t);
    const r = await s.request('DELETE', '/api/v1/functions/ghost/policy');
    assert.equal(r.status, 404);
    assert.equal(r.body.error.code, 'FUNCTION_NOT_FOUND');
  });
});
