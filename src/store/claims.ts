/**
 * Claims: taking queued jobs straight from a store that several server processes share, so that
 * a worker on one node can run a job submitted on another. Only stores that declare the `claims`
 * capability offer it (the cluster work builds on it); a single-process store leaves assignment
 * to the engine's in-memory queues.
 */
import type { Store, StoreCapabilities, StoredJob } from './store.js';

export interface ClaimCapabilities extends StoreCapabilities {
  /** The store offers `claimNext` (see JobClaims). */
  readonly claims: true;
}

export interface JobClaims {
  /**
   * Atomically moves up to `limit` jobs of the given functions that are queued, or scheduled and
   * due by the store's own clock, to running for `worker`: best priority first, then oldest id.
   * Each claimed job's attempts go up by one and its start time is the store's clock. Concurrent
   * callers — other connections, other processes — never receive the same job; a job another
   * caller is claiming at that moment is skipped, not waited for, so while many callers race a
   * call may return fewer jobs than are claimable (never one twice); calling again gets the rest.
   * Returns the claimed jobs in claim order (priority, then id).
   */
  claimNext(fns: readonly string[], limit: number, worker: string): Promise<StoredJob[]>;
}

/** The store's claims when its capabilities declare them, else null. */
export function jobClaims(store: Store): JobClaims | null {
  const caps = store.capabilities as Partial<ClaimCapabilities>;
  if (caps.claims !== true) return null;
  const candidate = store as Store & Partial<JobClaims>;
  if (typeof candidate.claimNext !== 'function') {
    throw new TypeError(`store ${store.name} declares claims but has no claimNext`);
  }
  return candidate as Store & JobClaims;
}
