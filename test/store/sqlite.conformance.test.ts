import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { measureBatchCommits, runStoreConformance } from './conformance.js';

async function openSqlite(durability: 'fsync' | 'os' = 'fsync') {
  const dataDir = mkdtempSync(join(tmpdir(), 'gearhq-sqlite-'));
  let current = new SqliteStore({ dataDir, durability });
  await current.open();
  return {
    store: current,
    async reopen() {
      await current.close();
      current = new SqliteStore({ dataDir, durability });
      await current.open();
      return current;
    },
    async cleanup() {
      await current.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

runStoreConformance('sqlite', () => openSqlite());

test('sqlite: 100k rows in batches of 1000, durable commits (figure in the log)', async (t) => {
  const f = await openSqlite('fsync');
  try {
    const rowsPerSecond = await measureBatchCommits(f.store, 100_000, 1000);
    t.diagnostic(`sqlite batch commits: ${rowsPerSecond} rows/s (100k rows, 1000 rows per fsync'd batch)`);
    assert.equal((await f.store.nextHandleNumber()), 100_001);
    const started = Date.now();
    assert.equal(await f.store.eachActive(() => {}), 100_000);
    t.diagnostic(`${'sqlite'} eachActive: 100k jobs streamed back in ${Date.now() - started} ms`);
    assert.equal((await f.store.loadActive()).length, 100_000);
  } finally {
    await f.cleanup();
  }
});
