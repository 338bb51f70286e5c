/**
 * The PostgreSQL driver's reads, upkeep and claims, one named (prepared) query per operation,
 * and the row conversions. The batch writes are in write-statements.ts.
 */
import type pg from 'pg';
import { JOB_STATES, STATE_CODE, type JobRecord, type StoredJob } from '../store.js';
import { FINISHED_STATES } from '../job-filter.js';

export const SCHEDULED = STATE_CODE.get('scheduled')!;
export const QUEUED = STATE_CODE.get('queued')!;
export const RUNNING = STATE_CODE.get('running')!;
/** Codes above this are finished states. */
export const LAST_ACTIVE = RUNNING;

export type Named = Required<Pick<pg.QueryConfig, 'name' | 'text'>>;
const q = (name: string, text: string): Named => ({ name, text });

export const JOB_COLUMNS = `id, handle, fn, uniq, priority, background, reducer, state, payload, payload_size,
  submitted_at, due_at, submitter, started_at, finished_at, attempts, retries, worker, numerator,
  denominator, result, result_size, error, outcome, warnings, data_chunks, data, data_size`;

const ACTIVE_COLUMNS = 'id, handle, fn, uniq, payload, priority, background, reducer, state, due_at, submitted_at, attempts, retries';

export const NEXT_HANDLE = q('meta_next_handle', `SELECT greatest(
    coalesce((SELECT value FROM meta WHERE key = 'next_handle'), 1),
    coalesce((SELECT max(id) FROM jobs), 0) + 1) AS n`);

export const ACTIVE_UNIQUE_HOLDERS = q('jobs_active_unique_holders', `SELECT j.id, j.handle, j.fn, j.uniq
  FROM jobs j JOIN unnest($1::text[], $2::text[]) AS p(fn, uniq) ON j.fn = p.fn AND j.uniq = p.uniq
  WHERE j.state <= ${LAST_ACTIVE}`);

export const LOAD_ACTIVE = q('jobs_load_active', `SELECT ${ACTIVE_COLUMNS} FROM jobs WHERE state <= ${LAST_ACTIVE} ORDER BY id`);

/** Start-up streaming: the next page of one active state's jobs, through the (state, id) index. */
export const ACTIVE_PAGE = q('jobs_active_page', `SELECT ${ACTIVE_COLUMNS} FROM jobs
  WHERE state = $1 AND id > $2 ORDER BY id LIMIT $3`);

export const FIND_BY_ID = q('jobs_find_by_id', `SELECT ${JOB_COLUMNS} FROM jobs WHERE id = $1 AND handle = $2`);

export const FIND_BY_UNIQUE = q('jobs_find_by_unique', `SELECT ${JOB_COLUMNS} FROM jobs
  WHERE uniq = $1 AND uniq <> '' ORDER BY id DESC LIMIT $2`);

export const JOB_EVENTS = q('events_of_job', 'SELECT job_id, at, type, detail FROM job_events WHERE job_id = $1 ORDER BY seq');

/** Which filters a listing uses, as bits: one prepared statement per combination. */
export const LIST_FILTERS = [
  { key: 'fn', sql: 'fn = $' },
  { key: 'state', sql: 'state = $' },
  // The unique index is partial (uniq <> ''); a prepared (generic) plan cannot tell that a
  // parameter is non-empty, so the query says so, or it scans the table. '' has its own filter.
  { key: 'unique', sql: '(uniq = $N AND uniq <> \'\')' },
  { key: 'noUnique', sql: 'uniq = $' },
  { key: 'since', sql: 'submitted_at >= $' },
  { key: 'until', sql: 'submitted_at < $' },
  { key: 'below', sql: 'id < $' },
  { key: 'minId', sql: 'id >= $' },
  // One parameter used three times: written as $N and repeated when the statement is built.
  { key: 'text', sql: '(position($N in payload) > 0 OR position($N in coalesce(result, \'\'::bytea)) > 0 OR position($N in coalesce(error, \'\'::bytea)) > 0)' },
] as const;

const listCache = new Map<number, Named>();
const countCache = new Map<number, Named>();

function whereOf(mask: number): string[] {
  const where: string[] = [];
  LIST_FILTERS.forEach((f, i) => {
    if ((mask & (1 << i)) === 0) return;
    const n = where.length + 1;
    where.push(f.sql.includes('$N') ? f.sql.replaceAll('$N', `$${n}`) : `${f.sql}${n}`);
  });
  return where;
}

/** The listing statement for a set of filters (bit i = LIST_FILTERS[i]); the limit comes last. */
export function listJobsQuery(mask: number): Named {
  let named = listCache.get(mask);
  if (named === undefined) {
    const where = whereOf(mask);
    named = q(`jobs_list_${mask}`, `SELECT ${JOB_COLUMNS} FROM jobs
      ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT $${where.length + 1}`);
    listCache.set(mask, named);
  }
  return named;
}

/** How many jobs match a set of filters (the same bits as listJobsQuery, without the limit). */
export function countJobsQuery(mask: number): Named {
  let named = countCache.get(mask);
  if (named === undefined) {
    const where = whereOf(mask);
    named = q(`jobs_count_${mask}`, `SELECT count(*)::int8 AS n FROM jobs ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}`);
    countCache.set(mask, named);
  }
  return named;
}

/**
 * Retention: finished jobs of one state and function past their cut-off, oldest first, from the
 * step's floor (see RetentionFloors; the finishing times returned say how far a step that took
 * its whole share got). The literal `state > LAST_ACTIVE` lets a prepared (generic)
 * plan use the partial index of finished jobs by (state, finished_at), so only the rows due are
 * read, not every finished job kept.
 */
export const PRUNE_FN = q('jobs_prune_fn', `DELETE FROM jobs WHERE id IN (
    SELECT id FROM jobs WHERE state > ${LAST_ACTIVE} AND state = $1 AND finished_at >= $2 AND finished_at < $3 AND fn = $4
    ORDER BY finished_at LIMIT $5)
  RETURNING id, finished_at`);

/** The same for every function without an override of its own. */
export const PRUNE_DEFAULT = q('jobs_prune_default', `DELETE FROM jobs WHERE id IN (
    SELECT id FROM jobs WHERE state > ${LAST_ACTIVE} AND state = $1 AND finished_at >= $2 AND finished_at < $3
      AND fn <> ALL($4::text[])
    ORDER BY finished_at LIMIT $5)
  RETURNING id, finished_at`);

/** At most this many jobs can be on record (two index lookups): below the cap, it need not be walked. */
export const ID_SPAN = q('jobs_id_span', 'SELECT (max(id) - min(id) + 1)::int8 AS span FROM jobs');

/** Finished jobs on record: a count over the partial index of finished jobs. */
export const COUNT_FINISHED = q('jobs_count_finished', `SELECT count(*)::int8 AS n FROM jobs WHERE state > ${LAST_ACTIVE}`);

/**
 * The cap: the $1 oldest finished jobs, from the oldest of each end state through the (state, id)
 * index. Finding the newest job beyond the cap instead (an OFFSET of a million over finished jobs
 * by id) cost the database ~340 ms per pass.
 */
export const PRUNE_OLDEST = q('jobs_prune_oldest', `DELETE FROM jobs WHERE id IN (
    SELECT id FROM (${FINISHED_STATES.map((s) => `(SELECT id FROM jobs WHERE state = ${STATE_CODE.get(s)!} ORDER BY id LIMIT $1)`)
    .join(' UNION ALL ')}) AS oldest
    ORDER BY id LIMIT $1)
  RETURNING id`);

export const PRUNE_EVENTS = q('events_prune', 'DELETE FROM job_events WHERE job_id = ANY($1::bigint[])');

/** Milliseconds since the epoch by the database's clock: in a cluster, the database decides what is due. */
const DB_NOW_MS = '(extract(epoch FROM clock_timestamp()) * 1000)::bigint';

/**
 * Claims: mark up to $2 claimable jobs of the functions $1 running for worker $3. Candidates come
 * from each function's own index range (best priority, then oldest; a window of $4 per function
 * and in all), so the cost does not grow with the backlog; then the best $2 of them that no other
 * claimer holds are locked (SKIP LOCKED), re-checked and updated. Only the rows claimed are locked.
 */
export const CLAIM_NEXT = q('jobs_claim_next', `WITH now AS (SELECT ${DB_NOW_MS} AS ms),
  cand AS (
    SELECT c.id, c.priority FROM unnest($1::text[]) AS f(fn)
    CROSS JOIN LATERAL (
      SELECT j.id, j.priority FROM jobs j, now
      WHERE j.fn = f.fn AND j.state <= ${QUEUED} AND (j.state = ${QUEUED} OR j.due_at <= now.ms)
      ORDER BY j.priority, j.id
      LIMIT $4) c
    ORDER BY c.priority, c.id
    LIMIT $4),
  picked AS (
    SELECT j.id FROM jobs j, now
    WHERE j.id IN (SELECT id FROM cand) AND j.state <= ${QUEUED} AND (j.state = ${QUEUED} OR j.due_at <= now.ms)
    ORDER BY j.priority, j.id
    LIMIT $2
    FOR UPDATE OF j SKIP LOCKED)
  UPDATE jobs AS j SET state = ${RUNNING}, started_at = now.ms, attempts = j.attempts + 1, worker = $3
  FROM picked, now
  WHERE j.id = picked.id
  RETURNING ${ACTIVE_COLUMNS.split(', ').map((c) => `j.${c}`).join(', ')}`);

// ---- rows -----------------------------------------------------------------------------------

export interface JobRow {
  id: number; handle: string; fn: string; uniq: string; priority: 0 | 1 | 2; background: boolean;
  reducer: string; state: number; payload: Buffer; payload_size: number; submitted_at: number;
  due_at: number; submitter: string; started_at: number | null; finished_at: number | null;
  attempts: number; retries: number; worker: string | null; numerator: string | null;
  denominator: string | null; result: Buffer | null; result_size: number | null; error: Buffer | null;
  outcome: string | null; warnings: number; data_chunks: number; data: Buffer | null; data_size: number;
}

export type ActiveRow = Pick<JobRow, 'id' | 'handle' | 'fn' | 'uniq' | 'payload' | 'priority' | 'background' |
  'reducer' | 'state' | 'due_at' | 'submitted_at' | 'attempts' | 'retries'>;

export function toRecord(r: JobRow): JobRecord {
  return {
    id: r.id, handle: r.handle, fn: r.fn, unique: r.uniq, priority: r.priority, background: r.background,
    reducer: r.reducer, state: JOB_STATES[r.state]!, payload: r.payload, payloadSize: r.payload_size,
    submittedAt: r.submitted_at, dueAt: r.due_at, submitter: r.submitter, startedAt: r.started_at,
    finishedAt: r.finished_at, attempts: r.attempts, retries: r.retries, worker: r.worker,
    numerator: r.numerator, denominator: r.denominator, result: r.result, resultSize: r.result_size,
    error: r.error, outcome: r.outcome, warnings: r.warnings, dataChunks: r.data_chunks, data: r.data, dataSize: r.data_size,
  };
}

export function toStoredJob(r: ActiveRow): StoredJob {
  return {
    id: r.id, handle: r.handle, fn: r.fn, unique: r.uniq, payload: r.payload, priority: r.priority,
    background: r.background, reducer: r.reducer, state: JOB_STATES[r.state]!, dueAt: r.due_at,
    submittedAt: r.submitted_at, attempts: r.attempts, retries: r.retries,
  };
}

/**
 * PostgreSQL text cannot hold NUL, and a batch must never fail over what a client sent: free text
 * is stored with U+FFFD in place of NUL (payloads, results and error data are bytea and exact).
 */
export function pgText<T extends string | null>(s: T): T {
  return (s !== null && s.includes('\0') ? s.replaceAll('\0', '\uFFFD') : s) as T;
}
