/**
 * A store that falls behind holds new work back without stalling anyone's running work: while a
 * PostgreSQL lock keeps gearhq's commits waiting, the peer that floods it with jobs stops being
 * read, no job is handed out, but a worker's requests and an admin's questions are still answered;
 * once the lock goes, every job is acknowledged and the sleeping worker is woken. The metrics
 * tell an operator all along.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { freePort, startServer } from '../support/servers.js';
import { PacketType, RawClient, requestPacket } from '../support/raw-client.js';
import { startTestPostgres, type TestPostgres } from '../support/postgres.js';

let postgres: TestPostgres | null = null;
before(async () => { postgres = await startTestPostgres(); });
after(async () => { await postgres?.stop(); });

/** More than the journal's default backlog of 20,000 jobs, less than twice it. */
const JOBS = 24_000;

async function waitFor(what: string, cond: () => boolean, timeoutMs = 20_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('store falling behind: submitters wait, workers and admins are still served, nothing is lost', async (t) => {
  const url = await postgres!.createDatabase();
  const httpPort = await freePort();
  const gearhq = await startServer('gearhq', { args: ['--store', 'postgres', '--database-url', url, '--http-port', String(httpPort)] });
  const metrics = async () => {
    const text = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text();
    const value = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1]);
    return { pressure: value('gearhq_store_back_pressure'), backlog: value('gearhq_store_backlog_jobs'),
      fellBehind: value('gearhq_store_fell_behind_total') };
  };
  t.after(() => gearhq.stop());
  const worker = await RawClient.connect(gearhq.port);
  const admin = await RawClient.connect(gearhq.port);
  const submitter = await RawClient.connect(gearhq.port);
  t.after(() => { worker.close(); admin.close(); submitter.close(); });
  worker.send(PacketType.CAN_DO, ['bp']);
  worker.send(PacketType.ECHO_REQ, [Buffer.from('registered')]);
  await worker.expect(PacketType.ECHO_RES);

  // Someone else holds the jobs table: gearhq's commits wait behind the lock.
  const locker = new pg.Client({ connectionString: url });
  await locker.connect();
  t.after(() => locker.end());
  await locker.query('BEGIN');
  await locker.query('LOCK TABLE jobs IN ACCESS EXCLUSIVE MODE');

  // One job first: its batch is the one waiting for the lock, and the flood piles up behind it.
  submitter.send(PacketType.SUBMIT_JOB_BG, ['bp', 'first', 'first']);
  assert.ok(await submitter.quiet(300), 'not acknowledged while its batch waits for the lock');
  submitter.writeRaw(Buffer.concat(Array.from({ length: JOBS },
    (_, i) => requestPacket(PacketType.SUBMIT_JOB_BG, ['bp', `job-${i}`, `job-${i}`]))));
  await waitFor('the journal to hold new work', () => /falling behind; holding new work/.test(gearhq.output()));
  submitter.send(PacketType.ECHO_REQ, [Buffer.from('still there?')]);

  // The worker is served: its echo comes back, and GRAB_JOB gets NO_JOB although jobs are queued.
  worker.send(PacketType.ECHO_REQ, [Buffer.from('during')]);
  assert.equal((await worker.expect(PacketType.ECHO_RES, 2000)).args[0], 'during');
  worker.send(PacketType.GRAB_JOB);
  await worker.expect(PacketType.NO_JOB, 2000);
  worker.send(PacketType.PRE_SLEEP);
  // So is an admin connection, which submits nothing.
  assert.match(await admin.admin('status', 2000), /^bp\t\d+\t0\t1\n\.\n$/);
  assert.ok(await submitter.quiet(500), 'the submitter is not read (and nothing is acknowledged) meanwhile');
  assert.ok(await worker.quiet(0), 'no wake-up while assignments are held');
  const during = await metrics();
  assert.equal(during.pressure, 1, 'the metrics say new work is held back');
  assert.ok(during.backlog >= 20_000, `backlog ${during.backlog}`);
  assert.equal(during.fellBehind, 1);

  await locker.query('COMMIT');
  // Every job acknowledged, in order, then the echo that waited behind them.
  let created = 0;
  for (;;) {
    const r = await submitter.next(30_000);
    if (r.type === PacketType.ECHO_RES) break;
    assert.equal(r.name, 'JOB_CREATED', `reply ${created + 1}`);
    created++;
  }
  assert.equal(created, JOBS + 1, 'every submission acknowledged once the store caught up');
  await worker.expect(PacketType.NOOP, 10_000);
  worker.send(PacketType.GRAB_JOB);
  const assigned = await worker.expect(PacketType.JOB_ASSIGN);
  assert.equal(assigned.args[2], 'first', 'the first job submitted is the first handed out');
  assert.match(gearhq.output(), /the store caught up; taking new work again/);
  assert.doesNotMatch(gearhq.output(), /pausing reads from every peer/, 'the backlog never reached twice the limit');
  // The assignment just made is stored within the journal's lazy commit (10 ms).
  let after = await metrics();
  for (let i = 0; i < 50 && after.backlog > 0; i++) {
    await new Promise((r) => setTimeout(r, 20));
    after = await metrics();
  }
  assert.deepEqual(after, { pressure: 0, backlog: 0, fellBehind: 1 });
});
