/**
 * WORK_DATA in a job's record: counted always, kept in order with --keep-work-data (capped by
 * --max-stored-payload), and shown by the job API. Over real sockets, with a SQLite store.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PacketType } from '../support/raw-client.js';
import { setup } from './http-setup.js';

for (const keepWorkData of [true, false]) {
  test(`work data: ${keepWorkData ? 'kept in the record, in order, up to the cap' : 'only counted by default'}`, async (t) => {
    const s = await setup(t, { config: { keepWorkData, maxStoredPayload: 12 } });
    const client = await s.connect();
    const worker = await s.connect();
    client.send(PacketType.SUBMIT_JOB, ['stream', '', 'go']);
    const handle = (await client.expect(PacketType.JOB_CREATED)).args[0]!;
    worker.send(PacketType.CAN_DO, ['stream']);
    worker.send(PacketType.GRAB_JOB);
    assert.equal((await worker.expect(PacketType.JOB_ASSIGN)).args[0], handle);
    for (const chunk of ['line 1\n', 'line\0 2\n', 'line 3\n']) {
      worker.send(PacketType.WORK_DATA, [handle, Buffer.from(chunk, 'latin1')]);
      assert.equal((await client.expect(PacketType.WORK_DATA)).args[1], chunk, 'forwarded to the client as sent');
    }
    worker.send(PacketType.WORK_COMPLETE, [handle, Buffer.from('done')]);
    await client.expect(PacketType.WORK_COMPLETE);
    const r = await s.get(`/api/v1/jobs/${encodeURIComponent(handle)}`);
    assert.equal(r.status, 200);
    const job = r.body as { state: string; dataChunks: number; data: { text?: string; size: number; truncated: boolean } | null };
    assert.equal(job.state, 'completed');
    assert.equal(job.dataChunks, 3);
    assert.deepEqual(job.data, keepWorkData ? { text: 'line 1\nline\0', size: 22, truncated: true } : null,
      'the first 12 bytes, and how many there were');
  });
}
