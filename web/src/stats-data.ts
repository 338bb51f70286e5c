/**
 * The stats the overview and function pages read: the JSON of GET /api/v1/stats (a sliding-window
 * snapshot, src/stats/stats-types.ts), GET /api/v1/stats/history (stored minute roll-ups) and
 * GET /api/v1/functions (queues, pause state, retry policy), and the series the charts draw.
 *
 * A chart's past comes from the roll-ups, one point per minute; its present from snapshots of the
 * 1-minute window taken every few seconds while the page is open. Both are plotted at the end of
 * the span they average (a roll-up of 12:00–12:01 at 12:01), so the two join without a step.
 */
import { api, withQuery } from './api';

export const STATS_WINDOWS = ['1m', '5m', '1h'] as const;
export type StatsWindow = (typeof STATS_WINDOWS)[number];

export interface Percentiles {
  p50: number | null;
  p95: number | null;
  p99: number | null;
  count: number;
}

export interface Queued {
  high: number;
  normal: number;
  low: number;
}

export interface WindowFigures {
  submitted: number;
  completed: number;
  failed: number;
  exceptions: number;
  retried: number;
  cancelled: number;
  throughput: number;
  failureRate: number | null;
  wait: Percentiles;
  runtime: Percentiles;
  timeToCompletion: Percentiles;
  queued: Queued;
  scheduled: number;
  running: number;
  workers: number;
}

export interface FunctionStats extends WindowFigures {
  function: string;
  paused: boolean;
  oldestWaitingMs: number | null;
  drainEtaMs: number | null;
}

export interface StatsSnapshot {
  window: StatsWindow;
  at: string;
  /** Seconds the window covers; rates are counts divided by it. */
  seconds: number;
  totals: WindowFigures;
  functions: FunctionStats[];
}

export interface Rollup {
  function: string;
  at: string;
  submitted: number;
  completed: number;
  failed: number;
  wait: Percentiles;
  runtime: Percentiles;
  timeToCompletion: Percentiles;
  queued: number;
  running: number;
  workers: number;
}

export interface RetryPolicy {
  maxAttempts: number;
  backoff: { initialMs: number; factor: number; maxMs: number; jitter: number };
  retryOn: ('fail' | 'exception' | 'timeout' | 'lost')[];
  foreground: boolean;
  timeoutMs: number | null;
}

export interface FunctionView {
  name: string;
  queued: Queued;
  scheduled: number;
  running: number;
  workers: number;
  paused: boolean;
  /** The function's own policy; null = the server default (effectivePolicy) applies. */
  policy: RetryPolicy | null;
  /** What applies: its own policy, else the server's default, else null (gearmand's behaviour). */
  effectivePolicy: RetryPolicy | null;
}

export const queuedTotal = (q: Queued): number => q.high + q.normal + q.low;

export function isStatsWindow(s: string | null): s is StatsWindow {
  return s !== null && (STATS_WINDOWS as readonly string[]).includes(s);
}

/** One point of the charts: rates per second and gauges at time `t` (seconds since the epoch). */
export interface StatsPoint {
  t: number;
  submitted: number;
  completed: number;
  failed: number;
  queued: number;
  running: number;
  runtimeP50: number | null;
  runtimeP95: number | null;
  ttcP50: number | null;
  ttcP95: number | null;
}

/** A snapshot of the 1m window as a chart point (one function's row, or the totals). */
export function pointFromSnapshot(snap: StatsSnapshot, fn: string | null): StatsPoint | null {
  const f: WindowFigures | undefined = fn === null ? snap.totals : snap.functions.find((r) => r.function === fn);
  if (f === undefined) return null;
  const s = snap.seconds || 60;
  return {
    t: Date.parse(snap.at) / 1000,
    submitted: f.submitted / s,
    completed: f.completed / s,
    failed: f.failed / s,
    queued: queuedTotal(f.queued),
    running: f.running,
    runtimeP50: f.runtime.p50,
    runtimeP95: f.runtime.p95,
    ttcP50: f.timeToCompletion.p50,
    ttcP95: f.timeToCompletion.p95,
  };
}

/**
 * Minute roll-ups as chart points, one per minute from the first row on: rows of the same minute
 * (several functions, or several nodes/restarts of one) add up. A minute without a row did nothing
 * and held nothing, once it is surely written: minutes that ended before `writtenBeforeMs` are
 * drawn as zero, later ones are left to the live samples. Percentiles cannot be merged, so a minute
 * shows those of its busiest row (exact when one function is charted, as on the function page).
 */
export function pointsFromRollups(rows: Rollup[], writtenBeforeMs: number): StatsPoint[] {
  const byMinute = new Map<number, { p: StatsPoint; best: number }>();
  for (const r of rows) {
    const at = Date.parse(r.at);
    let m = byMinute.get(at);
    if (m === undefined) {
      m = { p: { t: at / 1000 + 60, submitted: 0, completed: 0, failed: 0, queued: 0, running: 0, runtimeP50: null, runtimeP95: null, ttcP50: null, ttcP95: null }, best: -1 };
      byMinute.set(at, m);
    }
    const p = m.p;
    p.submitted += r.submitted / 60;
    p.completed += r.completed / 60;
    p.failed += r.failed / 60;
    p.queued += r.queued;
    p.running += r.running;
    if (r.runtime.count > m.best) {
      m.best = r.runtime.count;
      p.runtimeP50 = r.runtime.p50;
      p.runtimeP95 = r.runtime.p95;
      p.ttcP50 = r.timeToCompletion.p50;
      p.ttcP95 = r.timeToCompletion.p95;
    }
  }
  if (byMinute.size === 0) return [];
  const minutes = [...byMinute.keys()];
  const first = Math.min(...minutes);
  const lastRow = Math.max(...minutes);
  const out: StatsPoint[] = [];
  for (let at = first; at <= lastRow || at + 60_000 <= writtenBeforeMs; at += 60_000) {
    out.push(byMinute.get(at)?.p ?? { t: at / 1000 + 60, submitted: 0, completed: 0, failed: 0, queued: 0, running: 0, runtimeP50: null, runtimeP95: null, ttcP50: null, ttcP95: null });
  }
  return out;
}

/** Most pages of roll-ups one chart load reads (10,000 rows each). */
const MAX_HISTORY_PAGES = 20;

/**
 * Every roll-up row from `sinceMs` to now, following `truncated` with further requests (rows come
 * oldest first, so a cut-off page ends inside its last minute: that minute is asked for again).
 */
export async function fetchRollups(fn: string | null, sinceMs: number, signal?: AbortSignal): Promise<Rollup[]> {
  const out: Rollup[] = [];
  let since = sinceMs;
  for (let page = 0; page < MAX_HISTORY_PAGES; page++) {
    const r = await api<{ truncated: boolean; rollups: Rollup[] }>(
      withQuery('/api/v1/stats/history', { function: fn, since: new Date(since).toISOString() }), { signal });
    if (!r.truncated || r.rollups.length === 0) {
      out.push(...r.rollups);
      return out;
    }
    const lastMinute = r.rollups[r.rollups.length - 1]!.at;
    const whole = r.rollups.filter((x) => x.at !== lastMinute);
    if (whole.length === 0) {
      // One minute holds more rows than a page: take what came rather than loop.
      out.push(...r.rollups);
      return out;
    }
    out.push(...whole);
    since = Date.parse(lastMinute);
  }
  return out;
}
