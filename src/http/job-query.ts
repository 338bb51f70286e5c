/**
 * Which jobs a request means — `function, state, unique, q, since, until`, as GET /api/v1/jobs
 * takes them and bulk operations reuse them — and one page of them from the store's keyset
 * listing (newest first, below a cursor).
 */
import type { Engine } from '../engine/engine.js';
import { decodeCursor, encodeCursor } from '../store/job-filter.js';
import { JOB_STATES, type JobFilter, type JobPage, type StoredState, type Store } from '../store/store.js';
import { ApiError } from './http-server.js';
import { toWire } from '../protocol/wire-text.js';

/** Ids one text-search request scans (newest first, below its cursor). */
export const TEXT_SCAN_WINDOW = 100_000;

/** The filter as a client sends it (query string or JSON body): text as people read it. */
export interface JobQueryInput {
  function?: string | undefined;
  state?: string | undefined;
  unique?: string | undefined;
  q?: string | undefined;
  since?: string | undefined;
  until?: string | undefined;
}

/** A checked filter in the store's terms (names as latin1 wire bytes, times in ms). */
export interface JobQuery {
  fn?: string;
  state?: StoredState;
  unique?: string;
  text?: Buffer;
  since?: number;
  until?: number;
}

export interface JobListSource {
  engine: Engine;
  store: Store;
  /** Ids one text search scans per page; default TEXT_SCAN_WINDOW. */
  textScanWindow?: number | undefined;
}

export function parseTime(text: string, field: string): number {
  const at = Date.parse(text);
  if (!Number.isFinite(at)) throw new ApiError('BAD_REQUEST', `${field} must be an ISO-8601 time, got ${JSON.stringify(text)}`);
  return at;
}

/** Checks a filter; throws ApiError BAD_REQUEST naming the field that is wrong. */
export function parseJobQuery(input: JobQueryInput): JobQuery {
  const q = input;
  if (q.state !== undefined && !(JOB_STATES as readonly string[]).includes(q.state)) {
    throw new ApiError('BAD_REQUEST', `state must be one of ${JOB_STATES.join(', ')}`);
  }
  if (q.q !== undefined && (q.q.length === 0 || q.q.length > 200)) throw new ApiError('BAD_REQUEST', 'q must be 1 to 200 characters');
  return {
    ...(q.function !== undefined ? { fn: toWire(q.function) } : {}),
    ...(q.state !== undefined ? { state: q.state as StoredState } : {}),
    ...(q.unique !== undefined ? { unique: toWire(q.unique) } : {}),
    ...(q.q !== undefined ? { text: Buffer.from(q.q, 'utf8') } : {}),
    ...(q.since !== undefined ? { since: parseTime(q.since, 'since') } : {}),
    ...(q.until !== undefined ? { until: parseTime(q.until, 'until') } : {}),
  };
}

function decodeCursorOr400(cursor: string): number {
  try {
    return decodeCursor(cursor) ?? 1;
  } catch (e) {
    throw new ApiError('BAD_REQUEST', (e as Error).message);
  }
}

/**
 * One page of matching jobs below `cursor` (null = from the newest). The caller makes pending
 * changes reach the store first (journal.commitAndWait) when it needs them.
 *
 * Text search scans payloads, results and errors: each page looks at one window of ids below the
 * cursor, so it answers in bounded time however large the history; when the window yields fewer
 * than `limit` matches, nextCursor continues below it (a page can be short, or empty, while more
 * follow). Walk until nextCursor is null to see every match.
 */
export async function listJobPage(src: JobListSource, query: JobQuery, cursor: string | null, limit: number): Promise<JobPage> {
  const { text, ...rest } = query;
  let window: { text: Buffer; minId: number } | null = null;
  if (text !== undefined) {
    const below = cursor !== null ? decodeCursorOr400(cursor) : src.engine.handleCounter;
    window = { text, minId: Math.max(1, below - (src.textScanWindow ?? TEXT_SCAN_WINDOW)) };
  }
  const filter: JobFilter = { ...rest, ...(window ?? {}), limit, cursor };
  let page: JobPage;
  try {
    page = await src.store.listJobs(filter);
  } catch (e) {
    if (e instanceof RangeError) throw new ApiError('BAD_REQUEST', e.message);
    throw e;
  }
  if (window !== null && page.nextCursor === null && window.minId > 1) return { ...page, nextCursor: encodeCursor(window.minId) };
  return page;
}
