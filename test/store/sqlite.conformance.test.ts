import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { migrate } from '../../src/store/sqlite/migrations.js';
import { CAP_QUERIES, SqliteWriter, retentionStepQuery } from '../../src/store/sqlite/sqlite-writer.js';
import { retentionPlan } from '../../src/store/job-filter.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { batch, commit, inserted, measureBatchCommits, newJob, runStoreConformance } from './conformance.js';
import { uniqueKey } from '../../src/store/sqlite/unique-key.js';

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

test('sqlite: a data directory from before unique keys (schema 4) is migrated; its jobs are found by unique', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'gearhq-sqlite-'));
  try {
    // Schema 4 as it was released: the jobs table without uniq_key, and an index on the text.
    const old = new Database(join(dataDir, 'gearhq.sqlite'));
    old.pragma('journal_mode = WAL');
    migrate(old, 4);
    assert.equal(old.pragma('user_version', { simple: true }), 4);
    const insert = old.prepare(`INSERT INTO jobs (id, handle, fn, uniq, priority, background, state, payload,
      payload_size, submitted_at) VALUES (?, ?, 'f', ?, 1, 1, ?, x'00', 1, 0)`);
    for (let id = 1; id <= 3000; id++) insert.run(id, `H:old:${id}`, id % 1000 === 7 ? 'wanted' : id === 5 ? '' : `u${id}`, id === 2007 ? 1 : 3);
    old.close();

    const store = new SqliteStore({ dataDir, durability: 'fsync' });
    await store.open();
    try {
      assert.deepEqual((await store.findByUnique('wanted', 10)).map((j) => j.id), [2007, 1007, 7]);
      assert.deepEqual((await store.listJobs({ unique: 'wanted', state: 'queued', limit: 10 })).jobs.map((j) => j.handle), ['H:old:2007']);
      assert.deepEqual((await store.findByUnique('u42', 10)).map((j) => j.id), [42]);
      assert.deepEqual((await store.listJobs({ unique: '', limit: 10 })).jobs.map((j) => j.id), [5]);
    } finally {
      await store.close();
    }
    const reopened = new Database(join(dataDir, 'gearhq.sqlite'), { readonly: true });
    const indexes = reopened.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'jobs' ORDER BY name").pluck().all();
    reopened.close();
    assert.deepEqual(indexes, ['jobs_blob_segment', 'jobs_finished', 'jobs_fn', 'jobs_state', 'jobs_uniq_key'], 'the index on the unique text is gone');
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('sqlite: retention reads only the jobs due, through the index of finished jobs (no scan of what is kept), and so does the cap', () => {
  const db = new Database(':memory:');
  migrate(db);
  const rules = {
    keepMs: { completed: 7 * 86_400_000, failed: 30 * 86_400_000, cancelled: 86_400_000, abandoned: 86_400_000 },
    byFunction: { reports: { completed: 3_600_000 } },
    maxFinishedJobs: 1_000_000,
  };
  const steps = retentionPlan(rules, Date.now());
  assert.ok(steps.some((s) => s.fn !== null) && steps.some((s) => s.except.length > 0), 'per-function steps are covered');
  for (const step of steps) {
    const q = retentionStepQuery(step);
    const plan = (db.prepare(`EXPLAIN QUERY PLAN ${q.sql}`).all(...q.params, 100) as { detail: string }[]).map((r) => r.detail).join('; ');
    assert.match(plan, /^SEARCH jobs USING (COVERING )?INDEX jobs_finished \(state=\? AND finished_at>\? AND finished_at<\?\)$/, `${step.state} ${step.fn ?? '*'}: ${plan}`);
  }
  // The cap: a count over the finished jobs' index, and the oldest of a state without sorting.
  const explain = (sql: string, ...params: unknown[]) =>
    (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as { detail: string }[]).map((r) => r.detail).join('; ');
  assert.equal(explain(CAP_QUERIES.countFinished), 'SEARCH jobs USING COVERING INDEX jobs_finished (state>?)');
  assert.equal(explain(CAP_QUERIES.oldestInState, 3, 100), 'SEARCH jobs USING COVERING INDEX jobs_state (state=?)');
  db.close();
});

test('sqlite: a retention pass reads a bounded stretch of finished jobs, and the next goes on from there', () => {
  // 60k completions of a function kept 90 days, with a due one of another every 100th: reading
  // them all in one pass stalled the server ~100-170 ms per pass with a million.
  const db = new Database(':memory:');
  migrate(db);
  const DAY = 86_400_000;
  const now = 1_750_000_000_000;
  db.exec(`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 60000)
    INSERT INTO jobs (id, handle, fn, uniq, priority, background, state, payload, payload_size, submitted_at, finished_at)
    SELECT i, 'H:x:' || i, CASE WHEN i % 100 = 0 THEN 'other' ELSE 'keep' END, '', 1, 1, 3, x'00', 1, 0, ${now - 10 * DAY} + i FROM n`);
  const writer = new SqliteWriter(db, 'os');
  const rules = { keepMs: { completed: 7 * DAY }, byFunction: { keep: { completed: 90 * DAY } }, maxFinishedJobs: 0 };
  const perPass: number[] = [];
  for (let pass = 0; pass < 10; pass++) perPass.push(writer.prune(rules, now + pass, 10_000));
  assert.deepEqual(perPass, [199, 200, 200, 1, 0, 0, 0, 0, 0, 0],
    'each pass takes the due jobs among the next 20,000 (the last one is the bound: next pass), none read twice');
  const left = db.prepare('SELECT fn, count(*) AS n FROM jobs GROUP BY fn ORDER BY fn').all();
  assert.deepEqual(left, [{ fn: 'keep', n: 59_400 }], 'every due job went, no job kept 90 days did');
  db.close();
});

test('sqlite: lookups by unique are right while the filters of a big history fill in the background, and after', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'gearhq-sqlite-'));
  try {
    // 120k jobs with uniques written past the store (quicker), so the store must read them at open.
    const db = new Database(join(dataDir, 'gearhq.sqlite'));
    db.pragma('journal_mode = WAL');
    migrate(db);
    db.function('key', (id, u) => uniqueKey(id as number, u as string));
    db.exec(`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 120000)
      INSERT INTO jobs (id, handle, fn, uniq, uniq_key, priority, background, state, payload, payload_size, submitted_at)
      SELECT i, 'H:old:' || i, 'f', 'u' || (i % 50000), key(i, 'u' || (i % 50000)), 1, 1, 3, x'00', 1, 0 FROM n`);
    db.close();
    const store = new SqliteStore({ dataDir, durability: 'os' });
    await store.open();
    try {
      const ids = async (unique: string) => (await store.findByUnique(unique, 10)).map((j) => j.id);
      // Filling: 120k keys take three turns of the event loop; these lookups run in the first.
      assert.deepEqual(await ids('u7'), [100007, 50007, 7]);
      assert.deepEqual(await ids('nobody'), []);
      await commit(store, batch([inserted(newJob(120001, { unique: 'u7' }))]));
      await store.uniqueFiltersFilled();
      assert.deepEqual(await ids('u7'), [120001, 100007, 50007, 7], 'after filling, the new job too');
      assert.deepEqual(await ids('u49999'), [99999, 49999]);
      assert.deepEqual(await ids('nobody'), []);
      assert.deepEqual((await store.listJobs({ unique: 'u7', state: 'completed', limit: 10 })).jobs.map((j) => j.id), [100007, 50007, 7]);
      assert.equal(await store.countJobs({ unique: 'u12', fn: 'f' }), 3);
    } finally {
      await store.close();
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});
