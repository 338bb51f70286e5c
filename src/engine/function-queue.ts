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

  /** Takes the oldest queued job of a priority, skipping entries that are no longer queued. */
  take(priority: number): Job | undefined {
    if (this.queued[priority] === 0) return undefined;
    const q = this.queues[priority]!;
    for (;;) {
      const job = q.shift();
      if (job === undefined) return undefined;
      if (job.state === 'queued') {
        this.queued[priority]!--;
        return job;
      }
    }
  }

  /**
   * The job at the front of a priority's FIFO without taking it (stats: the oldest waiting job).
   * Read-only: entries of jobs no longer queued are stepped over, not removed (`take` removes
   * them), so the cost is the number of such entries at the front — usually none.
   */
  oldestQueued(priority: number): Job | undefined {
    if (this.queued[priority] === 0) return undefined;
    for (const job of this.queues[priority]!) if (job.state === 'queued') return job;
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
