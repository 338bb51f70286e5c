/**
 * What the stats engine reports, per function and over a sliding window: the contract between the
 * stats engine (src/stats/), the HTTP API (/api/v1/stats), the CLI and the alert rules.
 */
import type { JobCounts } from '../store/store.js';

export type StatsWindow = '1m' | '5m' | '1h';
export const STATS_WINDOWS: readonly StatsWindow[] = ['1m', '5m', '1h'];

export interface Percentiles {
  /** Milliseconds; null when nothing was observed in the window. */
  p50: number | null;
  p95: number | null;
  p99: number | null;
  count: number;
}

/** Counts are within the window. */
export interface FunctionStats extends JobCounts {
  function: string;
  /** Completions per second over the window. */
  throughput: number;
  /** failed / (completed + failed) over the window; null when nothing finished. */
  failureRate: number | null;
  wait: Percentiles;
  runtime: Percentiles;
  timeToCompletion: Percentiles;
  /** Now (gauges). */
  queued: { high: number; normal: number; low: number };
  scheduled: number;
  running: number;
  workers: number;
  paused: boolean;
  /** Age of the oldest job waiting to run, ms; null when none waits. */
  oldestWaitingMs: number | null;
  /** When the queue would be empty at the current service rate, ms from now; null = not draining. */
  drainEtaMs: number | null;
}

export interface StatsSnapshot {
  window: StatsWindow;
  at: number;
  /**
   * Seconds the window covers (at least 1): less than the window's length just after start-up,
   * and "1m" covers 50–60 s (see stats-engine.ts). Rates are counts divided by it.
   */
  seconds: number;
  totals: Omit<FunctionStats, 'function' | 'paused' | 'oldestWaitingMs' | 'drainEtaMs'>;
  functions: FunctionStats[];
}

/** How fast a function's queue is served now: the basis of the drain and job-start forecasts. */
export interface ServiceRate {
  /** Jobs finished (completed or failed) per second over the last minute; null = not being served. */
  perSecond: number | null;
  /** Why there is no rate; null when there is one. */
  reason: 'paused' | 'no-workers' | 'no-recent-finishes' | null;
  workers: number;
  running: number;
  /** Seconds the rate is measured over: the 1m window (50–60 s), less just after start-up. */
  seconds: number;
}

/** What consumers (HTTP, alerts) need from the stats engine. */
export interface StatsSource {
  snapshot(window: StatsWindow): StatsSnapshot;
  /** A function's current service rate (by wire name); sources without it give no job-start times. */
  serviceRate?(fn: string): ServiceRate;
}
