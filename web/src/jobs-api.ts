/**
 * What the jobs and job pages know about the API's jobs: the JSON of one job (src/http/job-view.ts),
 * the filter GET /api/v1/jobs and POST /api/v1/jobs/bulk take, and links to one job.
 */
import { withQuery } from './api';
import type { Bytes } from './format';

export interface TimelineEvent {
  at: string | null;
  type: string;
  detail: string | null;
}

/** One job as GET /api/v1/jobs[/{handle}] answers (recordView / liveView in job-view.ts). */
export interface JobView {
  handle: string;
  function: string;
  unique: string;
  priority: 'high' | 'normal' | 'low';
  background: boolean;
  state: string;
  submittedAt: string | null;
  dueAt: string | null;
  startedAt: string | null;
  finishedAt: string | null;
  attempts: number;
  retries: number;
  worker: string | null;
  submitter: string | null;
  progress: { numerator: number; denominator: number };
  payload: Bytes | null;
  result: Bytes | null;
  error: Bytes | null;
  outcome: string | null;
  warnings: number;
  dataChunks: number;
  /** The WORK_DATA workers sent, when the server keeps it (--keep-work-data). */
  data: Bytes | null;
  events: TimelineEvent[];
  /** One job only (GET /api/v1/jobs/{handle}): where a queued job stands; null in other states. */
  forecast?: StartForecast | null;
}

/** `forecast` of a queued job (src/stats/job-forecast.ts, schema in src/http/schemas.ts). */
export interface StartForecast {
  /** 1 = the next job of its function a worker takes. */
  position: number;
  /** Queued jobs handed out before it (a lower bound when not exact). */
  ahead: number;
  exact: boolean;
  /** Null while the function is not being served. */
  startsAt: string | null;
  basis: {
    perSecond: number | null;
    reason: 'paused' | 'no-workers' | 'no-recent-finishes' | null;
    workers: number;
    running: number;
    seconds: number;
  } | null;
}

export const JOB_STATES = ['scheduled', 'queued', 'running', 'completed', 'failed', 'cancelled', 'abandoned'] as const;
export const ACTIVE_STATES: readonly string[] = ['scheduled', 'queued', 'running'];

/** The filter fields, as URL query parameters and as the API's names (they are the same). */
export const FILTER_KEYS = ['function', 'state', 'unique', 'q', 'since', 'until'] as const;
export type FilterKey = (typeof FILTER_KEYS)[number];
export type JobFilter = Partial<Record<FilterKey, string>>;

export function filterFromQuery(q: URLSearchParams): JobFilter {
  const f: JobFilter = {};
  for (const k of FILTER_KEYS) {
    const v = q.get(k);
    if (v) f[k] = v;
  }
  return f;
}

export const DEFAULT_PAGE_SIZE = 50;

/** What /jobs?… asks for: the filter, the cursor (null = newest) and the page size. */
export function pageFromQuery(q: URLSearchParams): { filter: JobFilter; cursor: string | null; limit: number } {
  const asked = Number(q.get('limit'));
  const limit = Number.isInteger(asked) && asked >= 1 && asked <= 1000 ? asked : DEFAULT_PAGE_SIZE;
  return { filter: filterFromQuery(q), cursor: q.get('cursor') || null, limit };
}

/** GET /api/v1/jobs for one request of a page. */
export function jobsListPath(filter: JobFilter, cursor: string | null, limit: number): string {
  return withQuery('/api/v1/jobs', { ...filter, cursor, limit });
}

/** The filter as one line a person reads ("function = resize, state = failed"), for confirmations. */
export function describeFilter(f: JobFilter): string {
  const parts: string[] = [];
  if (f.function) parts.push(`function = ${f.function}`);
  if (f.state) parts.push(`state = ${f.state}`);
  if (f.unique) parts.push(`unique = ${f.unique}`);
  if (f.q) parts.push(`text contains "${f.q}"`);
  if (f.since) parts.push(`submitted since ${f.since}`);
  if (f.until) parts.push(`submitted before ${f.until}`);
  return parts.length ? parts.join(', ') : 'no filter (every job)';
}

/** `/jobs/<handle>`: colons stay readable, anything else unsafe in a path is escaped. */
export function jobHref(handle: string): string {
  return `/jobs/${encodeURIComponent(handle).replace(/%3A/gi, ':')}`;
}

export function jobApiPath(handle: string): string {
  return `/api/v1/jobs/${encodeURIComponent(handle)}`;
}

/**
 * Handles are `<prefix>:<number>` (H:host:42). Text shaped like that is looked up as a handle
 * first; when no such job exists it is searched for as text.
 */
export function looksLikeHandle(text: string): boolean {
  return /^\S+:\d{1,15}$/.test(text.trim());
}
