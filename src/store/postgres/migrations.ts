/**
 * PostgreSQL schema, as an append-only list of migrations: never edit a released step, add one.
 * `schema_migrations` records each step that ran. Columns mean what they mean in the SQLite
 * schema (times in ms since the epoch, `state` an index into JOB_STATES with <= 2 active), so
 * both drivers answer the conformance suite alike.
 */
import type pg from 'pg';

const MIGRATIONS: readonly string[] = [
  // 1: jobs with their current state and key times; events for what the row does not tell.
  `CREATE TABLE jobs (
     id bigint PRIMARY KEY,            -- the handle's number
     handle text NOT NULL,
     fn text NOT NULL,
     uniq text NOT NULL,
     priority smallint NOT NULL,       -- 0 high, 1 normal, 2 low
     background boolean NOT NULL,
     reducer text NOT NULL DEFAULT '',
     state smallint NOT NULL,          -- index into JOB_STATES; <= 2 means active
     payload bytea NOT NULL,
     payload_size bigint NOT NULL,
     submitted_at bigint NOT NULL,     -- ms since the epoch
     due_at bigint NOT NULL DEFAULT 0,
     submitter text NOT NULL DEFAULT '',
     started_at bigint,
     finished_at bigint,
     attempts integer NOT NULL DEFAULT 0,
     retries integer NOT NULL DEFAULT 0,
     worker text,
     numerator text,
     denominator text,
     result bytea,
     result_size bigint,
     error bytea,
     outcome text,
     warnings integer NOT NULL DEFAULT 0,
     data_chunks bigint NOT NULL DEFAULT 0
   );
   CREATE INDEX jobs_state ON jobs (state, id);
   CREATE INDEX jobs_fn ON jobs (fn, id);
   CREATE INDEX jobs_uniq ON jobs (uniq, id) WHERE uniq <> '';
   -- At most one active job per (function, unique), whichever node submitted it. '' and '-'
   -- mean "no unique" to Gearman clients.
   CREATE UNIQUE INDEX jobs_active_unique ON jobs (fn, uniq) WHERE state <= 2 AND uniq <> '' AND uniq <> '-';
   -- Claims: queued or scheduled jobs of a function, best priority first, then oldest.
   CREATE INDEX jobs_claim ON jobs (fn, priority, id) WHERE state <= 1;
   CREATE TABLE job_events (
     seq bigserial PRIMARY KEY,        -- commit order
     job_id bigint NOT NULL,
     at bigint NOT NULL,
     type text NOT NULL,
     detail text
   );
   CREATE INDEX job_events_job ON job_events (job_id, seq);
   CREATE TABLE meta (key text PRIMARY KEY, value bigint NOT NULL);`,
  // 2: cron firings, one row per schedule tick: the key stops two nodes firing one tick.
  `CREATE TABLE schedule_firings (
     schedule text NOT NULL,
     tick_at bigint NOT NULL,
     job_id bigint,
     PRIMARY KEY (schedule, tick_at)
   );`,
  // 3: settings changed at run time (policies, paused functions, API-made schedules), JSON by key.
  `CREATE TABLE settings (key text PRIMARY KEY, value text NOT NULL);`,
  // 4: the stats engine's minute roll-ups, appended by every node once a minute (see
  // RollupRecord), no key: a minute may have several rows for a function.
  `CREATE TABLE rollups (
     fn text NOT NULL,
     at bigint NOT NULL,               -- start of the minute, ms since the epoch
     submitted bigint NOT NULL, completed bigint NOT NULL, failed bigint NOT NULL,
     exceptions bigint NOT NULL, retried bigint NOT NULL, cancelled bigint NOT NULL,
     wait_p50 double precision, wait_p95 double precision, wait_p99 double precision, wait_count bigint NOT NULL,
     runtime_p50 double precision, runtime_p95 double precision, runtime_p99 double precision, runtime_count bigint NOT NULL,
     ttc_p50 double precision, ttc_p95 double precision, ttc_p99 double precision, ttc_count bigint NOT NULL,
     queued bigint NOT NULL, running bigint NOT NULL, workers bigint NOT NULL
   );
   CREATE INDEX rollups_at ON rollups (at);
   CREATE INDEX rollups_fn ON rollups (fn, at);`,
  // 5: finished jobs by state and finishing time, for retention; partial, so submissions and
  // claims (active rows) do not pay for it.
  `CREATE INDEX jobs_finished ON jobs (state, finished_at) WHERE state > 2;`,
  // 6: WORK_DATA workers sent: its bytes counted, and kept with --keep-work-data (appended).
  `ALTER TABLE jobs ADD COLUMN data bytea, ADD COLUMN data_size bigint NOT NULL DEFAULT 0;`,
];

/** Any constant shared by every gearhq process: serialises migrations of one database. */
const MIGRATION_LOCK = 0x6765_6172;

/** Brings the schema up to date; safe when several processes start at once. */
export async function migrate(client: pg.ClientBase): Promise<void> {
  await client.query('BEGIN');
  try {
    // Everything below, even creating the bookkeeping table, happens under one lock.
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version integer PRIMARY KEY,
      applied_at timestamptz NOT NULL DEFAULT now()
    )`);
    const { rows } = await client.query<{ v: number | null }>('SELECT max(version) AS v FROM schema_migrations');
    const current = Number(rows[0]?.v ?? 0);
    if (current > MIGRATIONS.length) {
      throw new Error(`the database was written by a newer gearhq (schema ${current} > ${MIGRATIONS.length})`);
    }
    for (let v = current; v < MIGRATIONS.length; v++) {
      await client.query(MIGRATIONS[v]!);
      await client.query('INSERT INTO schema_migrations (version) VALUES ($1)', [v + 1]);
    }
    await client.query('COMMIT');
  } catch (e) {
    await client.query('ROLLBACK').catch(() => {});
    throw e;
  }
}

export const SCHEMA_VERSION = MIGRATIONS.length;
