/**
 * The statements that write a batch. Rows travel as column arrays through `unnest`, so a batch
 * of any size is one fixed, prepared statement; the parts a batch needs (updates, inserts,
 * events, the handle counter) are joined into one statement with data-modifying CTEs, so a
 * typical batch is a single round trip and its own transaction.
 *
 * The CTEs of one statement share a snapshot and run in no set order: the caller joins updates
 * with inserts only where they cannot interact (batch-plan.ts says when).
 */
import { JOB_COLUMNS, type Named } from './queries.js';

/** What one statement writes: each part's columns, or null when the batch has none of it. */
export interface WriteParts {
  update: unknown[][] | null;
  insert: unknown[][] | null;
  events: unknown[][] | null;
  /** Cron firings: schedule, tick, job id. */
  firings?: unknown[][] | null;
  /** The handle counter to raise to. */
  meta: number | null;
}

const FRAGMENTS = [
  {
    part: 'update' as const,
    arity: 17,
    // A null leaves the stored value, counters add up, background only turns on.
    sql: (p: (i: number) => string) => `UPDATE jobs AS j SET
      state = coalesce(d.state, j.state),
      background = j.background OR d.pin,
      started_at = coalesce(d.started_at, j.started_at),
      finished_at = coalesce(d.finished_at, j.finished_at),
      attempts = coalesce(d.attempts, j.attempts),
      retries = coalesce(d.retries, j.retries),
      worker = coalesce(d.worker, j.worker),
      numerator = coalesce(d.numerator, j.numerator),
      denominator = coalesce(d.denominator, j.denominator),
      result = coalesce(d.result, j.result),
      result_size = coalesce(d.result_size, j.result_size),
      error = coalesce(d.error, j.error),
      outcome = coalesce(d.outcome, j.outcome),
      warnings = j.warnings + d.warnings,
      data_chunks = j.data_chunks + d.data_chunks,
      due_at = coalesce(d.due_at, j.due_at)
    FROM unnest(${p(0)}::bigint[], ${p(1)}::smallint[], ${p(2)}::boolean[], ${p(3)}::bigint[], ${p(4)}::bigint[],
      ${p(5)}::integer[], ${p(6)}::integer[], ${p(7)}::text[], ${p(8)}::text[], ${p(9)}::text[], ${p(10)}::bytea[],
      ${p(11)}::bigint[], ${p(12)}::bytea[], ${p(13)}::text[], ${p(14)}::integer[], ${p(15)}::bigint[],
      ${p(16)}::bigint[])
      AS d(id, state, pin, started_at, finished_at, attempts, retries, worker, numerator, denominator,
        result, result_size, error, outcome, warnings, data_chunks, due_at)
    WHERE j.id = d.id`,
  },
  {
    part: 'insert' as const,
    arity: 26,
    sql: (p: (i: number) => string) => `INSERT INTO jobs (${JOB_COLUMNS})
    SELECT * FROM unnest(${p(0)}::bigint[], ${p(1)}::text[], ${p(2)}::text[], ${p(3)}::text[], ${p(4)}::smallint[],
      ${p(5)}::boolean[], ${p(6)}::text[], ${p(7)}::smallint[], ${p(8)}::bytea[], ${p(9)}::bigint[], ${p(10)}::bigint[],
      ${p(11)}::bigint[], ${p(12)}::text[], ${p(13)}::bigint[], ${p(14)}::bigint[], ${p(15)}::integer[],
      ${p(16)}::integer[], ${p(17)}::text[], ${p(18)}::text[], ${p(19)}::text[], ${p(20)}::bytea[], ${p(21)}::bigint[],
      ${p(22)}::bytea[], ${p(23)}::text[], ${p(24)}::integer[], ${p(25)}::bigint[])`,
  },
  {
    part: 'events' as const,
    arity: 4,
    sql: (p: (i: number) => string) => `INSERT INTO job_events (job_id, at, type, detail)
    SELECT job_id, at, type, detail
    FROM unnest(${p(0)}::bigint[], ${p(1)}::bigint[], ${p(2)}::text[], ${p(3)}::text[])
      WITH ORDINALITY AS e(job_id, at, type, detail, n)
    ORDER BY n`,
  },
  {
    part: 'firings' as const,
    arity: 3,
    sql: (p: (i: number) => string) => `INSERT INTO schedule_firings (schedule, tick_at, job_id)
    SELECT * FROM unnest(${p(0)}::text[], ${p(1)}::bigint[], ${p(2)}::bigint[])`,
  },
  {
    part: 'meta' as const,
    arity: 1,
    // The handle counter only moves forward, whatever order batches from several nodes arrive in.
    sql: (p: (i: number) => string) => `INSERT INTO meta (key, value) VALUES ('next_handle', ${p(0)})
    ON CONFLICT (key) DO UPDATE SET value = excluded.value WHERE meta.value < excluded.value`,
  },
];

const cache = new Map<number, Named>();

/** One prepared statement writing the given parts, with its values; null when there is nothing. */
export function writeQuery(parts: WriteParts): (Named & { values: unknown[] }) | null {
  let mask = 0;
  const values: unknown[] = [];
  FRAGMENTS.forEach((f, i) => {
    const data = parts[f.part] ?? null;
    if (data === null) return;
    mask |= 1 << i;
    if (typeof data === 'number') values.push(data);
    else values.push(...data);
  });
  if (mask === 0) return null;
  let named = cache.get(mask);
  if (named === undefined) {
    const pieces: string[] = [];
    let next = 1;
    FRAGMENTS.forEach((f, i) => {
      if ((mask & (1 << i)) === 0) return;
      const base = next;
      pieces.push(f.sql((k) => `$${base + k}`));
      next += f.arity;
    });
    const text = pieces.length === 1
      ? pieces[0]!
      : `WITH ${pieces.map((sql, i) => `w${i} AS (${sql})`).join(',\n')}\nSELECT 1`;
    named = { name: `jobs_write_${mask}`, text };
    cache.set(mask, named);
  }
  return { ...named, values };
}
