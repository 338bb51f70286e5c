/**
 * GET /api/v1/workers: each worker connection once, with its id, client id, address, functions,
 * the jobs it holds and when it connected.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PacketType } from '../support/raw-client.js';
import { setup, worker } from './http-setup.js';

describe('GET /api/v1/workers', () => {
  it('lists connected workers with their functions and current jobs', async (t) => {
    const s = await setup(t);
    assert.deepEqual((await s.get('/api/v1/workers')).body, { workers: [] });
    const before = Date.now();
    const w = await worker(s, 'resize');
    w.conn.send(PacketType.SET_CLIENT_ID, ['thumbnailer-1']);
    w.conn.send(PacketType.CAN_DO, ['crop']);
    const idle = await worker(s, 'crop');
    const { body: job } = await s.post('/api/v1/jobs', { function: 'resize', payload: 'a.png' });
    await w.grab();
    const r = await s.get('/api/v1/workers');
    assert.equal(r.status, 200);
    assert.equal(r.body.workers.length, 2, 'a worker with two functions is listed once');
    const busy = r.body.workers.find((x: { clientId: string }) => x.clientId === 'thumbnailer-1');
    assert.ok(busy, JSON.stringify(r.body));
    assert.deepEqual([...busy.functions].sort(), ['crop', 'resize']);
    assert.match(busy.address, /^127\.0\.0\.1/);
    assert.equal(typeof busy.id, 'number');
    assert.ok(Date.parse(busy.connectedAt) >= before - 1000);
    assert.equal(busy.jobs.length, 1);
    assert.equal(busy.jobs[0].handle, job.handle);
    assert.equal(busy.jobs[0].function, 'resize');
    const other = r.body.workers.find((x: { clientId: string }) => x !== busy);
    assert.deepEqual(other.functions, ['crop']);
    assert.deepEqual(other.jobs, []);
    idle.conn.close();
    w.conn.close();
  });
});
