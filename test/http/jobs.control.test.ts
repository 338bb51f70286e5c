/**
 * POST /api/v1/jobs/{handle}/cancel, /retry and /reschedule: what each does to a job in each
 * state, and 409 CONFLICT where the state does not allow it.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PacketType } from '../support/raw-client.js';
import { setup, worker } from './http-setup.js';

const path = (handle: string, action?: string) => `/api/v1/jobs/${encodeURIComponent(handle)}${action ? `/${action}` : ''}`;

describe('POST /api/v1/jobs/{handle}/cancel', () => {
  it('cancels a queued or scheduled job so no worker gets it', async (t) => {
    const s = await setup(t);
    const { body: queued } = await s.post('/api/v1/jobs', { function: 'c', payload: 'queued' });
    const { body: scheduled } = await s.post('/api/v1/jobs', { function: 'c', delayMs: 60_000 });
    const { body: kept } = await s.post('/api/v1/jobs', { function: 'c', payload: 'kept' });
    for (const job of [queued, scheduled]) {
      const r = await s.post(path(job.handle, 'cancel'));
      assert.equal(r.status, 200);
      assert.equal(r.body.state, 'cancelled');
      assert.equal(r.body.events.at(-1).type, 'cancelled');
    }
    const f = s.app.engine.functions.get('c')!;
    assert.equal(f.queuedTotal + f.scheduled, 1);
    const w = await worker(s, 'c');
    assert.equal((await w.grab()).handle, kept.handle);
  });

  it('answers 409 for a finished job and 404 for an unknown one', async (t) => {
    const s = await setup(t);
    const { body: job } = await s.post('/api/v1/jobs', { function: 'c' });
    const w = await worker(s, 'c');
    await w.complete((await w.grab()).handle, 'done');
    const r = await s.post(path(job.handle, 'cancel'));
    assert.equal(r.status, 409);
    assert.deepEqual(r.body.error, { code: 'CONFLICT', message: `job ${job.handle} has already finished` });
    assert.equal((await s.get(path(job.handle))).body.state, 'completed', 'unchanged');
    const { body: twice } = await s.post('/api/v1/jobs', { function: 'c2' });
    assert.equal((await s.post(path(twice.handle, 'cancel'))).status, 200);
    assert.equal((await s.post(path(twice.handle, 'cancel'))).status, 409);
    const unknown = await s.post(path('H:test:404', 'cancel'));
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.error.code, 'JOB_NOT_FOUND');
  });
});

describe('POST /api/v1/jobs/{handle}/retry', () => {
  it('runs a failed job again under its old handle', async (t) => {
    const s = await setup(t);
    const { body: job } = await s.post('/api/v1/jobs', { function: 'r', payload: 'again' });
    const w = await worker(s, 'r');
    await w.fail((await w.grab()).handle);
    assert.equal((await s.get(path(job.handle))).body.state, 'failed');
    const r = await s.post(path(job.handle, 'retry'));
    assert.equal(r.status, 200);
    assert.equal(r.body.handle, job.handle);
    assert.equal(r.body.state, 'queued');
    const again = await w.grab();
    assert.deepEqual(again, { handle: job.handle, payload: 'again' });
    await w.complete(again.handle, 'fine now');
    const done = await s.get(path(job.handle));
    assert.equal(done.body.state, 'completed');
    assert.equal(done.body.attempts, 2);
    assert.equal(done.body.result.text, 'fine now');
  });

  it('answers 409 for an active job and 404 for an unknown one', async (t) => {
    const s = await setup(t);
    const { body: queued } = await s.post('/api/v1/jobs', { function: 'r' });
    const q = await s.post(path(queued.handle, 'retry'));
    assert.equal(q.status, 409);
    assert.equal(q.body.error.code, 'CONFLICT');
    assert.match(q.body.error.message, /has not finished; nothing to retry/);
    const w = await worker(s, 'r');
    await w.grab();
    assert.equal((await s.post(path(queued.handle, 'retry'))).status, 409, 'running');
    const unknown = await s.post(path('H:test:77', 'retry'));
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.error.code, 'JOB_NOT_FOUND');
  });
});

describe('POST /api/v1/jobs/{handle}/reschedule', () => {
  it('moves a queued job to a later time and a scheduled one to now', async (t) => {
    const s = await setup(t);
    const { body: job } = await s.post('/api/v1/jobs', { function: 'm' });
    const at = new Date(Date.now() + 7200_000);
    at.setUTCMilliseconds(0);
    const r = await s.post(path(job.handle, 'reschedule'), { runAt: at.toISOString() });
    assert.equal(r.status, 200);
    assert.equal(r.body.handle, job.handle);
    assert.equal(r.body.dueAt, at.toISOString());
    assert.equal(r.body.events.at(-1).type, 'rescheduled');
    assert.equal(r.body.events.at(-1).detail, at.toISOString());
    const f = s.app.engine.functions.get('m')!;
    assert.equal(f.queuedTotal, 0);
    assert.equal(f.scheduled, 1);
    const w = await worker(s, 'm');
    w.conn.send(PacketType.GRAB_JOB);
    await w.conn.expect(PacketType.NO_JOB);
    await s.post(path(job.handle, 'reschedule'), { delayMs: 0 });
    assert.equal(f.queuedTotal, 1);
    assert.equal(f.scheduled, 0);
    assert.equal((await w.grab()).handle, job.handle);
  });

  it('shows the state the job is in after a reschedule', async (t) => {
    const s = await setup(t);
    const { body: job } = await s.post('/api/v1/jobs', { function: 'm' });
    const later = await s.post(path(job.handle, 'reschedule'), { delayMs: 3600_000 });
    assert.equal(later.body.state, 'scheduled');
    assert.deepEqual((await s.get('/api/v1/jobs?state=scheduled')).body.jobs.map((j: { handle: string }) => j.handle), [job.handle]);
    const now = await s.post(path(job.handle, 'reschedule'), { delayMs: 0 });
    assert.equal(now.body.state, 'queued');
  });

  it('answers 409 for a running or finished job, 404 for an unknown one, 400 for a bad time', async (t) => {
    const s = await setup(t);
    const { body: job } = await s.post('/api/v1/jobs', { function: 'm' });
    for (const [body, message] of [
      [{}, /give runAt or delayMs/],
      [{ runAt: '2030-01-01T00:00:00Z', delayMs: 1 }, /give runAt or delayMs/],
      [{ runAt: 'next tuesday' }, /runAt must be an ISO-8601 time/],
      [{ delayMs: -1 }, /delayMs must be >= 0/],
      [{ at: 5 }, /must NOT have additional properties/],
    ] as const) {
      const r = await s.post(path(job.handle, 'reschedule'), body);
      assert.equal(r.status, 400, JSON.stringify(body));
      assert.equal(r.body.error.code, 'BAD_REQUEST');
      assert.match(r.body.error.message, message);
    }
    const w = await worker(s, 'm');
    await w.grab();
    const running = await s.post(path(job.handle, 'reschedule'), { delayMs: 1000 });
    assert.equal(running.status, 409);
    assert.match(running.body.error.message, /is running; a worker can reschedule it/);
    await w.complete(job.handle, 'ok');
    const finished = await s.post(path(job.handle, 'reschedule'), { delayMs: 1000 });
    assert.equal(finished.status, 409);
    assert.match(finished.body.error.message, /has finished; retry it instead/);
    const unknown = await s.post(path('H:test:55', 'reschedule'), { delayMs: 1000 });
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.error.code, 'JOB_NOT_FOUND');
  });
});
