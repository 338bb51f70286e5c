/**
 * The reschedule convention on the wire, with the forms and limits the README documents: the time
 * as `+<seconds>`, Unix seconds or ISO-8601; the worker's one follow-up WORK_COMPLETE/WORK_FAIL
 * for the job accepted quietly; foreground jobs not rescheduled (their client gets the exception).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  PacketType, fnStatus, grab, rawWorker, schedEnv, submit, sync, type RawClient,
} from './harness.js';

/** Sleeps `w` and waits for the NOOP of a job due at `dueMs`; returns how late it came. */
async function wokenAt(w: RawClient, dueMs: number): Promise<number> {
  w.send(PacketType.PRE_SLEEP);
  await w.expect(PacketType.NOOP, dueMs - Date.now() + 2000);
  return Date.now() - dueMs;
}

describe('the reschedule convention over raw sockets', { timeout: 20000 }, () => {
  for (const form of ['unix', 'iso'] as const) {
    test(`"gearhq:reschedule <${form === 'unix' ? 'Unix seconds' : 'ISO-8601 time'}>" holds the job until then, same handle`,
      async (t) => {
        const env = await schedEnv(t);
        const c = await env.connect();
        const h = await submit(c, PacketType.SUBMIT_JOB_BG, ['r', 'u1', 'p']);
        const w = await rawWorker(env, ['r']);
        assert.equal((await grab(w))?.[0], h);
        const dueMs = (Math.floor(Date.now() / 1000) + 2) * 1000;
        const when = form === 'unix' ? String(dueMs / 1000) : new Date(dueMs).toISOString();
        w.send(PacketType.WORK_EXCEPTION, [h, `gearhq:reschedule ${when}`]);
        // The worker's follow-up report for the same job is accepted without an ERROR and changes nothing.
        w.send(PacketType.WORK_COMPLETE, [h, 'ignored']);
        await sync(w);
        assert.deepEqual(await fnStatus(c, 'r'), { total: 1, running: 0, workers: 1 }, 'held, not completed');
        assert.equal(await grab(w), null, 'not runnable before its time');
        const late = await wokenAt(w, dueMs);
        assert.ok(late >= 0 && late < 500, `woken at its time: ${late} ms`);
        assert.deepEqual(await grab(w), [h, 'r', 'u1', 'p']);
        w.send(PacketType.WORK_COMPLETE, [h, 'done']);
        await sync(w);
        assert.deepEqual(await fnStatus(c, 'r'), { total: 0, running: 0, workers: 1 });
      });
  }

  test('a second report after the follow-up is an error again (only one is tolerated)', async (t) => {
    const env = await schedEnv(t);
    const c = await env.connect();
    const h = await submit(c, PacketType.SUBMIT_JOB_BG, ['r', '', 'p']);
    const w = await rawWorker(env, ['r']);
    await grab(w);
    w.send(PacketType.WORK_EXCEPTION, [h, 'gearhq:reschedule +60']);
    w.send(PacketType.WORK_FAIL, [h]);
    w.send(PacketType.WORK_FAIL, [h]);
    assert.equal((await w.next()).name, 'ERROR');
    await sync(w);
    assert.deepEqual(await fnStatus(c, 'r'), { total: 1, running: 0, workers: 1 }, 'still held for its new time');
  });

  test('a foreground job is not rescheduled: its client gets the exception and the job ends', async (t) => {
    const env = await schedEnv(t);
    const client = await env.connect();
    client.send(PacketType.OPTION_REQ, ['exceptions']);
    await client.expect(PacketType.OPTION_RES);
    const h = await submit(client, PacketType.SUBMIT_JOB, ['r', '', 'p']);
    const w = await rawWorker(env, ['r']);
    await grab(w);
    w.send(PacketType.WORK_EXCEPTION, [h, 'gearhq:reschedule +1']);
    assert.deepEqual((await client.expect(PacketType.WORK_EXCEPTION)).args, [h, 'gearhq:reschedule +1']);
    assert.deepEqual(await fnStatus(client, 'r'), { total: 0, running: 0, workers: 1 });
  });
});
