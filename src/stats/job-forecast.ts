/**
 * When will a queued job start? Its place among its function's waiting jobs — every queued job of
 * a higher priority, then those ahead of it in its own priority's FIFO, the order workers are
 * served in — and the function's current service rate from the stats engine.
 *
 * Cost: the higher priorities are counters (O(1)); the place in its own FIFO is a walk from the
 * front to the job, stepping over entries of jobs no longer queued — O(jobs ahead of it), done
 * only when someone asks, on engine memory (about 20 ns an entry: 2 ms for 100,000 ahead). The
 * walk stops after POSITION_SCAN_LIMIT entries; beyond that the answer says `exact: false` and
 * `ahead` is a lower bound.
 *
 * It is a forecast at today's conditions: jobs of a higher priority submitted later go first, a
 * paused function or one without workers has no start time, and the rate is the last minute's
 * finishes over the time covered — so it reads low (the start late) for a while after start-up or
 * after an idle spell, until a minute of steady work fills the window.
 */
import type { Job } from '../engine/job.js';
import type { ServiceRate } from './stats-types.js';

/** FIFO entries one position lookup walks at most. */
export const POSITION_SCAN_LIMIT = 100_000;

export interface JobPosition {
  /** Queued jobs that will be handed out before this one. */
  ahead: number;
  /** False when the walk stopped at its limit: `ahead` is then at least this. */
  exact: boolean;
}

export interface JobStartForecast extends JobPosition {
  /** 1 = the next job of its function a worker takes. */
  position: number;
  /** When it should start (ms since the epoch); null without a service rate. */
  startsAt: number | null;
  /** What the estimate rests on. */
  basis: ServiceRate | null;
}

/** Where a queued job stands in its function's queue; null when it is not queued. */
export function jobPosition(job: Job, scanLimit = POSITION_SCAN_LIMIT): JobPosition | null {
  if (job.state !== 'queued') return null;
  const fn = job.fn;
  let ahead = 0;
  for (let p = 0; p < job.priority; p++) ahead += fn.queued[p]!;
  let scanned = 0;
  for (const entry of fn.waiting(job.priority)) {
    if (entry === job) return { ahead, exact: true };
    if (++scanned > scanLimit) return { ahead, exact: false };
    ahead++;
  }
  // Not in its FIFO: cannot happen for a queued job; say so rather than guess.
  return { ahead, exact: false };
}

/**
 * The forecast for a queued job (null for any other state). With every worker busy the job starts
 * once `ahead + 1` jobs have finished; idle workers take that many off at once.
 */
export function forecastJobStart(job: Job, rate: ServiceRate | null, now: number, scanLimit = POSITION_SCAN_LIMIT): JobStartForecast | null {
  const pos = jobPosition(job, scanLimit);
  if (pos === null) return null;
  let startsAt: number | null = null;
  if (rate !== null && rate.perSecond !== null) {
    const idle = Math.max(0, rate.workers - rate.running);
    const finishesNeeded = Math.max(0, pos.ahead + 1 - idle);
    startsAt = Math.round(now + (finishesNeeded / rate.perSecond) * 1000);
  }
  return { ...pos, position: pos.ahead + 1, startsAt, basis: rate };
}
