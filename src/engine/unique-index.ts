import type { FunctionQueue } from './function-queue.js';
import type { Job } from './job.js';

/**
 * Coalescing by unique id: each function indexes its active jobs by coalescing key (the unique,
 * or for `-` the workload). GET_STATUS_UNIQUE asks across functions; it is rare, so it searches
 * the functions instead of every submission paying for a second, global index.
 */
export class UniqueIndex {
  /** The active job of `fn` holding a coalescing key (see coalesceKey), if any. */
  find(fn: FunctionQueue, key: string | null): Job | undefined {
    return key === null ? undefined : fn.byKey.get(key);
  }

  /**
   * Indexes a job under its coalescing key (computed once by the caller), unless another active
   * job of its function already holds the key. `free`: the caller just found the key unheld.
   */
  add(job: Job, key: string | null, free = false): void {
    if (key !== null && (free || !job.fn.byKey.has(key))) {
      job.coalesceKey = key;
      job.fn.byKey.set(key, job);
    }
  }

  /** Out of the index: later submissions with the same unique make a new job. */
  remove(job: Job): void {
    const key = job.coalesceKey;
    if (key !== null) {
      if (job.fn.byKey.get(key) === job) job.fn.byKey.delete(key);
      job.coalesceKey = null;
    }
  }

  /**
   * The newest active job with this unique, in any function; a job cancelled while running no
   * longer counts. `-` jobs are indexed by their workload, so for `-` every active job is looked at.
   */
  byUniqueAnywhere(unique: string, functions: Iterable<FunctionQueue>, active: Iterable<Job>): Job | undefined {
    if (unique.length === 0) return undefined;
    let newest: Job | undefined;
    if (unique === '-') {
      for (const job of active) {
        if (job.unique === '-' && !job.cancelRequested && (newest === undefined || job.id > newest.id)) newest = job;
      }
      return newest;
    }
    for (const fn of functions) {
      const job = fn.byKey.get(unique);
      if (job !== undefined && (newest === undefined || job.id > newest.id)) newest = job;
    }
    return newest;
  }
}

/** The coalescing key for a unique: none for empty, the workload for `-`, else the unique. */
export function coalesceKey(unique: string, payload: string): string | null {
  if (unique.length === 0) return null;
  if (unique === '-') return payload.length === 0 ? null : '-\0' + payload;
  return unique;
}
