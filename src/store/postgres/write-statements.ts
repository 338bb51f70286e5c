/**
 * The statements that write a batch. Rows travel as column arrays through `unnest` (their blobs
 * end to end in one binary parameter, see rowsFrom), so a batch of any size is one fixed,
 * prepared statement; the parts a batch needs (updates, inserts,
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

/** A column of a part's rows: its name and PostgreSQL type; `bytea` ones travel in the blob. */
type Column = readonly [name: string, type: string];

/**
 * The rows of a part as a subquery over its column arrays. Blob columns arrive as an offset and a
 * length (null: no value) into the statement's one binary parameter, `blob`: node-postgres sends a
 * bytea[] as hex text, which it builds on the main thread and PostgreSQL parses back character by
 * character (array_in, hex decoding): more than half of the database's CPU with 10 KiB jobs.
 */
function rowsFrom(columns: readonly Column[], p: (i: number) => string, blob: string): string {
  const params: string[] = [];
  const aliases: string[] = [];
  const exprs: string[] = [];
  for (const [name, type] of columns) {
    if (type === 'bytea') {
      params.push(`${p(params.length)}::integer[]`, `${p(params.length + 1)}::integer[]`);
      aliases.push(`${name}_at`, `${name}_len`);
      exprs.push(`CASE WHEN u.${name}_len IS NULL THEN NULL ELSE substring(${blob} FROM u.${name}_at FOR u.${name}_len) END AS ${name}`);
    } else {
      params.push(`${p(params.length)}::${type}[]`);
      aliases.push(name);
      exprs.push(`u.${name}`);
    }
  }
  return `(SELECT ${exprs.join(', ')} FROM unnest(${params.join(', ')}) AS u(${aliases.join(', ')}))`;
}

/** In the order UpdateRounds (batch-plan.ts) lays out an update row. */
export const UPDATE_COLUMNS: readonly Column[] = [
  ['id', 'bigint'], ['state', 'smallint'], ['pin', 'boolean'], ['started_at', 'bigint'], ['finished_at', 'bigint'],
  ['attempts', 'integer'], ['retries', 'integer'], ['worker', 'text'], ['numerator', 'text'], ['denominator', 'text'],
  ['result', 'bytea'], ['result_size', 'bigint'], ['error', 'bytea'], ['outcome', 'text'], ['warnings', 'integer'],
  ['data_chunks', 'bigint'], ['due_at', 'bigint'], ['data', 'bytea'], ['data_size', 'bigint'],
];

/** In the order of JOB_COLUMNS. */
export const INSERT_COLUMNS: readonly Column[] = [
  ['id', 'bigint'], ['handle', 'text'], ['fn', 'text'], ['uniq', 'text'], ['priority', 'smallint'],
  ['background', 'boolean'], ['reducer', 'text'], ['state', 'smallint'], ['payload', 'bytea'], ['payload_size', 'bigint'],
  ['submitted_at', 'bigint'], ['due_at', 'bigint'], ['submitter', 'text'], ['started_at', 'bigint'],
  ['finished_at', 'bigint'], ['attempts', 'integer'], ['retries', 'integer'], ['worker', 'text'], ['numerator', 'text'],
  ['denominator', 'text'], ['result', 'bytea'], ['result_size', 'bigint'], ['error', 'bytea'], ['outcome', 'text'],
  ['warnings', 'integer'], ['data_chunks', 'bigint'], ['data', 'bytea'], ['data_size', 'bigint'],
];

/** Parameters a part's columns take: one per column, two per blob column. */
const paramsOf = (columns: readonly Column[]) => columns.reduce((n, [, type]) => n + (type === 'bytea' ? 2 : 1), 0);

const FRAGMENTS = [
  {
    part: 'update' as const,
    columns: UPDATE_COLUMNS,
    // A null leaves the stored value, counters add up, background only turns on, WORK_DATA appends.
    sql: (p: (i: number) => string, blob: string) => `UPDATE jobs AS j SET
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
      due_at = coalesce(d.due_at, j.due_at),
      data = CASE WHEN d.data IS NULL THEN j.data ELSE coalesce(j.data, ''::bytea) || d.data END,
      data_size = j.data_size + d.data_size
    FROM ${rowsFrom(UPDATE_COLUMNS, p, blob)} AS d
    WHERE j.id = d.id`,
  },
  {
    part: 'insert' as const,
    columns: INSERT_COLUMNS,
    sql: (p: (i: number) => string, blob: string) => `INSERT INTO jobs (${JOB_COLUMNS})
    SELECT * FROM ${rowsFrom(INSERT_COLUMNS, p, blob)} AS d`,
  },
  {
    part: 'events' as const,
    columns: [['job_id', 'bigint'], ['at', 'bigint'], ['type', 'text'], ['detail', 'text']] as readonly Column[],
    sql: (p: (i: number) => string) => `INSERT INTO job_events (job_id, at, type, detail)
    SELECT job_id, at, type, detail
    FROM unnest(${p(0)}::bigint[], ${p(1)}::bigint[], ${p(2)}::text[], ${p(3)}::text[])
      WITH ORDINALITY AS e(job_id, at, type, detail, n)
    ORDER BY n`,
  },
  {
    part: 'firings' as const,
    columns: [['schedule', 'text'], ['tick_at', 'bigint'], ['job_id', 'bigint']] as readonly Column[],
    sql: (p: (i: number) => string) => `INSERT INTO schedule_firings (schedule, tick_at, job_id)
    SELECT * FROM unnest(${p(0)}::text[], ${p(1)}::bigint[], ${p(2)}::bigint[])`,
  },
  {
    part: 'meta' as const,
    columns: [['value', 'bigint']] as readonly Column[],
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
  const blobs = new BlobParameter();
  FRAGMENTS.forEach((f, i) => {
    const data = parts[f.part] ?? null;
    if (data === null) return;
    mask |= 1 << i;
    if (typeof data === 'number') {
      values.push(data);
      return;
    }
    f.columns.forEach(([, type], c) => {
      if (type === 'bytea') values.push(...blobs.place(data[c] as (Buffer | null)[]));
      else values.push(data[c]);
    });
  });
  if (mask === 0) return null;
  const withBlobs = FRAGMENTS.some((f, i) => (mask & (1 << i)) !== 0 && f.columns.some(([, type]) => type === 'bytea'));
  if (withBlobs) values.push(blobs.bytes());
  let named = cache.get(mask);
  if (named === undefined) {
    const pieces: string[] = [];
    const blob = `$${values.length}::bytea`;
    let next = 1;
    FRAGMENTS.forEach((f, i) => {
      if ((mask & (1 << i)) === 0) return;
      const base = next;
      pieces.push(f.sql((k) => `$${base + k}`, blob));
      next += paramsOf(f.columns);
    });
    const text = pieces.length === 1
      ? pieces[0]!
      : `WITH ${pieces.map((sql, i) => `w${i} AS (${sql})`).join(',\n')}\nSELECT 1`;
    named = { name: `jobs_write_${mask}`, text };
    cache.set(mask, named);
  }
  return { ...named, values };
}

/** The blobs of one statement, laid end to end in one binary parameter. */
class BlobParameter {
  private readonly parts: Buffer[] = [];
  private size = 0;

  /** Offsets (1-based, as substring counts) and lengths of a column's blobs; null stays null. */
  place(column: (Buffer | null)[]): [(number | null)[], (number | null)[]] {
    const at: (number | null)[] = [];
    const len: (number | null)[] = [];
    for (const b of column) {
      if (b === null || b === undefined) {
        at.push(null);
        len.push(null);
        continue;
      }
      at.push(this.size + 1);
      len.push(b.length);
      this.parts.push(b);
      this.size += b.length;
    }
    return [at, len];
  }

  bytes(): Buffer {
    return this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts, this.size);
  }
}
