import type { Job } from './job.js';

/**
 * The active jobs (scheduled, queued, running), found by handle. Kept by the handle's number
 * rather than the handle string: with 100k jobs queued, string keys cost a hash of a fresh string
 * and a cache miss on each key compared, several hundred ns per operation on every submission
 * (and a Map keyed by number still half of that; an array slot costs next to nothing).
 * A handle is `<prefix>:<n>`; the number is parsed off its end and the job's own handle is
 * compared, so a handle with another prefix (say, from before the prefix was changed) still finds
 * its job only by its exact text.
 */
export class ActiveJobs {
  /** Jobs by id in pages of PAGE slots: ids are dense and mostly new, so a page fills in order. */
  private readonly pages = new Map<number, Page>();
  /** The page last used: nearly every new job and most lookups land in it. */
  private recent: Page | null = null;
  private count = 0;

  get size(): number {
    return this.count;
  }

  add(job: Job): void {
    const page = this.pageOf(job.id, true)!;
    const slot = job.id - page.first;
    if (page.jobs[slot] === undefined) {
      page.used++;
      this.count++;
    }
    page.jobs[slot] = job;
  }

  remove(job: Job): void {
    const page = this.pageOf(job.id, false);
    if (page === null) return;
    const slot = job.id - page.first;
    if (page.jobs[slot] !== job) return;
    page.jobs[slot] = undefined;
    this.count--;
    if (--page.used === 0) {
      this.pages.delete(page.first);
      if (this.recent === page) this.recent = null;
    }
  }

  get(handle: string): Job | undefined {
    const id = handleNumber(handle);
    if (id < 0) return undefined;
    const page = this.pageOf(id, false);
    const job = page === null ? undefined : page.jobs[id - page.first];
    return job !== undefined && job.handle === handle ? job : undefined;
  }

  has(handle: string): boolean {
    return this.get(handle) !== undefined;
  }

  /** Every active job, page by page (in id order within a page). */
  *values(): IterableIterator<Job> {
    for (const page of [...this.pages.values()]) {
      for (const job of page.jobs) if (job !== undefined) yield job;
    }
  }

  private pageOf(id: number, create: boolean): Page | null {
    const first = id - (id % PAGE);
    const recent = this.recent;
    if (recent !== null && recent.first === first) return recent;
    let page = this.pages.get(first) ?? null;
    if (page === null && create) {
      page = { first, jobs: new Array<Job | undefined>(PAGE).fill(undefined), used: 0 };
      this.pages.set(first, page);
    }
    if (page !== null) this.recent = page;
    return page;
  }
}

const PAGE = 1024;

interface Page {
  /** The first id this page holds. */
  readonly first: number;
  readonly jobs: (Job | undefined)[];
  used: number;
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
