/**
 * Recovery keeps the queue's order (issue 3, "Recovery"): background jobs of mixed priority that
 * were queued when the server stopped — gracefully or by `kill -9` — are handed out afterwards
 * HIGH before NORMAL before LOW, first-in first-out within a level, under their old handles; and
 * epoch jobs are still held after the restart and run when their time comes.
 */
import { describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { PacketType, epochIn, functionStatus, listedHandles, site, sync, type RawClient } from './harness.js';

const SUBMIT = [PacketType.SUBMIT_JOB_HIGH_BG, PacketType.SUBMIT_JOB_BG, PacketType.SUBMIT_JOB_LOW_BG] as const;
const LEVEL = ['HIGH', 'NORMAL', 'LOW'] as const;

interface Sent {
  unique: string;
  level: 0 | 1 | 2;
  payload: string;
  handle: string;
}

/** A fixed interleaving of levels, so each level's FIFO order is not the submission order overall. */
function levelOf(i: number): 0 | 1 | 2 {
  return ([2, 1, 0, 1, 2, 2, 0, 1, 0, 2, 1, 1] as const)[i % 12]!;
}

async function grabOne(w: RawClient): Promise<string[]> {
  w.send(PacketType.GRAB_JOB_UNIQ);
  const r = await w.next(5000);
  if (r.type === PacketType.NO_JOB) return [];
  assert.equal(r.type, PacketType.JOB_ASSIGN_UNIQ, `GRAB_JOB_UNIQ answered ${r.name}`);
  return r.args;
}

async function restartKeepsOrder(t: TestContext, signal: 'SIGTERM' | 'SIGKILL'): Promise<void> {
  const s = await site(t);
  const fn = 'ordered';
  const first = await s.start();
  const c = await s.connect();
  const sent: Sent[] = [];
  for (let i = 0; i < 36; i++) {
    const level = levelOf(i);
    const unique = `${LEVEL[level]}-${i}`;
    const payload = `payload ${i}`;
    c.send(SUBMIT[level], [fn, unique, payload]);
    sent.push({ unique, level, payload, handle: '' });
  }
  for (const job of sent) job.handle = (await c.expect(PacketType.JOB_CREATED)).args[0]!;
  // Two epoch jobs a few seconds ahead, far enough that the restart is over before they are due.
  const due = epochIn(5);
  const epochJobs: Sent[] = [];
  for (const unique of ['epoch-a', 'epoch-b']) {
    c.send(PacketType.SUBMIT_JOB_EPOCH, [fn, unique, String(due), `at ${due}`]);
    epochJobs.push({ unique, level: 1, payload: `at ${due}`, handle: (await c.expect(PacketType.JOB_CREATED)).args[0]! });
  }
  await first.stop(signal);
  assert.equal(signal === 'SIGKILL' ? first.process.signalCode : first.process.exitCode,
    signal === 'SIGKILL' ? 'SIGKILL' : 0, `the server ended by ${signal}\n${first.output()}`);

  const second = await s.start();
  const admin = await s.connect();
  assert.deepEqual(await functionStatus(admin, fn), [sent.length + epochJobs.length, 0, 0],
    `all ${sent.length + epochJobs.length} jobs are back, none running\n${s.logs()}`);
  const listed = await listedHandles(admin);
  for (const job of [...sent, ...epochJobs]) assert.ok(listed.has(job.handle), `show jobs lists ${job.handle}`);

  const w = await s.connect();
  w.send(PacketType.CAN_DO, [fn]);
  const expected = [0, 1, 2].flatMap((level) => sent.filter((j) => j.level === level));
  const got: string[] = [];
  for (let i = 0; i < expected.length; i++) {
    const [handle, f, unique, payload] = await grabOne(w);
    assert.equal(f, fn);
    got.push(`${unique} ${handle}`);
    assert.equal(payload, sent.find((j) => j.unique === unique)?.payload, `the payload of ${unique}`);
    w.send(PacketType.WORK_COMPLETE, [handle!, 'done']);
  }
  assert.deepEqual(got, expected.map((j) => `${j.unique} ${j.handle}`),
    'HIGH before NORMAL before LOW, FIFO within a level, old handles');

  // The epoch jobs are still held...
  assert.ok(Date.now() < due * 1000 - 300, `the restart took too long to check the epoch jobs are held (due ${due})`);
  assert.deepEqual(await grabOne(w), [], 'nothing runnable before the epoch jobs are due');
  // ...and the sleeping worker is woken when they are due.
  w.send(PacketType.PRE_SLEEP);
  await sync(w);
  const noop = await w.next(due * 1000 - Date.now() + 3000);
  assert.equal(noop.name, 'NOOP');
  assert.ok(Date.now() >= due * 1000 - 50, `woken ${due * 1000 - Date.now()} ms before the epoch time`);
  for (const job of epochJobs) {
    const [handle, , unique, payload] = await grabOne(w);
    assert.deepEqual([unique, handle, payload], [job.unique, job.handle, job.payload], 'epoch jobs in order, old handles');
    w.send(PacketType.WORK_COMPLETE, [handle!, 'done']);
  }
  assert.deepEqual(await grabOne(w), [], 'every job ran once');
  assert.deepEqual(await functionStatus(admin, fn), [0, 0, 1]);
  w.close();
  await second.stop('SIGTERM');
}

// Concurrent: each waits seconds for its epoch jobs, on its own site.
describe('order after a restart', { concurrency: true }, () => {
  for (const signal of ['SIGTERM', 'SIGKILL'] as const) {
    it(`queued jobs of mixed priority and epoch jobs keep their order and time across a ${signal} restart`,
      { timeout: 30000 }, (t) => restartKeepsOrder(t, signal));
  }
});
