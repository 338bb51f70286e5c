import { decodeCursor, handleId, isFinished, pageOf, retentionPlan } from '../job-filter.js';
import type {
  CommitBatch, JobCountFilter, JobEventRecord, JobFilter, JobPage, JobRecord, RetentionRules, RollupFilter, RollupRecord,
  Store, StoreCapabilities, StoredJob,
} from '../store.js';
import { ROLLUP_KEEP_MS } from '../retention-pruner.js';

/**
 * The gearmand-like store: nothing survives a restart. It keeps records in memory with the same
 * semantics as the durable drivers (the conformance suite runs it too), so a server without a
 * disk can still answer lookups for as long as it runs.
 */
export class MemoryStore implements Store {
  readonly name = 'memory';
  readonly capabilities: StoreCapabilities = { durable: false, multiNode: false, keepsBatchBuffers: true };
  /** By id, kept in id order (see commit). */
  private readonly jobs = new Map<number, JobRecord>();
  /** The highest id ever inserted. */
  private topId = 0;
  private readonly events = new Map<number, JobEventRecord[]>();
  private nextHandle = 1;
  /** Tick times per schedule, ascending. */
  private readonly firings = new Map<string, number[]>();
  private readonly settings = new Map<string, string>();
  /** Roll-ups in the order appended (minutes mostly ascending). */
  private rollups: RollupRecord[] = [];

  async open(): Promise<void> {}

  async eachActive(visit: (job: StoredJob) => void): Promise<number> {
    const jobs = await this.loadActive();
    for (const state of ['scheduled', 'queued', 'running'] as const) {
      for (const job of jobs) if (job.state === state) visit(job);
    }
    return jobs.length;
  }

  async loadActive(): Promise<StoredJob[]> {
    const out: StoredJob[] = [];
    for (const r of this.jobs.values()) {
      if (r.state === 'scheduled' || r.state === 'queued' || r.state === 'running') {
        out.push({
          id: r.id, handle: r.handle, fn: r.fn, unique: r.unique, payload: r.payload, priority: r.priority,
          background: r.background, reducer: r.reducer, state: r.state, dueAt: r.dueAt,
          submittedAt: r.submittedAt, attempts: r.attempts, retries: r.retries,
        });
      }
    }
    return out;
  }

  async nextHandleNumber(): Promise<number> {
    let max = 0;
    for (const id of this.jobs.keys()) if (id > max) max = id;
    return Math.max(this.nextHandle, max + 1);
  }

  commit(batch: CommitBatch): void {
    // All or nothing, like the durable drivers: refuse the whole batch before changing anything.
    const inserting = new Set<number>();
    let outOfOrder = false;
    let top = this.topId;
    for (const d of batch.deltas) {
      if (d.insert === null) continue;
      if (this.jobs.has(d.id) || inserting.has(d.id)) throw new Error(`job ${d.id} is already stored`);
      inserting.add(d.id);
      if (d.id < top) outOfOrder = true;
      else top = d.id;
    }
    for (const d of batch.deltas) {
      let r = this.jobs.get(d.id);
      if (d.insert !== null) {
        const n = d.insert;
        r = {
          id: n.id, handle: n.handle, fn: n.fn, unique: n.unique, priority: n.priority, background: n.background,
          reducer: n.reducer, state: 'queued', payload: n.payload, payloadSize: n.payloadSize,
          submittedAt: n.submittedAt, dueAt: n.dueAt, submitter: n.submitter, startedAt: null, finishedAt: null,
          attempts: 0, retries: 0, worker: null, numerator: null, denominator: null, result: null,
          resultSize: null, error: null, outcome: null, warnings: 0, dataChunks: 0, data: null, dataSize: 0,
        };
        this.jobs.set(d.id, r);
      }
      if (r === undefined) continue;
      if (d.state !== null) r.state = d.state;
      if (d.pinBackground) r.background = true;
      if (d.startedAt !== null) r.startedAt = d.startedAt;
      if (d.finishedAt !== null) r.finishedAt = d.finishedAt;
      if (d.dueAt !== null) r.dueAt = d.dueAt;
      if (d.attempts !== null) r.attempts = d.attempts;
      if (d.retries !== null) r.retries = d.retries;
      if (d.worker !== null) r.worker = d.worker;
      if (d.numerator !== null) r.numerator = d.numerator;
      if (d.denominator !== null) r.denominator = d.denominator;
      if (d.result !== null) r.result = d.result;
      if (d.resultSize !== null) r.resultSize = d.resultSize;
      if (d.error !== null) r.error = d.error;
      if (d.outcome !== null) r.outcome = d.outcome;
      r.warnings += d.warnings;
      r.dataChunks += d.dataChunks;
      r.dataSize += d.dataSize;
      if (d.data !== null) r.data = r.data === null ? d.data : Buffer.concat([r.data, d.data]);
    }
    for (const e of batch.events) {
      let list = this.events.get(e.jobId);
      if (list === undefined) this.events.set(e.jobId, (list = []));
      list.push(e);
    }
    if (batch.nextHandle > this.nextHandle) this.nextHandle = batch.nextHandle;
    for (const f of batch.firings ?? []) {
      let ticks = this.firings.get(f.schedule);
      if (ticks === undefined) this.firings.set(f.schedule, (ticks = []));
      if (!ticks.includes(f.tickAt)) {
        ticks.push(f.tickAt);
        ticks.sort((a, b) => a - b);
      }
    }
    this.topId = top;
    if (outOfOrder) {
      // Keep the map in id order (lookups and listings rely on it); inserts come in id order in
      // practice, so this re-sort is rare.
      const sorted = [...this.jobs.entries()].sort((a, b) => a[0] - b[0]);
      this.jobs.clear();
      for (const [id, r] of sorted) this.jobs.set(id, r);
    }
  }

  async putSetting(key: string, value: string | null): Promise<void> {
    if (value === null) this.settings.delete(key);
    else this.settings.set(key, value);
  }

  async loadSettings(): Promise<Record<string, string>> {
    return Object.fromEntries(this.settings);
  }

  async lastFirings(): Promise<Record<string, number>> {
    return Object.fromEntries([...this.firings].map(([schedule, ticks]) => [schedule, ticks[ticks.length - 1]!]));
  }

  async findJob(handle: string): Promise<JobRecord | null> {
    const id = handleId(handle);
    const r = id === null ? undefined : this.jobs.get(id);
    return r !== undefined && r.handle === handle ? { ...r } : null;
  }

  async findByUnique(unique: string, limit: number): Promise<JobRecord[]> {
    if (unique === '') return [];
    return this.newestFirst((r) => r.unique === unique, limit, null).jobs;
  }

  async listJobs(filter: JobFilter): Promise<JobPage> {
    return this.newestFirst((r) => matchesFilter(r, filter) &&
      (filter.minId === undefined || r.id >= filter.minId) &&
      (filter.text === undefined || r.payload.includes(filter.text) || (r.result?.includes(filter.text) ?? false) ||
        (r.error?.includes(filter.text) ?? false)),
    filter.limit, decodeCursor(filter.cursor));
  }

  async countJobs(filter: JobCountFilter): Promise<number> {
    const below = decodeCursor(filter.cursor);
    let n = 0;
    for (const r of this.jobs.values()) if ((below === null || r.id < below) && matchesFilter(r, filter)) n++;
    return n;
  }

  async jobEvents(id: number): Promise<JobEventRecord[]> {
    return [...(this.events.get(id) ?? [])];
  }

  async prune(rules: RetentionRules, now: number, limit: number): Promise<number> {
    const doomed = new Set<number>();
    for (const step of retentionPlan(rules, now)) {
      for (const r of this.jobs.values()) {
        if (doomed.size >= limit) break;
        if (r.state !== step.state || r.finishedAt === null || r.finishedAt >= step.cutoff) continue;
        if (step.fn !== null ? r.fn !== step.fn : step.except.includes(r.fn)) continue;
        doomed.add(r.id);
      }
    }
    if (rules.maxFinishedJobs > 0) {
      const finished = [...this.jobs.values()].filter((r) => isFinished(r.state) && !doomed.has(r.id));
      const excess = finished.length - rules.maxFinishedJobs;
      for (let i = 0; i < excess && doomed.size < limit; i++) doomed.add(finished[i]!.id);
    }
    for (const id of doomed) {
      this.jobs.delete(id);
      this.events.delete(id);
    }
    return doomed.size;
  }

  async close(): Promise<void> {}

  async rollupsAppend(rows: readonly RollupRecord[]): Promise<void> {
    for (const r of rows) this.rollups.push(structuredClone(r));
    // No retention pruner runs for a memory store: it keeps what the pruner would (ROLLUP_KEEP_MS).
    const newest = rows.reduce((m, r) => Math.max(m, r.at), -Infinity);
    if (this.rollups.length > 0 && this.rollups[0]!.at < newest - ROLLUP_KEEP_MS) {
      this.rollups = this.rollups.filter((r) => r.at >= newest - ROLLUP_KEEP_MS);
    }
  }

  async rollupsRange(filter: RollupFilter): Promise<RollupRecord[]> {
    return this.rollups
      .filter((r) => (filter.fn === null || r.fn === filter.fn) && r.at >= filter.since && r.at < filter.until)
      .sort((a, b) => a.at - b.at || (a.fn < b.fn ? -1 : a.fn > b.fn ? 1 : 0))
      .slice(0, filter.limit)
      .map((r) => structuredClone(r));
  }

  async firingsPrune(keep: number, limit: number): Promise<number> {
    let deleted = 0;
    for (const ticks of this.firings.values()) {
      const n = Math.min(Math.max(0, ticks.length - keep), limit - deleted);
      ticks.splice(0, n);
      deleted += n;
    }
    return deleted;
  }

  async rollupsPrune(before: number, limit: number): Promise<number> {
    const doomed = this.rollups.filter((r) => r.at < before).sort((a, b) => a.at - b.at).slice(0, limit);
    const gone = new Set(doomed);
    this.rollups = this.rollups.filter((r) => !gone.has(r));
    return doomed.length;
  }

  private newestFirst(match: (r: JobRecord) => boolean, limit: number, below: number | null): JobPage {
    const all = [...this.jobs.values()];
    const rows: JobRecord[] = [];
    for (let i = all.length - 1; i >= 0 && rows.length <= limit; i--) {
      const r = all[i]!;
      if (below !== null && r.id >= below) continue;
      if (match(r)) rows.push(r);
    }
    return pageOf(rows, limit, (r) => ({ ...r }));
  }
}

/** The filters listJobs and countJobs share. */
function matchesFilter(r: JobRecord, filter: JobCountFilter): boolean {
  return (filter.fn === undefined || r.fn === filter.fn) &&
    (filter.state === undefined || r.state === filter.state) &&
    (filter.unique === undefined || r.unique === filter.unique) &&
    (filter.since === undefined || r.submittedAt >= filter.since) &&
    (filter.until === undefined || r.submittedAt < filter.until);
}
