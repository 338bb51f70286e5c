import { Fifo } from './fifo.js';
import type { Job } from './job.js';
import type { Session } from './session.js';
import type { RetryPolicy } from './retry-policy.js';

/**
 * One function's jobs and workers: a FIFO per priority, the coalescing index, the registered
 * worker sessions in a circle for wake-ups, and the counters `status` reports.
 */
export class FunctionQueue {
  /** HIGH, NORMAL, LOW. Entries whose job is no longer queued are skipped when taken. */
  readonly queues: [Fifo<Job>, Fifo<Job>, Fifo<Job>] = [new Fifo(), new Fifo(), new Fifo()];
  /** Live queued counts per priority (the FIFOs may hold cancelled entries). */
  readonly queued: [number, number, number] = [0, 0, 0];
  /** Jobs waiting for their due time, per priority. */
  readonly scheduledByPriority: [number, number, number] = [0, 0, 0];
  running = 0;
  /** Active jobs by coalescing key (unique, or `-` + workload). */
  readonly byKey = new Map<string, Job>();
  /** Worker registrations, one per session that can do this function. */
  readonly workers: Session[] = [];
  /** Where the next wake-up walk starts, so `-w N` spreads NOOPs across workers. */
  wakeHead = 0;
  /** Max-queue limits per priority; 0 = unlimited. */
  readonly maxQueue: [number, number, number] = [0, 0, 0];
  paused = false;
  /** This function's retry policy; null = the server default. */
  policy: RetryPolicy | null = null;

  constructor(readonly name: string) {}

  /** Jobs the function holds: queued, scheduled and running (what `status` calls total). */
  get total(): number {
    return this.queuedTotal + this.scheduled + this.running;
  }

  get scheduled(): number {
    const s = this.scheduledByPriority;
    return s[0] + s[1] + s[2];
  }

  get queuedTotal(): number {
    return this.queued[0] + this.queued[1] + this.queued[2];
  }

  /**
   * Takes the oldest queued job of a priority, skipping stale entries: those of jobs no longer
   * queued, and old places of jobs queued again since (see Job.fifoEntries).
   */
  take(priority: number): Job | undefined {
    if (this.queued[priority] === 0) return undefined;
    const q = this.queues[priority]!;
    for (;;) {
      const job = q.shift();
      if (job === undefined) return undefined;
      job.fifoEntries--;
      if (job.state === 'queued' && job.fifoEntries === 0) {
        this.queued[priority]!--;
        return job;
      }
    }
  }

  /** Appends a job at the back of its priority's FIFO (the caller counts and marks it queued). */
  push(job: Job): void {
    this.queues[job.priority]!.push(job);
    job.fifoEntries++;
  }

  /**
   * The queued jobs of a priority, front to back, each once at its place (stats, forecasts,
   * listings; not for the hot path). Read-only: stale entries are stepped over, not removed.
   */
  *waiting(priority: number): IterableIterator<Job> {
    let seen: Map<Job, number> | null = null;
    for (const job of this.queues[priority]!) {
      if (job.state !== 'queued') continue;
      if (job.fifoEntries > 1) {
        seen ??= new Map();
        const n = (seen.get(job) ?? 0) + 1;
        seen.set(job, n);
        if (n < job.fifoEntries) continue; // an older place; its newest entry comes later
      }
      yield job;
    }
  }

  /**
   * The job at the front of a priority's FIFO without taking it (stats: the oldest waiting job).
   * The cost is the number of stale entries at the front — usually none.
   */
  oldestQueued(priority: number): Job | undefined {
    if (this.queued[priority] === 0) return undefined;
    for (const job of this.waiting(priority)) return job;
    return undefined;
  }

  addWorker(session: Session): void {
    this.workers.push(session);
  }

  removeWorker(session: Session): void {
    const i = this.workers.indexOf(session);
    if (i < 0) return;
    this.workers.splice(i, 1);
    if (this.wakeHead > i) this.wakeHead--;
    if (this.wakeHead >= this.workers.length) this.wakeHead = 0;
  }
}
