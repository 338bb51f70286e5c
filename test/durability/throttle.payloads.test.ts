/**
 * Payload and result bytes through a server whose store falls behind (its jobs table locked for a
 * while): with PostgreSQL and large foreground jobs the journal holds new work back while batches
 * wait. Every client must still get back exactly its own bytes, through both encoder paths
 * (blobs copied inline and blobs of 64 KiB or more written by reference).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import pgClient from 'pg';
import { startServer } from '../support/servers.js';
import { PacketType, RawClient } from '../support/raw-client.js';
import { startTestPostgres, type TestPostgres } from '../support/postgres.js';

let pg: TestPostgres | null = null;
before(async () => { pg = await startTestPostgres(); });
after(async () => { await pg?.stop(); });

const CLIENTS = 12;
const WORKERS = 4;
const JOBS_PER_CLIENT = 120;

test('postgres store falling behind: every foreground client gets exactly its own 40-90 KiB result back', async (t) => {
  const url = await pg!.createDatabase();
  const gearhq = await startServer('gearhq', { args: ['--store', 'postgres', '--database-url', url] });
  t.after(() => gearhq.stop());
  let stop = false;
  const workers = await Promise.all(Array.from({ length: WORKERS }, () => RawClient.connect(gearhq.port)));
  const echoing = workers.map(async (w) => {
    w.send(PacketType.CAN_DO, ['echo']);
    while (!stop) {
      w.send(PacketType.GRAB_JOB);
      const r = await w.next(60_000);
      if (r.type === PacketType.JOB_ASSIGN) {
        w.send(PacketType.WORK_COMPLETE, [r.args[0]!, Buffer.from(r.args[2]!, 'latin1')]);
      } else if (r.type === PacketType.NO_JOB) {
        w.send(PacketType.PRE_SLEEP);
        while (!stop && (await w.quiet(50)));
        if (!stop) await w.expect(PacketType.NOOP);
      } else {
        throw new Error(`worker got ${r.name}`);
      }
    }
  });
  let mismatches = 0;
  let done = 0;
  const clients = Array.from({ length: CLIENTS }, async (_, c) => {
    const client = await RawClient.connect(gearhq.port);
    for (let i = 0; i < JOBS_PER_CLIENT; i++) {
      // Sizes on both sides of the encoder's 64 KiB by-reference threshold; random bytes, NULs included.
      const payload = randomBytes(40_000 + ((c * 7919 + i * 104_729) % 50_000));
      client.send(PacketType.SUBMIT_JOB, ['echo', `c${c}-${i}`, payload]);
      const created = await client.expect(PacketType.JOB_CREATED, 60_000);
      const reply = await client.expect(PacketType.WORK_COMPLETE, 60_000);
      assert.equal(reply.args[0], created.args[0], 'the result belongs to this client\'s job');
      if (!Buffer.from(reply.args[1]!, 'latin1').equals(payload)) mismatches++;
      done++;
    }
    client.close();
  });
  // Someone holds the jobs table for a while (a migration, a vacuum full): the store falls behind.
  const locker = new pgClient.Client({ connectionString: url });
  await locker.connect();
  t.after(() => locker.end());
  const lockedAWhile = (async () => {
    while (done < 100) await new Promise((r) => setTimeout(r, 10));
    await locker.query('BEGIN');
    await locker.query('LOCK TABLE jobs IN ACCESS EXCLUSIVE MODE');
    const until = Date.now() + 30_000;
    while (!/falling behind; holding new work/.test(gearhq.output()) && Date.now() < until) {
      await new Promise((r) => setTimeout(r, 20));
    }
    await locker.query('COMMIT');
  })();
  await Promise.all([...clients, lockedAWhile]);
  stop = true;
  for (const w of workers) w.close();
  await Promise.allSettled(echoing);
  assert.equal(done, CLIENTS * JOBS_PER_CLIENT);
  assert.equal(mismatches, 0, 'results differing from their payloads');
  // The point of the test: the store did fall behind and reads were paused meanwhile.
  assert.match(gearhq.output(), /falling behind; holding new work/, 'the journal held new work back at least once');
});
