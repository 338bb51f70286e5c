/**
 * The gearman CLI (libgearman 1.1.20) with due-time jobs: background jobs submitted by
 * `gearman -b` interleaved with SUBMIT_JOB_EPOCH jobs sent over the raw protocol (the CLI cannot
 * send them), all served by one sleeping `gearman -w` worker. The ready jobs run at once in
 * submission order; the future epoch job waits for its time and then wakes the same worker.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { assertSucceeded, gearman, gearmanWorker, waitFor, waitForWorkers } from '../support/peers.js';
import { PacketType, epochAfter, fnStatus, schedEnv, submit } from './harness.js';

interface Stamp { ms: number; data: string }

function stamps(log: string): Stamp[] {
  if (!existsSync(log)) return [];
  return readFileSync(log, 'utf8').split('\n').filter((l) => l !== '').map((l) => {
    const [ms, ...rest] = l.split(' ');
    return { ms: Number(ms), data: rest.join(' ') };
  });
}

describe('gearman CLI background jobs with epoch jobs from the raw protocol', { timeout: 30000 }, () => {
  test('gearman -b jobs and a past epoch job run at once in order; a future epoch job wakes the sleeping gearman -w worker at its time',
    async (t) => {
      const env = await schedEnv(t);
      const penv = env.peerEnv();
      const fn = 'stamp';
      const log = join(env.dir, 'stamps');
      // Each job appends "<ms since epoch> <workload>" to the log.
      const worker = gearmanWorker(penv, [fn], 5, ['sh', '-c', `echo "$(date +%s%3N) $(cat)" >> '${log}'`]);
      await waitForWorkers(env.server(), fn, 1);
      const c = await env.connect();

      assertSucceeded(await gearman(penv, ['-b', '-f', fn, 'cli-1']));
      const due = epochAfter(2500);
      const later = await submit(c, PacketType.SUBMIT_JOB_EPOCH, [fn, 'later', String(due), 'epoch-later']);
      assertSucceeded(await gearman(penv, ['-b', '-f', fn, 'cli-2']));
      await submit(c, PacketType.SUBMIT_JOB_EPOCH, [fn, 'past', String(Math.floor(Date.now() / 1000) - 60), 'epoch-past']);
      assertSucceeded(await gearman(penv, ['-b', '-f', fn, '-u', 'cli-unique', 'cli-3']));

      const first = await waitFor('four jobs run', async () => (stamps(log).length >= 4 ? stamps(log) : undefined), 10000);
      assert.deepEqual(first.map((s) => s.data), ['cli-1', 'cli-2', 'epoch-past', 'cli-3']);
      assert.ok(first.every((s) => s.ms < due * 1000), 'all before the future job was due');
      assert.deepEqual(await fnStatus(c, fn), { total: 1, running: 0, workers: 1 }, 'the future job is held');
      c.send(PacketType.GET_STATUS, [later]);
      assert.deepEqual((await c.expect(PacketType.STATUS_RES)).args, [later, '1', '0', '0', '0']);

      const all = await waitFor('the epoch job run', async () => (stamps(log).length >= 5 ? stamps(log) : undefined),
        due * 1000 - Date.now() + 3000);
      assert.equal(all.length, 5);
      const last = all[4]!;
      assert.equal(last.data, 'epoch-later');
      const late = last.ms - due * 1000;
      console.log(`gearman -w ran the epoch job ${late} ms after its due time`);
      assert.ok(late >= 0 && late < 1000, `run at its time, not before: ${late} ms`);
      const r = await worker.done;
      assertSucceeded(r);
    });
});
