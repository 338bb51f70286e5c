import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { PostgresStore } from '../../src/store/postgres/postgres-store.js';
import { startTestPostgres, type TestPostgres } from '../support/postgres.js';
import { measureBatchCommits, runStoreConformance } from './conformance.js';

let server: TestPostgres | null = null;
before(async () => { server = await startTestPostgres(); });
after(async () => { await server?.stop(); });

async function openPostgres(durability: 'fsync' | 'os' = 'fsync') {
  if (server === null) throw new Error('the test PostgreSQL did not start');
  const pg = server;
  const url = await pg.createDatabase();
  let current = new PostgresStore({ url, durability });
  await current.open();
  return {
    url,
    store: current,
    async reopen() {
      await current.close();
      current = new PostgresStore({ url, durability });
      await current.open();
      return current;
    },
    async cleanup() {
      await current.close();
      await pg.dropDatabase(url);
    },
  };
}

runStoreConformance('postgres', () => openPostgres());

test('postgres: 100k rows in batches of 1000, durable commits (figure in the log)', async (t) => {
  const f = await openPostgres('fsync');
  try {
    const rowsPerSecond = await measureBatchCommits(f.store, 100_000, 1000);
    t.diagnostic(`postgres batch commits: ${rowsPerSecond} rows/s (100k rows, 1000 rows per synchronous batch)`);
    assert.equal(await f.store.nextHandleNumber(), 100_001);
    const started = Date.now();
    assert.equal(await f.store.eachActive(() => {}), 100_000);
    t.diagnostic(`${'postgres'} eachActive: 100k jobs streamed back in ${Date.now() - started} ms`);
  } finally {
    await f.cleanup();
  }
});
