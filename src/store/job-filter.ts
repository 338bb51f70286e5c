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

/** What one step of retention deletes: jobs finished in `state` from `from` to before `cutoff`. */
export interface RetentionStep {
  state: FinishedState;
  /** null = every function without an override (those in `except`). */
  fn: string | null;
  except: string[];
  /** Jobs finished before this were dealt with by an earlier pass (0: none was). */
  from: number;
  cutoff: number;
}

/** For each end state, the functions with their own keep time and the default for the rest. */
export function retentionPlan(rules: RetentionRules, now: number): RetentionStep[] {
  const plan = [];
  for (const state of FINISHED_STATES) {
    const overrides = Object.entries(rules.byFunction).filter(([, r]) => r[state] !== undefined);
    const keep = rules.keepMs[state];
    if (keep !== undefined) {
      plan.push({ state, fn: null, except: overrides.map(([f]) => f), from: 0, cutoff: now - keep });
    }
    for (const [fn, r] of overrides) plan.push({ state, fn, except: [], from: 0, cutoff: now - r[state]! });
  }
  return plan;
}

/** How often every step reads from the oldest finished job again (ms); see RetentionFloors. */
const FLOORS_RESET_MS = 60 * 60_000;

/**
 * Where each retention step can start reading. A step reads the finished jobs of its state by
 * finishing time and keeps those of the functions it does not cover: with a function kept 90 days
 * among others kept 7, every pass would walk all of its jobs between the two cut-offs (220 ms per
 * million in SQLite, every 5 s), and a function kept one hour walks everyone else's week. Once a
 * step has read all it covers up to its cut-off, nothing older is left for it, so the next pass
 * starts there; one that took all it was allowed to goes on from the last job it took. Jobs
 * finish at the clock's present, far past any cut-off; every FLOORS_RESET_MS (or if the clock goes
 * back) the steps read from the start again, for anything that did not. So the whole walk happens
 * on the first passes after a start and once an hour, not every 5 s.
 */
export class RetentionFloors {
  private readonly floors = new Map<string, number>();
  private since = 0;
  /** How far each step of the pass under way got, applied once its deletes are stored. */
  private pending: [key: string, at: number][] = [];

  /** The plan with each step's `from` (and a new pass: what an unstored one got is forgotten). */
  plan(rules: RetentionRules, now: number): RetentionStep[] {
    this.pending = [];
    if (now - this.since >= FLOORS_RESET_MS || now < this.since) {
      this.floors.clear();
      this.since = now;
    }
    return retentionPlan(rules, now).map((step) => ({ ...step, from: this.floors.get(stepKey(step)) ?? 0 }));
  }

  /**
   * `step` took `taken` jobs of the `allowed`, the last finished at `lastFinishedAt`. With room
   * left it dealt with everything it covers up to its cut-off; having filled its share, the rest of
   * its backlog starts at the last job it took.
   */
  took(step: RetentionStep, taken: number, allowed: number, lastFinishedAt: number): void {
    const at = taken < allowed ? step.cutoff : lastFinishedAt;
    this.pending.push([stepKey(step), Math.max(at, step.from)]);
  }

  /** The pass's deletes are stored: the next pass starts where its steps got. */
  stored(): void {
    for (const [key, at] of this.pending) this.floors.set(key, at);
    this.pending = [];
  }
}

function stepKey(step: RetentionStep): string {
  return [step.state, step.fn ?? '', ...step.except].join('\0');
}

export function isFinished(state: StoredState): boolean {
  return (FINISHED_STATES as readonly string[]).includes(state);
}
