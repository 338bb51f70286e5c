/**
 * The shared store: PostgreSQL, built for several gearhq processes on one database.
 *
 * - Batches are written one at a time, strictly in commit order (a later batch may update a job
 *   an earlier one inserted), each as one transaction — usually a single statement. Batches that
 *   carry background acknowledgements wait for the WAL flush (`synchronous_commit = on`); the
 *   rest, and every batch with `durability: 'os'`, commit without waiting for it: they survive a
 *   gearhq crash, and a crash of PostgreSQL itself at worst re-runs jobs (at-least-once).
 * - The database enforces one active job per (function, unique) ('' and '-' are no unique).
 *   A batch that would break that is refused whole with a UniqueConflictError naming the jobs;
 *   nothing is dropped or renamed silently, because an acknowledged job must be exactly what was
 *   stored. A single node never meets this (its engine coalesces, and a batch frees uniques before
 *   it takes new ones); it is the guard for several nodes.
 * - Two writer connections, one waiting for the WAL flush and one not (so nothing is switched per
 *   batch); reads, pruning and claims use a small pool beside them.
 * - Claims (`claimNext`) lock with FOR UPDATE SKIP LOCKED, so concurrent claimers on any node get
 *   disjoint jobs; what is due is decided by the database's clock.
 */
import pg from 'pg';
import type { ClaimCapabilities, JobClaims } from '../claims.js';
import { decodeCursor, handleId, pageOf, RetentionFloors } from '../job-filter.js';
import {
  STATE_CODE, type CommitBatch, type JobCountFilter, type JobEventRecord, type JobFilter, type JobPage, type JobRecord,
  type RetentionRules, type RollupFilter, type RollupRecord, type Store, type StoredJob,
} from '../store.js';
import { UniqueConflictError } from '../unique-conflict.js';
import { insertChunks, planBatch, type BatchPlan } from './batch-plan.js';
import { migrate } from './migrations.js';
import {
  ACTIVE_PAGE, ACTIVE_UNIQUE_HOLDERS, CLAIM_NEXT, FIND_BY_ID, FIND_BY_UNIQUE, JOB_EVENTS, LIST_FILTERS, countJobsQuery, listJobsQuery,
  COUNT_FINISHED, ID_SPAN, LOAD_ACTIVE, NEXT_HANDLE, pgText, PRUNE_DEFAULT, PRUNE_EVENTS, PRUNE_FN, PRUNE_OLDEST, QUEUED, RUNNING, SCHEDULED,
  toRecord, toStoredJob, type ActiveRow, type JobRow,
} from './queries.js';
import { rollupFromRow } from '../rollup-columns.js';
import { rollupsAppendQuery, rollupsPruneQuery, rollupsRangeQuery } from './rollup-queries.js';
import { writeQuery } from './write-statements.js';

export interface PostgresStoreOptions {
  /** postgres://user:password@host:port/database (any libpq-style URL `pg` accepts). */
  url: string;
  /** fsync: acknowledged jobs wait for the WAL flush; os: they survive a gearhq crash. */
  durability: 'fsync' | 'os';
  /** Connections for reads, pruning and claims, besides the two writers (default 4). */
  poolSize?: number;
}

/** Rows per page when start-up streams the backlog. */
const ACTIVE_PAGE_ROWS = 5000;

const INT8 = 20;
/** bigint columns (ids, ms times, sizes) come back as numbers: all stay below 2^53. */
const TYPES: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8 && format !== 'binary' ? Number : pg.types.getTypeParser(oid, format as 'text')) as pg.CustomTypesConfig['getTypeParser'],
};

/** SQLSTATE unique_violation, and the index that carries the active-unique rule. */
const UNIQUE_VIOLATION = '23505';
const ACTIVE_UNIQUE_INDEX = 'jobs_active_unique';

export class PostgresStore implements Store, JobClaims {
  readonly name = 'postgres';
  readonly capabilities: ClaimCapabilities = { durable: true, multiNode: true, keepsBatchBuffers: false, claims: true };
  private readonly writers: { durable: pg.Client | null; lazy: pg.Client | null } = { durable: null, lazy: null };
  private pool: pg.Pool | null = null;
  /** Batches run one after another, in commit order. */
  private tail: Promise<void> = Promise.resolve();
  /** The highest handle counter this process has stored. */
  private handleStored = 0;
  private closed = false;
  /** Where each retention step can start reading (see RetentionFloors). */
  private readonly floors = new RetentionFloors();

  constructor(private readonly options: PostgresStoreOptions) {}

  async open(): Promise<void> {
    let first: pg.Client;
    try {
      first = await this.writerClient(this.options.durability === 'fsync');
    } catch (e) {
      throw new Error(`cannot connect to PostgreSQL at ${redactedUrl(this.options.url)}: ${(e as Error).message}`, { cause: e });
    }
    await migrate(first);
    const pool = new pg.Pool({ ...this.connection(), max: this.options.poolSize ?? 4 });
    // An idle pooled connection that breaks is replaced on next use; nothing to do here.
    pool.on('error', () => {});
    this.pool = pool;
  }

  async eachActive(visit: (job: StoredJob) => void): Promise<number> {
    // Keyset pages per state keep memory flat however big the backlog is.
    let n = 0;
    for (const state of [SCHEDULED, QUEUED, RUNNING]) {
      let after = 0;
      for (;;) {
        const { rows } = await this.db().query<ActiveRow>({ ...ACTIVE_PAGE, values: [state, after, ACTIVE_PAGE_ROWS] });
        for (const r of rows) visit(toStoredJob(r));
        n += rows.length;
        if (rows.length < ACTIVE_PAGE_ROWS) break;
        after = rows[rows.length - 1]!.id;
      }
    }
    return n;
  }

  async loadActive(): Promise<StoredJob[]> {
    const { rows } = await this.db().query<ActiveRow>(LOAD_ACTIVE);
    return rows.map(toStoredJob);
  }

  async putSetting(key: string, value: string | null): Promise<void> {
    if (value === null) await this.db().query('DELETE FROM settings WHERE key = $1', [key]);
    else {
      await this.db().query(`INSERT INTO settings (key, value) VALUES ($1, $2)
        ON CONFLICT (key) DO UPDATE SET value = excluded.value`, [key, value]);
    }
  }

  async loadSettings(): Promise<Record<string, string>> {
    const { rows } = await this.db().query<{ key: string; value: string }>('SELECT key, value FROM settings');
    return Object.fromEntries(rows.map((r) => [r.key, r.value]));
  }

  async lastFirings(): Promise<Record<string, number>> {
    const { rows } = await this.db().query<{ schedule: string; tick: string }>(
      'SELECT schedule, max(tick_at) AS tick FROM schedule_firings GROUP BY schedule');
    return Object.fromEntries(rows.map((r) => [r.schedule, Number(r.tick)]));
  }

  async nextHandleNumber(): Promise<number> {
    const { rows } = await this.db().query<{ n: number }>(NEXT_HANDLE);
    return rows[0]!.n;
  }

  commit(batch: CommitBatch): Promise<void> {
    const run = this.tail.then(() => this.write(batch));
    this.tail = run.catch(() => {});
    return run;
  }

  async findJob(handle: string): Promise<JobRecord | null> {
    const id = handleId(handle);
    if (id === null) return null;
    const { rows } = await this.db().query<JobRow>({ ...FIND_BY_ID, values: [id, pgText(handle)] });
    return rows.length === 0 ? null : toRecord(rows[0]!);
  }

  async findByUnique(unique: string, limit: number): Promise<JobRecord[]> {
    if (unique === '') return [];
    const { rows } = await this.db().query<JobRow>({ ...FIND_BY_UNIQUE, values: [pgText(unique), limit] });
    return rows.map(toRecord);
  }

  async listJobs(filter: JobFilter): Promise<JobPage> {
    const { mask, values } = filterValues(filter);
    values.push(filter.limit + 1);
    const { rows } = await this.db().query<JobRow>({ ...listJobsQuery(mask), values });
    return pageOf(rows, filter.limit, toRecord);
  }

  async countJobs(filter: JobCountFilter): Promise<number> {
    const { mask, values } = filterValues(filter);
    const { rows } = await this.db().query<{ n: string }>({ ...countJobsQuery(mask), values });
    return Number(rows[0]!.n);
  }

  async jobEvents(id: number): Promise<JobEventRecord[]> {
    const { rows } = await this.db().query<{ job_id: number; at: number; type: string; detail: string | null }>(
      { ...JOB_EVENTS, values: [id] });
    return rows.map((e) => ({ jobId: e.job_id, at: e.at, type: e.type, detail: e.detail }));
  }

  async prune(rules: RetentionRules, now: number, limit: number): Promise<number> {
    const client = await this.db().connect();
    try {
      await client.query('BEGIN');
      const deleted: number[] = [];
      /** Deletes what the query selects; returns the latest finishing time among them. */
      const take = async (query: pg.QueryConfig): Promise<{ n: number; latest: number }> => {
        const { rows } = await client.query<{ id: number; finished_at: string | null }>(query);
        let latest = 0;
        for (const r of rows) {
          deleted.push(r.id);
          latest = Math.max(latest, Number(r.finished_at ?? 0));
        }
        return { n: rows.length, latest };
      };
      for (const step of this.floors.plan(rules, now)) {
        const room = limit - deleted.length;
        if (room <= 0) break;
        const state = STATE_CODE.get(step.state);
        const found = await take(step.fn !== null
          ? { ...PRUNE_FN, values: [state, step.from, step.cutoff, pgText(step.fn), room] }
          : { ...PRUNE_DEFAULT, values: [state, step.from, step.cutoff, step.except.map(pgText), room] });
        this.floors.took(step, found.n, room, found.latest);
      }
      // The cap counts what the time rules left, so it never takes more than it must; not counted
      // while fewer jobs than the cap can be on record at all.
      const overCap = async () => {
        const { rows } = await client.query<{ span: string | null }>(ID_SPAN);
        return Number(rows[0]?.span ?? 0) > rules.maxFinishedJobs;
      };
      if (rules.maxFinishedJobs > 0 && deleted.length < limit && await overCap()) {
        const { rows } = await client.query<{ n: string }>(COUNT_FINISHED);
        const over = Number(rows[0]!.n) - rules.maxFinishedJobs;
        if (over > 0) await take({ ...PRUNE_OLDEST, values: [Math.min(over, limit - deleted.length)] });
      }
      if (deleted.length > 0) await client.query({ ...PRUNE_EVENTS, values: [deleted] });
      await client.query('COMMIT');
      this.floors.stored();
      return deleted.length;
    } catch (e) {
      await client.query('ROLLBACK').catch(() => {});
      throw e;
    } finally {
      client.release();
    }
  }

  async claimNext(fns: readonly string[], limit: number, worker: string): Promise<StoredJob[]> {
    if (fns.length === 0 || limit <= 0) return [];
    // The candidate window leaves room for jobs that concurrent claimers hold at this moment.
    const window = 2 * limit + 64;
    const { rows } = await this.db().query<ActiveRow>({
      ...CLAIM_NEXT, values: [[...new Set(fns.map(pgText))], limit, pgText(worker), window],
    });
    return rows.map(toStoredJob).sort((a, b) => a.priority - b.priority || a.id - b.id);
  }

  async rollupsAppend(rows: readonly RollupRecord[]): Promise<void> {
    if (rows.length > 0) await this.db().query(rollupsAppendQuery(rows));
  }

  async rollupsRange(filter: RollupFilter): Promise<RollupRecord[]> {
    const { rows } = await this.db().query<Record<string, unknown>>(rollupsRangeQuery(filter));
    return rows.map(rollupFromRow);
  }

  async rollupsPrune(before: number, limit: number): Promise<number> {
    return (await this.db().query(rollupsPruneQuery(before, limit))).rowCount ?? 0;
  }

  async firingsPrune(keep: number, limit: number): Promise<number> {
    // Each row is compared with its schedule's keep-th newest tick, found through the primary key.
    const r = await this.db().query({
      text: `DELETE FROM schedule_firings d USING (
          SELECT f.schedule, f.tick_at FROM schedule_firings f WHERE f.tick_at < (SELECT g.tick_at FROM schedule_firings g
            WHERE g.schedule = f.schedule ORDER BY g.tick_at DESC OFFSET $1 LIMIT 1) LIMIT $2) x
        WHERE d.schedule = x.schedule AND d.tick_at = x.tick_at`,
      values: [keep - 1, limit],
    });
    return r.rowCount ?? 0;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.tail;
    const { durable, lazy } = this.writers;
    const pool = this.pool;
    this.writers.durable = this.writers.lazy = null;
    this.pool = null;
    await durable?.end().catch(() => {});
    await lazy?.end().catch(() => {});
    await pool?.end().catch(() => {});
  }

  // ---- writing ------------------------------------------------------------------------------

  private async write(batch: CommitBatch): Promise<void> {
    if (this.closed) throw new Error('the postgres store is closed');
    const plan = planBatch(batch);
    const meta = batch.nextHandle > this.handleStored ? batch.nextHandle : null;
    const f = batch.firings ?? [];
    const firings = f.length === 0 ? null
      : [f.map((x) => x.schedule), f.map((x) => x.tickAt), f.map((x) => x.jobId)];
    const client = await this.writerClient(batch.sync && this.options.durability === 'fsync');
    const chunks = plan.inserts === null ? [null] : insertChunks(plan.inserts, plan.insertBytes);
    const oneStatement = plan.joinable && chunks.length === 1;
    try {
      if (oneStatement) {
        // One statement is its own transaction: a single round trip.
        const all = writeQuery({ update: plan.before[0] ?? null, insert: plan.inserts, events: plan.events, firings, meta });
        if (all !== null) await client.query(all);
      } else {
        await client.query('BEGIN');
        for (const update of plan.before) await client.query(writeQuery({ update, insert: null, events: null, meta: null })!);
        for (let i = 0; i < chunks.length; i++) {
          const last = i === chunks.length - 1;
          const rest = writeQuery({ update: null, insert: chunks[i]!, events: last ? plan.events : null,
            firings: last ? firings : null, meta: last ? meta : null });
          if (rest !== null) await client.query(rest);
        }
        for (const update of plan.after) await client.query(writeQuery({ update, insert: null, events: null, meta: null })!);
        await client.query('COMMIT');
      }
    } catch (e) {
      if (!oneStatement) await client.query('ROLLBACK').catch(() => this.dropWriter(client));
      if (isActiveUniqueViolation(e)) throw await this.describeConflict(plan, e as Error);
      throw e;
    }
    if (meta !== null) this.handleStored = meta;
  }

  /** Names the jobs behind a unique violation: which insert, and which active job holds the pair. */
  private async describeConflict(plan: BatchPlan, cause: Error): Promise<Error> {
    try {
      const wanted = plan.activeUniques;
      const { rows } = await this.db().query<{ id: number; handle: string; fn: string; uniq: string }>({
        ...ACTIVE_UNIQUE_HOLDERS, values: [wanted.map((w) => w.fn), wanted.map((w) => w.unique)],
      });
      const holders = new Map(rows.map((r) => [`${r.fn}\0${r.uniq}`, r]));
      const firstInBatch = new Map<string, number>();
      const conflicts = [];
      for (const w of wanted) {
        const key = `${w.fn}\0${w.unique}`;
        const held = holders.get(key);
        const earlier = firstInBatch.get(key);
        if (held !== undefined) conflicts.push({ ...w, holder: { id: held.id, handle: held.handle } });
        else if (earlier !== undefined) conflicts.push({ ...w, holder: { id: earlier, handle: '(same batch)' } });
        else firstInBatch.set(key, w.id);
      }
      const err = new UniqueConflictError(conflicts.length > 0 ? conflicts : wanted.map((w) => ({ ...w, holder: null })));
      err.cause = cause;
      return err;
    } catch {
      return cause;
    }
  }

  /**
   * The connection for a batch: one that waits for the WAL flush at commit, or one that does
   * not. Batches still run one at a time, so their order holds across the two; and a flush
   * covers every commit before it, so a durable batch also makes earlier lazy ones durable.
   */
  private async writerClient(durable: boolean): Promise<pg.Client> {
    const slot = durable ? 'durable' : 'lazy';
    const existing = this.writers[slot];
    if (existing !== null) return existing;
    const client = new pg.Client(this.connection());
    // A broken writer is replaced by the next batch; the batch in flight fails on its own.
    client.on('error', () => this.dropWriter(client));
    await client.connect();
    if (!durable) await client.query('SET synchronous_commit TO off');
    this.writers[slot] = client;
    return client;
  }

  private dropWriter(client: pg.Client): void {
    if (this.writers.durable === client) this.writers.durable = null;
    if (this.writers.lazy === client) this.writers.lazy = null;
    client.end().catch(() => {});
  }

  private connection(): pg.ClientConfig {
    return { connectionString: this.options.url, types: TYPES, application_name: 'gearhq' };
  }

  private db(): pg.Pool {
    if (this.pool === null) throw new Error('the postgres store is not open');
    return this.pool;
  }
}

function isActiveUniqueViolation(e: unknown): boolean {
  const err = e as { code?: string; constraint?: string };
  return err.code === UNIQUE_VIOLATION && err.constraint === ACTIVE_UNIQUE_INDEX;
}

/** The URL without its password, for messages. */
function redactedUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password !== '') u.password = '***';
    return u.toString();
  } catch {
    return '(the --database-url given)';
  }
}

/** Which LIST_FILTERS a filter uses (as bits) and their values, in order. */
function filterValues(filter: JobCountFilter & Partial<Pick<JobFilter, 'minId' | 'text'>>): { mask: number; values: unknown[] } {
  const given: Record<(typeof LIST_FILTERS)[number]['key'], unknown> = {
    fn: filter.fn === undefined ? undefined : pgText(filter.fn),
    state: filter.state === undefined ? undefined : STATE_CODE.get(filter.state),
    unique: filter.unique === undefined || filter.unique === '' ? undefined : pgText(filter.unique),
    noUnique: filter.unique === '' ? '' : undefined,
    since: filter.since,
    until: filter.until,
    below: decodeCursor(filter.cursor) ?? undefined,
    minId: filter.minId,
    text: filter.text,
  };
  let mask = 0;
  const values: unknown[] = [];
  LIST_FILTERS.forEach((f, i) => {
    if (given[f.key] !== undefined) {
      mask |= 1 << i;
      values.push(given[f.key]);
    }
  });
  return { mask, values };
}
