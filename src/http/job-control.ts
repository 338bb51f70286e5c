/**
 * Cancelling and retrying one job: the rules POST /api/v1/jobs/{handle}/cancel and /retry apply,
 * and bulk operations apply to every job they match. Each answers what happened, or why nothing
 * did, without throwing: one job's refusal is a 409 for the single route and a `skipped` for a
 * bulk operation.
 */
import type { Engine } from '../engine/engine.js';
import { payloadText, type Job } from '../engine/job.js';
import { isFinished } from '../store/job-filter.js';
import type { JobRecord } from '../store/store.js';

export type ControlOutcome<T> = { ok: true; job: T } | { ok: false; reason: string };

/**
 * Cancels a job that has not finished: a waiting one is removed, a running one ends as cancelled
 * when its worker reports back. Refused when the engine no longer holds the job (it finished, or
 * never existed — the caller tells those apart).
 */
export function cancelJob(engine: Engine, handle: string): ControlOutcome<string> {
  if (!engine.cancel(handle)) return { ok: false, reason: `job ${handle} has already finished` };
  return { ok: true, job: handle };
}

/**
 * Runs a finished job again under its handle, from its stored record: it comes back queued with
 * its history. Refused while the job is active, when its payload was stored cut (it cannot run
 * as submitted), or when an active job holds its unique.
 */
export function retryJob(engine: Engine, rec: JobRecord): ControlOutcome<Job> {
  const handle = rec.handle;
  if (engine.jobs.has(handle)) return { ok: false, reason: `job ${handle} has not finished; nothing to retry` };
  if (!isFinished(rec.state)) return { ok: false, reason: `job ${handle} is ${rec.state}` };
  if (rec.payload.length < rec.payloadSize) {
    return { ok: false, reason: `job ${handle}'s payload was stored cut (${rec.payloadSize} bytes); it cannot run again` };
  }
  const job = engine.revive({
    id: rec.id, handle, fn: rec.fn, unique: rec.unique, payload: payloadText(rec.payload), priority: rec.priority,
    background: true, dueAt: 0, reducer: rec.reducer, submittedAt: rec.submittedAt, retries: rec.retries,
    attempts: rec.attempts,
  });
  if (job === null) return { ok: false, reason: `an active job already holds unique ${JSON.stringify(rec.unique)}` };
  return { ok: true, job };
}
