/**
 * SQLite schema, as an append-only list of migrations: never edit a released step, add one.
 * `PRAGMA user_version` records how many have run.
 */
import type Database from 'better-sqlite3';
import { uniqueKey } from './unique-key.js';

/** A step is SQL, or a function for what SQL alone cannot compute. */
type Migration = string | ((db: Database.Database) => void);

const MIGRATIONS: readonly Migration[] = [
  // 1: jobs with their current state and key times; events for what the row does not tell.
  `CREATE TABLE jobs (
     id INTEGER PRIMARY KEY,          -- the handle's number
     handle TEXT NOT NULL,
     fn TEXT NOT NULL,
     uniq TEXT NOT NULL,
     priority INTEGER NOT NULL,       -- 0 high, 1 normal, 2 low
     background INTEGER NOT NULL,
     reducer TEXT NOT NULL DEFAULT '',
     state INTEGER NOT NULL,          -- index into JOB_STATES; <= 2 means active
     payload BLOB NOT NULL,           -- whole for background jobs, else up to the stored-size cap
     payload_size INTEGER NOT NULL,
     submitted_at INTEGER NOT NULL,   -- ms since the epoch
     due_at INTEGER NOT NULL DEFAULT 0,
     submitter TEXT NOT NULL DEFAULT '',
     started_at INTEGER,
     finished_at INTEGER,
     attempts INTEGER NOT NULL DEFAULT 0,
     retries INTEGER NOT NULL DEFAULT 0,
     worker TEXT,
     numerator TEXT,
     denominator TEXT,
     result BLOB,
     result_size INTEGER,
     error BLOB,
     outcome TEXT,
     warnings INTEGER NOT NULL DEFAULT 0,
     data_chunks INTEGER NOT NULL DEFAULT 0
   );
   CREATE INDEX jobs_state ON jobs (state, id);
   CREATE INDEX jobs_fn ON jobs (fn, id);
   CREATE INDEX jobs_uniq ON jobs (uniq, id) WHERE uniq <> '';
   CREATE TABLE job_events (
     job_id INTEGER NOT NULL,
     at INTEGER NOT NULL,
     type TEXT NOT NULL,
     detail TEXT
   );
   CREATE INDEX job_events_job ON job_events (job_id);
   CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);`,
  // 2: cron firings, one row per schedule tick (the key makes a second firing of a tick fail).
  `CREATE TABLE schedule_firings (
     schedule TEXT NOT NULL,
     tick_at INTEGER NOT NULL,
     job_id INTEGER,
     PRIMARY KEY (schedule, tick_at)
   );`,
  // 3: settings changed at run time (policies, paused functions, API-made schedules), JSON by key.
  `CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);`,
  // 4: the stats engine's minute roll-ups, appended once a minute (see RollupRecord), no key:
  // a minute may have several rows for a function.
  `CREATE TABLE rollups (
     fn TEXT NOT NULL,
     at INTEGER NOT NULL,             -- start of the minute, ms since the epoch
     submitted INTEGER NOT NULL, completed INTEGER NOT NULL, failed INTEGER NOT NULL,
     exceptions INTEGER NOT NULL, retried INTEGER NOT NULL, cancelled INTEGER NOT NULL,
     wait_p50 REAL, wait_p95 REAL, wait_p99 REAL, wait_count INTEGER NOT NULL,
     runtime_p50 REAL, runtime_p95 REAL, runtime_p99 REAL, runtime_count INTEGER NOT NULL,
     ttc_p50 REAL, ttc_p95 REAL, ttc_p99 REAL, ttc_count INTEGER NOT NULL,
     queued INTEGER NOT NULL, running INTEGER NOT NULL, workers INTEGER NOT NULL
   );
   CREATE INDEX rollups_at ON rollups (at);
   CREATE INDEX rollups_fn ON rollups (fn, at);`,
  // 5: jobs found by unique through an integer key per block of jobs (see unique-key.ts) instead
  // of an index on the text, which made every commit rewrite pages all over a large tree.
  (db) => {
    db.function('gearhq_unique_key', { deterministic: true }, (id, unique) => uniqueKey(id as number, unique as string));
    db.exec(`ALTER TABLE jobs ADD COLUMN uniq_key INTEGER;
      UPDATE jobs SET uniq_key = gearhq_unique_key(id, uniq) WHERE uniq <> '';
      DROP INDEX jobs_uniq;
      CREATE INDEX jobs_uniq_key ON jobs (uniq_key) WHERE uniq_key IS NOT NULL;`);
  },
  // 6: finished jobs by state and finishing time, for retention; partial, so submissions and
  // assignments (active rows) do not pay for it.
  `CREATE INDEX jobs_finished ON jobs (state, finished_at) WHERE state > 2;`,
  // 7: WORK_DATA workers sent: its bytes counted, and kept with --keep-work-data (appended).
  `ALTER TABLE jobs ADD COLUMN data BLOB;
   ALTER TABLE jobs ADD COLUMN data_size INTEGER NOT NULL DEFAULT 0;`,
  // 8: large payloads and results in segment files (blob-segments.ts): \`external\` says which
  // columns hold a reference (1 payload, 2 result); \`blob_segment\` is the oldest segment the row
  // refers to, so the oldest segment still in use is one index lookup away.
  `ALTER TABLE jobs ADD COLUMN external INTEGER NOT NULL DEFAULT 0;
   ALTER TABLE jobs ADD COLUMN blob_segment INTEGER;
   CREATE INDEX jobs_blob_segment ON jobs (blob_segment) WHERE blob_segment IS NOT NULL;`,
];

/** Brings the schema up to date (or, for tests of upgrades, up to step `upTo`). */
export function migrate(db: Database.Database, upTo = MIGRATIONS.length): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > MIGRATIONS.length) {
    throw new Error(`the data directory was written by a newer gearhq (schema ${current} > ${MIGRATIONS.length})`);
  }
  for (let v = current; v < upTo; v++) {
    db.transaction(() => {
      const step = MIGRATIONS[v]!;
      if (typeof step === 'string') db.exec(step);
      else step(db);
      db.pragma(`user_version = ${v + 1}`);
    })();
  }
}
