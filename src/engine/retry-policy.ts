/**
 * Retry policies: how often a function's jobs are tried and how long to wait between tries.
 * Back-off is a pure function of the attempt number, so it can be table-tested.
 */

export type RetryOutcome = 'fail' | 'exception' | 'timeout' | 'lost';
export const RETRY_OUTCOMES: readonly RetryOutcome[] = ['fail', 'exception', 'timeout', 'lost'];

export interface RetryPolicy {
  /** Attempts in all, the first included; 1 = never retry. */
  maxAttempts: number;
  backoff: {
    initialMs: number;
    factor: number;
    maxMs: number;
    /** 0..1: the delay is spread uniformly over ±jitter of itself. */
    jitter: number;
  };
  /** Which outcomes are retried; others end the job as gearmand would. */
  retryOn: RetryOutcome[];
  /** Also retry foreground jobs (their clients keep waiting); off by default. */
  foreground: boolean;
  /**
   * Longest an attempt may run before it is taken back as a timeout (ms), for workers that do
   * not register with CAN_DO_TIMEOUT; null = no limit. A worker's own CAN_DO_TIMEOUT wins.
   */
  timeoutMs: number | null;
}

/**
 * Delay before attempt `attempt + 1`, after `attempt` attempts (1-based):
 * initialMs × factor^(attempt-1), capped at maxMs, then spread by jitter. `random` is in [0, 1).
 */
export function backoffDelay(attempt: number, policy: RetryPolicy, random: number): number {
  const b = policy.backoff;
  const base = Math.min(b.initialMs * Math.pow(b.factor, Math.max(0, attempt - 1)), b.maxMs);
  const spread = base * b.jitter * (2 * random - 1);
  return Math.max(0, Math.round(Math.min(base + spread, b.maxMs)));
}

/** When the next attempt may start, or null when the policy has no attempts left. */
export function nextAttemptAt(now: number, attempt: number, policy: RetryPolicy, random: number): number | null {
  if (attempt >= policy.maxAttempts) return null;
  return now + backoffDelay(attempt, policy, random);
}

export class PolicyError extends Error {
  override name = 'PolicyError';
}

/**
 * Checks a policy given as JSON (config file, HTTP) and fills in defaults:
 * backoff {initialMs 1000, factor 2, maxMs 1 h, jitter 0}, retryOn all outcomes, foreground false.
 */
export function parseRetryPolicy(raw: unknown, where = 'policy'): RetryPolicy {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new PolicyError(`${where}: expected an object`);
  const o = raw as Record<string, unknown>;
  for (const k of Object.keys(o)) {
    if (!['maxAttempts', 'backoff', 'retryOn', 'foreground', 'timeoutMs'].includes(k)) throw new PolicyError(`${where}: unknown field ${JSON.stringify(k)}`);
  }
  const num = (v: unknown, name: string, dflt: number, min: number, max = Number.MAX_SAFE_INTEGER): number => {
    if (v === undefined) return dflt;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) {
      throw new PolicyError(`${where}: ${name} must be a number from ${min} to ${max}`);
    }
    return v;
  };
  const maxAttempts = num(o.maxAttempts, 'maxAttempts', 1, 1, 10000);
  if (!Number.isInteger(maxAttempts)) throw new PolicyError(`${where}: maxAttempts must be a whole number`);
  const b = (o.backoff ?? {}) as Record<string, unknown>;
  if (typeof b !== 'object' || Array.isArray(b)) throw new PolicyError(`${where}: backoff must be an object`);
  const backoff = {
    initialMs: num(b.initialMs, 'backoff.initialMs', 1000, 0),
    factor: num(b.factor, 'backoff.factor', 2, 1, 100),
    maxMs: num(b.maxMs, 'backoff.maxMs', 3600_000, 0),
    jitter: num(b.jitter, 'backoff.jitter', 0, 0, 1),
  };
  let retryOn: RetryOutcome[] = [...RETRY_OUTCOMES];
  if (o.retryOn !== undefined) {
    if (!Array.isArray(o.retryOn) || o.retryOn.some((x) => !RETRY_OUTCOMES.includes(x as RetryOutcome))) {
      throw new PolicyError(`${where}: retryOn must list some of ${RETRY_OUTCOMES.join(', ')}`);
    }
    retryOn = [...new Set(o.retryOn as RetryOutcome[])];
  }
  if (o.foreground !== undefined && typeof o.foreground !== 'boolean') throw new PolicyError(`${where}: foreground must be true or false`);
  const timeoutMs = o.timeoutMs === undefined || o.timeoutMs === null ? null : num(o.timeoutMs, 'timeoutMs', 0, 1000);
  return { maxAttempts, backoff, retryOn, foreground: o.foreground === true, timeoutMs };
}

/**
 * The reschedule convention for workers in any language: a WORK_EXCEPTION whose data starts with
 * `gearhq:reschedule ` followed by `+<seconds>`, a Unix time in seconds, or an ISO-8601 time. Returns
 * the due time in ms, or null when the data is not a reschedule request.
 */
export function parseRescheduleRequest(data: Buffer, now: number): number | null {
  const PREFIX = 'gearhq:reschedule ';
  if (data.length < PREFIX.length || data.length > 200) return null;
  const text = data.toString('latin1');
  if (!text.startsWith(PREFIX)) return null;
  const when = text.slice(PREFIX.length).trim();
  let at: number;
  if (/^\+\d+(\.\d+)?$/.test(when)) at = now + Math.round(Number(when.slice(1)) * 1000);
  else if (/^\d{1,12}$/.test(when)) at = Number(when) * 1000;
  else at = Date.parse(when);
  return Number.isFinite(at) ? at : null;
}
