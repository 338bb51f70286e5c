import type { Job } from './job.js';

/**
 * The active jobs (scheduled, queued, running), found by handle. Keyed by the handle's number
 * rather than the handle string: with 100k jobs queued, string keys cost a hash of a fresh string
 * and a cache miss on each key compared, several hundred ns per operation on every submission.
 * A handle is `<prefix>:<n>`; the number is parsed off its end and the job's own handle is
 * compared, so a handle with another prefix (say, from before the prefix was changed) still finds
 * its job only by its exact text.
 */
export class ActiveJobs {
  private readonly byId = new Map<number, Job>();

  get size(): number {
    return this.byId.size;
  }

  add(job: Job): void {
    this.byId.set(job.id, job);
  }

  remove(job: Job): void {
    if (this.byId.get(job.id) === job) this.byId.delete(job.id);
  }

  get(handle: string): Job | undefined {
    const id = handleNumber(handle);
    if (id < 0) return undefined;
    const job = this.byId.get(id);
    return job !== undefined && job.handle === handle ? job : undefined;
  }

  has(handle: string): boolean {
    return this.get(handle) !== undefined;
  }

  values(): IterableIterator<Job> {
    return this.byId.values();
  }
}

/** The number at the end of a handle (after its last `:`), or -1 if it does not end in one. */
export function handleNumber(handle: string): number {
  let n = 0;
  let scale = 1;
  let i = handle.length - 1;
  for (; i >= 0; i--) {
    const c = handle.charCodeAt(i);
    if (c < 48 || c > 57) break;
    n += (c - 48) * scale;
    scale *= 10;
  }
  // Digits right after a ':' (or a bare number), at most 15 of them so the sum stays exact.
  const digits = handle.length - 1 - i;
  if (digits === 0 || digits > 15 || (i >= 0 && handle.charCodeAt(i) !== 58)) return -1;
  return n;
}
