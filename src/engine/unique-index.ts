import type { FunctionQueue } from './function-queue.js';
import type { Job } from './job.js';

/**
 * The unique-id indexes: per function for coalescing (unique, or `-` keyed by the workload), and
 * across functions for GET_STATUS_UNIQUE (the newest active job; older ones with the same unique
 * in other functions come back into view when it ends).
 */
export class UniqueIndex {
  private readonly byUnique = new Map<string, Job>();
  private readonly shadowed = new Map<string, Job[]>();

  /** The active job of `fn` holding a coalescing key (see coalesceKey), if any. */
  find(fn: FunctionQueue, key: string | null): Job | undefined {
    return key === null ? undefined : fn.byKey.get(key);
  }

  /**
   * Indexes a job under its coalescing key (computed once by the caller), unless another active
   * job of its function already holds the key.
   */
  add(job: Job, key: string | null): void {
    if (key !== null && !job.fn.byKey.has(key)) {
      job.coalesceKey = key;
      job.fn.byKey.set(key, job);
    }
    if (job.unique.length > 0) {
      const prev = this.byUnique.get(job.unique);
      if (prev !== undefined && prev !== job && prev.isActive) {
        let older = this.shadowed.get(job.unique);
        if (older === undefined) this.shadowed.set(job.unique, (older = []));
        older.push(prev);
      }
      this.byUnique.set(job.unique, job);
    }
  }

  /** Out of the indexes: later submissions with the same unique make a new job. */
  remove(job: Job): void {
    const key = job.coalesceKey;
    if (key !== null) {
      if (job.fn.byKey.get(key) === job) job.fn.byKey.delete(key);
      job.coalesceKey = null;
    }
    const u = job.unique;
    if (u.length > 0 && this.byUnique.get(u) === job) {
      this.byUnique.delete(u);
      const older = this.shadowed.get(u);
      if (older !== undefined) {
        let next: Job | undefined;
        while ((next = older.pop()) !== undefined && !next.isActive);
        if (next !== undefined) this.byUnique.set(u, next);
        if (older.length === 0) this.shadowed.delete(u);
      }
    }
  }

  /** The newest active job with this unique, in any function. */
  byUniqueAnywhere(unique: string): Job | undefined {
    return unique.length > 0 ? this.byUnique.get(unique) : undefined;
  }
}

/** The coalescing key for a unique: none for empty, the workload for `-`, else the unique. */
export function coalesceKey(unique: string, payload: Buffer): string | null {
  if (unique.length === 0) return null;
  if (unique === '-') return payload.length === 0 ? null : '-\0' + payload.latin1Slice(0, payload.length);
  return unique;
}
