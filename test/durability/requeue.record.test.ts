/**
 * What the record says about a job whose attempt ended without finishing it: a worker that went
 * away puts the job back in the queue, on record too (not left "running"); a server killed while
 * the job ran brings it back queued with the lost attempt and its worker in the timeline.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PacketType, pause, readJob, site, type RawClient, type Site } from './harness.js';

/** A background job of `fn` submitted and taken by a worker; its handle and that worker. */
async function runningJob(s: Site, fn: string): Promise<{ handle: string; worker: RawClient }> {
  const client = await s.connect();
  client.send(PacketType.SUBMIT_JOB_BG, [fn, `${fn}-1`, 'payload']);
  const handle = (await client.expect(PacketType.JOB_CREATED)).args[0]!;
  const worker = await s.connect();
  worker.send(PacketType.CAN_DO, [fn]);
  worker.send(PacketType.GRAB_JOB);
  assert.equal((await worker.expect(PacketType.JOB_ASSIGN)).args[0], handle);
  return { handle, worker };
}

test('a job whose worker went away is stored as queued again, the requeue naming that worker', async (t) => {
  const s = await site(t);
  const server = await s.start();
  const { handle, worker } = await runningJob(s, 'flaky');
  worker.close();
  await pause(200); // the requeue is stored within the journal's lazy commit (10 ms)
  await server.stop('SIGKILL'); // no graceful last commit: what is on record is what was written
  const { record, events } = await readJob(s.dataDir, handle);
  assert.deepEqual([record?.state, record?.attempts, record?.retries], ['queued', 1, 1]);
  assert.deepEqual(events.map((e) => [e.type, e.detail?.replace(/on \S+\)/, 'on W)')]), [['requeued', 'lost (attempt 1 on W)']]);
});

test('a job running when the server is killed comes back queued, the lost attempt and its worker in the timeline', async (t) => {
  const s = await site(t);
  const first = await s.start();
  const { handle } = await runningJob(s, 'slow');
  await pause(200); // the assignment is on record
  await first.stop('SIGKILL');
  const second = await s.start();
  const admin = await s.connect();
  admin.send(PacketType.GET_STATUS, [handle]);
  assert.deepEqual((await admin.expect(PacketType.STATUS_RES)).args.slice(0, 3), [handle, '1', '0'], 'known, not running');
  await second.stop('SIGTERM');
  const { record, events } = await readJob(s.dataDir, handle);
  assert.deepEqual([record?.state, record?.attempts, record?.retries], ['queued', 1, 1]);
  const lost = events.filter((e) => e.type === 'lost').map((e) => e.detail);
  assert.equal(lost.length, 1);
  assert.match(lost[0]!, /^server restarted while the job ran \(attempt 1 on 127\.0\.0\.1#\d+\)$/);
});
