/**
 * Pieces every driver shares for the read side: cursors, retention cut-offs, handle parsing.
 */
import type { JobPage, JobRecord, RetentionRules, StoredState } from './store.js';

export const FINISHED_STATES = ['completed', 'failed', 'cancelled', 'abandoned'] as const;
export type FinishedState = (typeof FINISHED_STATES)[number];

/** Cursors are opaque to callers: the id to continue below, in base 36. */
export function encodeCursor(id: number): string {
  return id.toString(36);
}

/**
 * A page from a query that asked for `limit + 1` rows, newest first: the extra row only says
 * there is more, and the cursor continues below the last job shown.
 */
export function pageOf<R>(rows: R[], limit: number, toRecord: (row: R) => JobRecord): JobPage {
  const jobs = rows.slice(0, limit).map(toRecord);
  return { jobs, nextCursor: rows.length > limit ? encodeCursor(jobs[jobs.length - 1]!.id) : null };
}

export function decodeCursor(cursor: string | null | undefined): number | null {
  if (cursor === null || cursor === undefined || cursor === '') return null;
  if (!/^[0-9a-z]{1,12}$/.test(cursor)) throw new RangeError(`invalid cursor ${JSON.stringify(cursor)}`);
  return parseInt(cursor, 36);
}

/** The id inside a handle `<prefix>:<n>`, or null when it has none. */
export function handleId(handle: string): number | null {
  const m = /:(\d{1,15})$/.exec(handle);
  return m === null ? null : Number(m[1]);
}

/** What one step of retention deletes: jobs finished in `state` before `cutoff`. */
export interface RetentionStep {
  state: FinishedState;
  /** null = every function without an override (those in `except`). */
  fn: string | null;
  except: string[];
  cutoff: number;
}

/** For each end state, the functions with their own keep time and the default for the rest. */
export function retentionPlan(rules: RetentionRules, now: number): RetentionStep[] {
  const plan = [];
  for (const state of FINISHED_STATES) {
    const overrides = Object.entries(rules.byFunction).filter(([, r]) => r[state] !== undefined);
    const keep = rules.keepMs[state];
    if (keep !== undefined) {
      plan.push({ state, fn: null, except: overrides.map(([f]) => f), cutoff: now - keep });
    }
    for (const [fn, r] of overrides) plan.push({ state, fn, except: [], cutoff: now - r[state]! });
  }
  return plan;
}

export function isFinished(state: StoredState): boolean {
  return (FINISHED_STATES as readonly string[]).includes(state);
}
