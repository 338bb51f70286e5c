/**
 * POST /api/v1/functions/{name}/pause and /resume: a paused function's jobs queue but are not
 * handed to workers (not even a sleeping worker's wake-up); resuming wakes them; both survive a
 * restart.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PacketType } from '../support/raw-client.js';
import { setup, worker } from './http-setup.js';

describe('POST /api/v1/functions/{name}/pause and /resume', () => {
  it('holds a paused function\'s jobs back and resuming wakes the sleeping worker', async (t) => {
    const s = await setup(t);
    const w = await worker(s, 'pdf');
    const p = await s.post('/api/v1/functions/pdf/pause');
    assert.equal(p.status, 200);
    assert.equal(p.body.paused, true);
    w.conn.send(PacketType.PRE_SLEEP);
    const { body: job } = await s.post('/api/v1/jobs', { function: 'pdf', payload: 'report' });
    assert.equal(job.state, 'queued');
    assert.ok(await w.conn.quiet(200), 'no NOOP while paused');
    w.conn.send(PacketType.GRAB_JOB);
    await w.conn.expect(PacketType.NO_JOB);
    assert.equal((await s.get('/api/v1/functions/pdf')).body.queued.normal, 1);
    w.conn.send(PacketType.PRE_SLEEP);
    const r = await s.post('/api/v1/functions/pdf/resume');
    assert.equal(r.status, 200);
    assert.equal(r.body.paused, false);
    await w.conn.expect(PacketType.NOOP);
    assert.deepEqual(await w.grab(), { handle: job.handle, payload: 'report' });
  });

  it('can pause a function before it has any job', async (t) => {
    const s = await setup(t);
    const p = await s.post('/api/v1/functions/fresh/pause');
    assert.equal(p.status, 200);
    assert.equal(p.body.paused, true);
    assert.equal((await s.get('/api/v1/functions')).body.functions[0].name, 'fresh');
  });

  it('stays paused across a restart until resumed', async (t) => {
    const s = await setup(t);
    await s.post('/api/v1/functions/pdf/pause');
    const { body: job } = await s.post('/api/v1/jobs', { function: 'pdf', payload: 'kept' });
    await s.restart();
    assert.equal((await s.get('/api/v1/functions/pdf')).body.paused, true);
    const w = await worker(s, 'pdf');
    w.conn.send(PacketType.GRAB_JOB);
    await w.conn.expect(PacketType.NO_JOB);
    await s.post('/api/v1/functions/pdf/resume');
    await s.restart();
    assert.equal((await s.get('/api/v1/functions/pdf')).body.paused, false);
    const w2 = await worker(s, 'pdf');
    assert.equal((await w2.grab()).handle, job.handle);
  });
});
