/**
 * Bulk cancel / retry of every job matching a filter, run on the server as a tracked operation
 * (POST /api/v1/jobs/bulk, followed through /api/v1/operations).
 *
 * An operation covers the jobs that existed when it started (ids below the handle counter then),
 * walked newest first through the same keyset listing GET /api/v1/jobs uses, in pages. It first
 * counts the matches (so a client can show a progress bar: from the store's indexes, or for a
 * text filter by a walk, since text is a scan), then walks them and applies the single-job rule
 * of POST /api/v1/jobs/{handle}/cancel or /retry to each. A job whose state changed in between is
 * skipped with the reason the single route would give as a 409. Between pages it yields to the
 * event loop, so Gearman traffic keeps flowing while a large operation runs.
 *
 * Without a `state` in the filter, cancel walks the jobs that can still be cancelled (running,
 * queued, scheduled) and retry those that did not complete through no choice of anyone's
 * (failed, abandoned); a state given must be one the action applies to.
 *
 * Operations are kept in memory only: every running one, and the last `keep` finished ones; a
 * restart forgets them (the jobs they changed keep the change, and their timelines show it).
 */
import { randomUUID } from 'node:crypto';
import type { Journal } from '../store/journal.js';
import { encodeCursor } from '../store/job-filter.js';
import type { JobRecord } from '../store/store.js';
import { ACTION_STATES, type BulkAction, type OperationState } from './bulk-actions.js';
import { cancelJob, retryJob } from './job-control.js';
import { listJobPage, type JobListSource, type JobQuery, type JobQueryInput } from './job-query.js';
import { isoTime } from './iso-time.js';

export interface OperationsOptions {
  /** Jobs per page of the walk (one store query, then a yield to the event loop). */
  pageSize: number;
  /** Finished operations kept for GET /api/v1/operations. */
  keep: number;
  /** Operations that may run at once; more are refused. */
  maxRunning: number;
  /** Skipped jobs listed with their reason, per operation. */
  skippedExamples: number;
}

export const DEFAULT_OPERATIONS: OperationsOptions = { pageSize: 500, keep: 100, maxRunning: 4, skippedExamples: 10 };

export interface Operation {
  id: string;
  action: BulkAction;
  /** The filter as the client gave it. */
  filter: JobQueryInput;
  all: boolean;
  state: OperationState;
  /** Jobs matching when the operation started (null while they are being counted). */
  total: number | null;
  /** Jobs the apply walk has reached so far: done + skipped + errors. */
  matched: number;
  done: number;
  skipped: number;
  errors: number;
  /** The first skipped jobs and why (the reason POST .../cancel or /retry would answer 409 with). */
  skippedJobs: { handle: string; reason: string }[];
  startedAt: number;
  finishedAt: number | null;
  /** Why it failed or stopped; null otherwise. */
  message: string | null;
}

export type OperationEvent = 'operation.started' | 'operation.progress' | 'operation.finished';
type Listener = (op: Readonly<Operation>, event: OperationEvent) => void;

export interface OperationSource extends JobListSource {
  journal: Journal | null;
}

export class RefusedOperation extends Error {
  override name = 'RefusedOperation';
}

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export class BulkOperations {
  private readonly ops = new Map<string, Operation>();
  private readonly runs = new Map<string, Promise<void>>();
  private readonly stopping = new Set<string>();
  private readonly listeners = new Set<Listener>();

  constructor(private readonly src: OperationSource, private readonly options: OperationsOptions = DEFAULT_OPERATIONS) {}

  /**
   * Starts an operation and returns it at once (running); the walk goes on in the background.
   * Throws RefusedOperation when too many are running.
   */
  start(action: BulkAction, query: JobQuery, filter: JobQueryInput, all: boolean): Operation {
    const running = [...this.ops.values()].filter((o) => o.state === 'running').length;
    if (running >= this.options.maxRunning) {
      throw new RefusedOperation(`${running} operations are running; wait for one to finish or stop it`);
    }
    const op: Operation = {
      id: randomUUID(), action, filter, all, state: 'running', total: null, matched: 0, done: 0, skipped: 0, errors: 0,
      skippedJobs: [], startedAt: this.src.engine.clock.now(), finishedAt: null, message: null,
    };
    this.ops.set(op.id, op);
    this.forgetOld();
    // Everything submitted from now on is beyond the operation's reach.
    const below = encodeCursor(this.src.engine.handleCounter);
    const run = this.run(op, query, below).finally(() => {
      this.runs.delete(op.id);
      this.stopping.delete(op.id);
    });
    this.runs.set(op.id, run);
    this.emit(op, 'operation.started');
    return op;
  }

  get(id: string): Operation | undefined {
    return this.ops.get(id);
  }

  /** Newest first. */
  list(): Operation[] {
    return [...this.ops.values()].reverse();
  }

  /** Asks a running operation to stop after the current page and waits until it has. */
  async stop(id: string): Promise<Operation | undefined> {
    const op = this.ops.get(id);
    if (op === undefined) return undefined;
    if (op.state === 'running') this.stopping.add(id);
    await this.runs.get(id);
    return op;
  }

  /** Stops every running operation (the server is closing). */
  async stopAll(): Promise<void> {
    for (const id of this.runs.keys()) this.stopping.add(id);
    await Promise.all(this.runs.values());
  }

  /** Calls `listener` on each start, page and end; returns the unsubscribe function. */
  onChange(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private async run(op: Operation, query: JobQuery, below: string): Promise<void> {
    const states = query.state !== undefined ? [query.state] : ACTION_STATES[op.action].byDefault;
    try {
      // The walk must see every change made before the operation started.
      await this.src.journal?.commitAndWait(false);
      let total = 0;
      for (const state of states) {
        const { text, ...indexed } = { ...query, state };
        // Without text the store counts from its indexes; a text filter is a scan, so walk it.
        if (text === undefined) total += await this.src.store.countJobs({ ...indexed, cursor: below });
        else if (!(await this.walk(op, { ...indexed, text }, below, (page) => { total += page.length; }))) return this.end(op, 'stopped');
      }
      op.total = total;
      this.emit(op, 'operation.progress');
      for (const state of states) {
        const finished = await this.walk(op, { ...query, state }, below, (page) => {
          for (const rec of page) this.apply(op, rec);
          this.emit(op, 'operation.progress');
        });
        if (!finished) return this.end(op, 'stopped');
      }
      // Jobs that came to match between the count and the walk.
      op.total = Math.max(total, op.matched);
      this.end(op, 'done');
    } catch (e) {
      this.end(op, 'failed', `the walk over the store failed: ${(e as Error).message}`);
    }
  }

  /** Visits every page of matches below `below`; false when the operation was asked to stop. */
  private async walk(op: Operation, query: JobQuery, below: string, visit: (page: JobRecord[]) => void): Promise<boolean> {
    let cursor: string | null = below;
    while (cursor !== null) {
      const page = await listJobPage(this.src, query, cursor, this.options.pageSize);
      visit(page.jobs);
      cursor = page.nextCursor;
      await nextTurn();
      if (this.stopping.has(op.id)) return false;
    }
    return true;
  }

  private apply(op: Operation, rec: JobRecord): void {
    op.matched++;
    try {
      const r = op.action === 'cancel' ? cancelJob(this.src.engine, rec.handle) : retryJob(this.src.engine, rec);
      if (r.ok) {
        op.done++;
        return;
      }
      op.skipped++;
      if (op.skippedJobs.length < this.options.skippedExamples) op.skippedJobs.push({ handle: rec.handle, reason: r.reason });
    } catch (e) {
      op.errors++;
      op.message = `${rec.handle}: ${(e as Error).message}`;
    }
  }

  private end(op: Operation, state: OperationState, message: string | null = null): void {
    op.state = state;
    op.finishedAt = this.src.engine.clock.now();
    if (message !== null) op.message = message;
    else if (state === 'stopped') op.message = 'stopped on request';
    this.emit(op, 'operation.finished');
    this.forgetOld();
  }

  private emit(op: Operation, event: OperationEvent): void {
    for (const l of this.listeners) l(op, event);
  }

  /** Drops the oldest finished operations beyond `keep`. */
  private forgetOld(): void {
    let finished = [...this.ops.values()].filter((o) => o.state !== 'running').length;
    for (const [id, o] of this.ops) {
      if (finished <= this.options.keep) break;
      if (o.state === 'running') continue;
      this.ops.delete(id);
      finished--;
    }
  }
}

/** The JSON shape of an operation (times ISO-8601). */
export function operationView(op: Readonly<Operation>) {
  return {
    id: op.id, action: op.action, filter: op.filter, all: op.all, state: op.state, total: op.total,
    matched: op.matched, done: op.done, skipped: op.skipped, errors: op.errors,
    skippedJobs: op.skippedJobs.map((s) => ({ handle: s.handle, reason: s.reason })),
    startedAt: isoTime(op.startedAt), finishedAt: isoTime(op.finishedAt), message: op.message,
  };
}

/** The function an operation is about, for the live stream's `?function=` filter; null = several. */
export function operationFunction(op: Readonly<Operation>): string | null {
  return op.filter.function ?? null;
}
