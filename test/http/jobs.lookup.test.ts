/**
 * GET /api/v1/jobs/{handle}: the record with its timeline, unknown handles, and old handles after
 * the app restarts on the same data directory.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setup, worker } from './http-setup.js';

const path = (handle: string) => `/api/v1/jobs/${encodeURIComponent(handle)}`;

describe('GET /api/v1/jobs/{handle}', () => {
  it('shows a finished job with its result, worker and timeline in order', async (t) => {
    const s = await setup(t);
    const { body: job } = await s.post('/api/v1/jobs', { function: 'resize', payload: 'cat.png' });
    const w = await worker(s, 'resize');
    const got = await w.grab();
    assert.equal(got.handle, job.handle);
    const running = await s.get(path(job.handle));
    assert.equal(running.body.state, 'running');
    assert.equal(running.body.attempts, 1);
    assert.match(running.body.worker, /^127\.0\.0\.1/);
    await w.complete(job.handle, 'cat-small.png');
    const r = await s.get(path(job.handle));
    assert.equal(r.status, 200);
    assert.equal(r.body.state, 'completed');
    assert.deepEqual(r.body.result, { size: 13, text: 'cat-small.png', truncated: false });
    assert.ok(r.body.startedAt !== null && r.body.finishedAt !== null);
    assert.deepEqual(r.body.events.map((e: { type: string }) => e.type), ['submitted', 'started', 'completed']);
    assert.equal(r.body.events[0].at, r.body.submittedAt);
    assert.equal(r.body.events[2].at, r.body.finishedAt);
    assert.match(r.body.events[1].detail, /^attempt 1 on 127\.0\.0\.1/);
  });

  it('shows each failed attempt of a retried job in its timeline', async (t) => {
    const s = await setup(t);
    const policy = await s.request('PUT', '/api/v1/functions/flaky/policy', {
      maxAttempts: 3, backoff: { initialMs: 0 }, retryOn: ['fail'],
    });
    assert.equal(policy.status, 200);
    const { body: job } = await s.post('/api/v1/jobs', { function: 'flaky', payload: 'x' });
    const w = await worker(s, 'flaky');
    await w.fail((await w.grab()).handle);
    await w.fail((await w.grab()).handle);
    await w.complete((await w.grab()).handle, 'third time lucky');
    const r = await s.get(path(job.handle));
    assert.equal(r.body.state, 'completed');
    assert.equal(r.body.attempts, 3);
    const types = r.body.events.map((e: { type: string }) => e.type);
    assert.deepEqual(types, ['submitted', 'retrying', 'retrying', 'started', 'completed']);
    assert.match(r.body.events[1].detail, /^fail; attempt 2 at /);
    assert.match(r.body.events[3].detail, /^attempt 3 /);
    const times = r.body.events.map((e: { at: string }) => Date.parse(e.at));
    assert.deepEqual(times, [...times].sort((a, b) => a - b), 'in time order');
  });

  it('answers 404 JOB_NOT_FOUND for an unknown handle', async (t) => {
    const s = await setup(t);
    for (const handle of ['H:test:999', 'nonsense', 'H:other:1']) {
      const r = await s.get(path(handle));
      assert.equal(r.status, 404);
      assert.deepEqual(r.body, { error: { code: 'JOB_NOT_FOUND', message: `no job ${handle}` } });
    }
  });

  it('finds old handles after the app restarts on the same data directory', async (t) => {
    const s = await setup(t);
    const { body: done } = await s.post('/api/v1/jobs', { function: 'keep', payload: 'one' });
    const { body: waiting } = await s.post('/api/v1/jobs', { function: 'keep', payload: 'two' });
    const { body: later } = await s.post('/api/v1/jobs', { function: 'keep', payload: 'three', delayMs: 3600_000 });
    const w = await worker(s, 'keep');
    await w.complete((await w.grab()).handle, 'first done');
    await s.restart();
    const a = await s.get(path(done.handle));
    assert.equal(a.status, 200);
    assert.equal(a.body.state, 'completed');
    assert.equal(a.body.result.text, 'first done');
    assert.deepEqual(a.body.events.map((e: { type: string }) => e.type), ['submitted', 'started', 'completed']);
    const b = await s.get(path(waiting.handle));
    assert.equal(b.body.state, 'queued');
    assert.equal(b.body.payload.text, 'two');
    const c = await s.get(path(later.handle));
    assert.equal(c.body.state, 'scheduled');
    assert.equal(c.body.dueAt, later.dueAt);
    // New jobs continue the handle sequence instead of reusing old numbers.
    const { body: next } = await s.post('/api/v1/jobs', { function: 'keep', payload: 'four' });
    assert.ok(Number(next.handle.split(':').pop()) > Number(later.handle.split(':').pop()));
    // The queued job is still handed out after the restart.
    const w2 = await worker(s, 'keep');
    assert.equal((await w2.grab()).handle, waiting.handle);
  });
});
