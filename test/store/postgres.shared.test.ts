/**
 * What the PostgreSQL driver does for several nodes on one database, beyond the conformance
 * suite: the database-enforced unique rule, claims across processes, concurrent start-ups, and
 * connections the database drops.
 */
import { after, before, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { jobClaims } from '../../src/store/claims.js';
import { PostgresStore } from '../../src/store/postgres/postgres-store.js';
import { SCHEMA_VERSION } from '../../src/store/postgres/migrations.js';
import { UniqueConflictError } from '../../src/store/unique-conflict.js';
import { startTestPostgres, type TestPostgres } from '../support/postgres.js';
import { batch, commit, delta, inserted, newJob, T0 } from './conformance.js';

let server: TestPostgres | null = null;
before(async () => { server = await startTestPostgres(); });
after(async () => { await server?.stop(); });

/** `n` stores ("nodes") on one fresh database, all closed when the test ends. */
async function setup(t: TestContext, n: number) {
  const url = await server!.createDatabase();
  const stores = Array.from({ length: n }, () => new PostgresStore({ url, durability: 'fsync' }));
  t.after(async () => {
    for (const s of stores) await s.close();
    await server!.dropDatabase(url);
  });
  await Promise.all(stores.map((s) => s.open()));
  return { url, stores };
}

test('postgres: two nodes starting at once on an empty database migrate it once', async (t) => {
  const { url, stores } = await setup(t, 3);
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const { rows } = await c.query('SELECT version FROM schema_migrations ORDER BY version');
    assert.deepEqual(rows.map((r) => r.version), Array.from({ length: SCHEMA_VERSION }, (_, i) => i + 1), 'each step once');
  } finally {
    await c.end();
  }
  assert.equal(await stores[0]!.nextHandleNumber(), 1);
});

test('postgres: a second active job with the same function and unique is refused whole, naming both jobs', async (t) => {
  const { stores: [a, b] } = await setup(t, 2);
  await commit(a!, batch([inserted(newJob(1, { fn: 'f', unique: 'order-7', handle: 'H:a:1' }))]));

  // Node b, unaware of node a's job, submits the same unique in a batch with an innocent job.
  const innocent = newJob(1001, { handle: 'H:b:1001', unique: 'other' });
  const clash = newJob(1002, { handle: 'H:b:1002', fn: 'f', unique: 'order-7' });
  const err = await b!.commit(batch([inserted(innocent), inserted(clash)])).then(() => null, (e: unknown) => e);
  assert.ok(err instanceof UniqueConflictError, `expected a UniqueConflictError, got ${String(err)}`);
  assert.deepEqual(err.conflicts, [{ id: 1002, fn: 'f', unique: 'order-7', holder: { id: 1, handle: 'H:a:1' } }]);
  assert.equal(await a!.findJob('H:b:1001'), null, 'nothing of the refused batch was stored');

  // The same unique under another function, or on a finished job, is no conflict.
  await commit(b!, batch([inserted(innocent), inserted(newJob(1003, { handle: 'H:b:1003', fn: 'g', unique: 'order-7' }))]));
  await commit(a!, batch([delta(1, { state: 'completed', finishedAt: T0 + 5 })]));
  await commit(b!, batch([inserted(clash)]));
  assert.deepEqual((await b!.findByUnique('order-7', 10)).map((j) => [j.id, j.fn, j.state]),
    [[1003, 'g', 'queued'], [1002, 'f', 'queued'], [1, 'f', 'completed']]);
});

test('postgres: two inserts of one active unique in the same batch are refused', async (t) => {
  const { stores: [a] } = await setup(t, 1);
  const err = await a!.commit(batch([inserted(newJob(1, { unique: 'u' })), inserted(newJob(2, { unique: 'u' }))]))
    .then(() => null, (e: unknown) => e);
  assert.ok(err instanceof UniqueConflictError);
  assert.deepEqual(err.conflicts.map((c) => [c.id, c.holder?.id]), [[2, 1]]);
  assert.deepEqual(await a!.loadActive(), []);
});

test('postgres: claimers on different nodes share out the queue without overlap', async (t) => {
  const { stores } = await setup(t, 3);
  const deltas = [];
  for (let id = 1; id <= 600; id++) deltas.push(inserted(newJob(id, { fn: `f${id % 3}`, priority: (id % 3) as 0 | 1 | 2 })));
  await commit(stores[0]!, batch(deltas));
  const claimer = async (node: number, fns: string[]) => {
    const claims = jobClaims(stores[node]!)!;
    const got: number[] = [];
    for (;;) {
      const jobs = await claims.claimNext(fns, 5, `node-${node}`);
      if (jobs.length === 0) return got;
      got.push(...jobs.map((j) => j.id));
    }
  };
  const results = await Promise.all([
    claimer(0, ['f0', 'f1', 'f2']), claimer(1, ['f0', 'f1', 'f2']), claimer(2, ['f0', 'f1', 'f2']),
    claimer(1, ['f1']), claimer(2, ['f2', 'f0']),
  ]);
  const all = results.flat();
  assert.equal(all.length, 600);
  assert.equal(new Set(all).size, 600, 'no job claimed twice');
  assert.ok(results.filter((r) => r.length > 0).length >= 2, 'the work was shared');
  assert.deepEqual(await stores[0]!.loadActive().then((j) => j.filter((x) => x.state !== 'running')), []);
});

test('postgres: the store goes on working after the database drops its connections', async (t) => {
  const { url, stores: [a] } = await setup(t, 1);
  await commit(a!, batch([inserted(newJob(1))]));
  assert.equal((await a!.loadActive()).length, 1);
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  try {
    const { rows } = await admin.query(
      "SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE application_name = 'gearhq' AND datname = current_database()");
    assert.ok(rows.length >= 2, 'the writer and a pooled reader were connected');
  } finally {
    await admin.end();
  }
  // The batch in flight when a connection dies may fail; the store must recover by the next one.
  let stored = false;
  for (let attempt = 0; attempt < 3 && !stored; attempt++) {
    stored = await a!.commit(batch([inserted(newJob(2 + attempt))])).then(() => true, () => false);
  }
  assert.ok(stored, 'a batch commits again after the connections were dropped');
  let active: number[] = [];
  for (let attempt = 0; attempt < 3; attempt++) {
    const r = await a!.loadActive().then((j) => j.map((x) => x.id), () => null);
    if (r !== null) { active = r; break; }
  }
  assert.ok(active.includes(1), `job 1 is still there (${active})`);
});

test('postgres: an unreachable database fails open() with the URL, never the password', async () => {
  const store = new PostgresStore({ url: 'postgres://gearhq:s3cret@127.0.0.1:1/nowhere', durability: 'fsync' });
  await assert.rejects(store.open(), (e: Error) => {
    assert.match(e.message, /cannot connect to PostgreSQL at postgres:\/\/gearhq:\*\*\*@127\.0\.0\.1:1\/nowhere/);
    assert.doesNotMatch(e.message, /s3cret/);
    return true;
  });
  await store.close();
});
