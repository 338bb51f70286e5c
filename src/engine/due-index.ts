import type { Clock, TimerHandle } from './clock.js';
import type { Job } from './job.js';
import { MinHeap } from './min-heap.js';

/**
 * Jobs waiting for their due time, in a heap by time, with one timer armed for the earliest:
 * waiting costs nothing until something is due. Entries left behind when a job is moved are
 * skipped when they come up.
 */
export class DueIndex {
  private readonly heap = new MinHeap<Job>();
  private timer: TimerHandle | null = null;
  private timerAt = 0;

  constructor(private readonly clock: Clock, private readonly onDue: (job: Job) => void) {}

  add(job: Job): void {
    this.heap.push(job.dueAt, job);
    this.arm();
  }

  /** Hands every job whose time has come to `onDue`, then re-arms for the next one. */
  release(): void {
    const now = this.clock.now();
    for (;;) {
      const at = this.heap.peekKey();
      if (at === undefined || at > now) break;
      const job = this.heap.pop()!;
      // Entries left behind by a reschedule: the job moved on, or is due later now.
      if (job.state !== 'scheduled' || job.dueAt > now) continue;
      this.onDue(job);
    }
    this.arm();
  }

  private arm(): void {
    const next = this.heap.peekKey();
    if (next === undefined) return;
    if (this.timer !== null) {
      if (this.timerAt <= next) return;
      this.clock.clearTimer(this.timer);
    }
    this.timerAt = next;
    this.timer = this.clock.setTimer(() => {
      this.timer = null;
      this.release();
    }, Math.max(0, next - this.clock.now()));
  }
}
