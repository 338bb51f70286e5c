/**
 * The journal: listens to the engine's events, collapses everything that happened to each job
 * into one delta per batch, and hands batches to the store (group commit).
 *
 * What waits for the disk: only background acknowledgements. A turn that accepted a background
 * job commits synchronously-durable (`sync`) before that turn's replies are written; everything
 * else (assignments, results, foreground records) rides along with the next commit or with a
 * short timer, without fsync — losing one of those only means a job runs again (at-least-once).
 */
import type { Logger } from 'pino';
import type { Engine } from '../engine/engine.js';
import { payloadBytes, type Job } from '../engine/job.js';
import type { Session } from '../engine/session.js';
import { BlobArena, type ArenaChunks } from './blob-arena.js';
import { emptyDelta, type CommitBatch, type FiringRecord, type JobDelta, type JobEventRecord, type Store, type StoredState } from './store.js';

export interface JournalOptions {
  /** Payloads and results kept whole up to this size; larger ones keep a prefix and their size. */
  maxStoredBytes: number;
  /** Store WORK_DATA chunks (up to maxStoredBytes per job) besides counting them. */
  keepWorkData?: boolean;
  /** Longest a non-urgent change waits before it is committed. */
  lazyCommitMs: number;
  /** Commit as soon as this many jobs have pending changes. */
  maxBatchJobs: number;
  /**
   * When this many jobs have changes the store has not taken yet (a slow store falling behind),
   * ask the server to hold back new work (see BackPressure) until half of them are stored; at
   * twice as many, to stop reading from every peer. Default 20,000.
   */
  maxBacklogJobs?: number;
  /**
   * The same, counted in bytes of payloads, results and error data the journal holds for the store
   * (pending and in flight): 10 KiB jobs against a slow store would otherwise hold hundreds of MiB
   * before the job count is reached. Default 64 MiB.
   */
  maxBacklogBytes?: number;
}

/**
 * How hard the server must hold back while the store catches up. `new-work`: no new jobs are
 * taken in (peers that submit stop being read) or handed out, but workers still deliver what they
 * hold and everyone else is served, so a short fall-behind stalls nobody's running work.
 * `everything`: the backlog kept growing anyway (twice the limit); no peer is read at all.
 */
export type BackPressure = 'none' | 'new-work' | 'everything';

/** What the journal holds for the store, for metrics. */
export interface StoreBacklog {
  /** Jobs with changes the store has not stored yet (collected and in flight). */
  jobs: number;
  /** Payload, result and error bytes among them. */
  bytes: number;
  pressure: BackPressure;
  /** Times the store fell behind (back-pressure went on) since the start. */
  fellBehind: number;
}

const NO_CHUNKS: ArenaChunks = [];

/** Called after a batch that carried acknowledgements was stored (ok) or refused (error). */
export type CommitListener = (batchNo: number, error: Error | null) => void;

export class Journal {
  private deltas = new Map<number, JobDelta>();
  private events: JobEventRecord[] = [];
  private firings: FiringRecord[] = [];
  private urgent = false;
  private lazyTimer: ReturnType<typeof setTimeout> | null = null;
  /** Number of the batch being collected; acknowledgements register against it. */
  batchNo = 1;
  private readonly listeners: CommitListener[] = [];
  private readonly unsubscribe: (() => void)[] = [];
  /** Jobs whose insert is in the batch being collected and must be withdrawn if it fails. */
  private pendingInserts: Job[] = [];
  private inFlight: Promise<void> | null = null;
  /** What the server is asked to hold back because the store fell behind. */
  private pressure: BackPressure = 'none';
  private fellBehind = 0;
  /** Jobs in the batch in flight. */
  private inFlightJobs = 0;
  /** WORK_DATA kept so far per active job (bytes), against the cap. */
  private readonly dataKept = new Map<number, number>();
  /**
   * WORK_DATA chunks per job since the batch being collected began, appended to its delta's `data`
   * when the batch is made (by job, not by delta: a refused batch's delta merged with a newer one
   * gets them after its own, in order).
   */
  private dataParts = new Map<number, Buffer[]>();
  /** Told when the back-pressure changes: the store fell behind, further behind, caught up. */
  onBackPressure: ((pressure: BackPressure) => void) | null = null;
  private readonly maxBacklog: number;
  private readonly maxBacklogBytes: number;
  /** Payload/result/error bytes in the changes being collected, and in the batch in flight. */
  private pendingBytes = 0;
  private inFlightBytes = 0;
  /** A check of what is pending is queued for the end of this event-loop turn. */
  private checkQueued = false;
  private readonly check = (): void => {
    this.checkQueued = false;
    this.commitIfUrgent();
  };
  private commitAfterFlight = false;
  lastError: Error | null = null;
  /** Where the copies of large blobs go, for stores done with a batch's buffers once it is stored. */
  private readonly arena: BlobArena | null;

  constructor(
    private readonly engine: Engine,
    private readonly store: Store,
    private readonly log: Logger,
    private readonly options: JournalOptions,
  ) {
    this.maxBacklog = options.maxBacklogJobs ?? 20_000;
    this.maxBacklogBytes = options.maxBacklogBytes ?? 64 * 1024 * 1024;
    this.arena = store.capabilities.keepsBatchBuffers ? null : new BlobArena();
    const ev = engine.events;
    this.unsubscribe.push(
      ev.on('job.submitted', (job, by) => this.submitted(job, by)),
      ev.on('job.coalesced', (job, _by, background) => {
        if (background && !job.background) {
          this.delta(job).pinBackground = true;
          this.urgent = true;
        }
      }),
      ev.on('job.due', (job) => { this.delta(job).state = 'queued'; }),
      ev.on('job.assigned', (job, worker) => {
        const d = this.delta(job);
        d.state = 'running';
        d.startedAt = job.startedAt;
        d.attempts = job.attempts;
        d.worker = workerName(worker);
      }),
      ev.on('job.status', (job) => {
        const d = this.delta(job);
        d.numerator = job.numerator;
        d.denominator = job.denominator;
      }),
      ev.on('job.data', (job, kind, data) => {
        const d = this.delta(job);
        if (kind === 'data') {
          d.dataChunks++;
          d.dataSize += data.length;
          if (this.options.keepWorkData === true) this.keepData(job, data);
        } else {
          d.warnings++;
          this.event(job, 'warning', preview(data));
        }
      }),
      ev.on('job.completed', (job, result) => {
        const d = this.finished(job, 'completed');
        d.result = this.cappedCopy(result);
        d.resultSize = result.length;
        this.holdBytes(d.result.length);
      }),
      ev.on('job.failed', (job, reason, data) => {
        const d = this.finished(job, 'failed');
        d.outcome = reason;
        if (data !== null) {
          d.error = this.cappedCopy(data);
          this.holdBytes(d.error.length);
        }
      }),
      // Each names the attempt that ended and its worker: the record keeps only the last one's.
      ev.on('job.requeued', (job, reason, worker) => {
        const d = this.waiting(job);
        d.retries = job.retries;
        this.event(job, 'requeued', `${reason}${attemptOn(job, worker)}`);
      }),
      ev.on('job.retrying', (job, outcome, at, worker) => {
        const d = this.waiting(job);
        d.outcome = outcome;
        this.event(job, 'retrying', `${outcome}; attempt ${job.attempts + 1} at ${new Date(at).toISOString()}${attemptOn(job, worker)}`);
      }),
      ev.on('job.rescheduled', (job, at) => {
        const d = this.waiting(job);
        d.attempts = job.attempts;
        this.event(job, 'rescheduled', new Date(at).toISOString());
      }),
      ev.on('job.cancelled', (job) => {
        this.finished(job, 'cancelled');
        this.event(job, 'cancelled', null);
      }),
      ev.on('job.abandoned', (job) => { this.finished(job, 'abandoned'); }),
    );
  }

  backlog(): StoreBacklog {
    return { jobs: this.deltas.size + this.inFlightJobs, bytes: this.pendingBytes + this.inFlightBytes,
      pressure: this.pressure, fellBehind: this.fellBehind };
  }

  /** True when the batch being collected holds a background acknowledgement. */
  get hasUrgent(): boolean {
    return this.urgent;
  }

  /** A cron tick fired (creating `job`, or nothing when the submission was refused). */
  recordFiring(schedule: string, tickAt: number, job: Job | null): void {
    this.firings.push({ schedule, tickAt, jobId: job?.id ?? null });
    this.queueCheck();
    if (job !== null) this.event(job, 'schedule', `${schedule} ${new Date(tickAt).toISOString()}`);
    this.urgent = true;
  }

  /** The batch being collected must be committed this turn (an acknowledgement waits on it). */
  requireCommit(): void {
    this.urgent = true;
  }

  /** Calls `fn` after each batch that carried acknowledgements; returns the function that removes it. */
  onCommit(fn: CommitListener): () => void {
    this.listeners.push(fn);
    return () => {
      const i = this.listeners.indexOf(fn);
      if (i >= 0) this.listeners.splice(i, 1);
    };
  }

  /**
   * Commits what is pending if it is urgent (called once per event-loop turn, before replies are
   * written). Non-urgent changes are left for the lazy timer or a later urgent commit.
   */
  commitIfUrgent(): void {
    if (this.urgent) this.commit();
    else if (this.deltas.size >= this.options.maxBatchJobs) this.commit();
    else if ((this.deltas.size > 0 || this.events.length > 0) && this.lazyTimer === null) {
      this.lazyTimer = setTimeout(() => {
        this.lazyTimer = null;
        this.commit();
      }, this.options.lazyCommitMs);
      this.lazyTimer.unref();
    }
  }

  /**
   * Commits everything pending now. With an asynchronous store one commit runs at a time, in
   * order; what arrives meanwhile is collected and committed as the next batch.
   */
  commit(): void {
    if (this.lazyTimer !== null) {
      clearTimeout(this.lazyTimer);
      this.lazyTimer = null;
    }
    if (this.inFlight !== null) {
      this.commitAfterFlight = true;
      return;
    }
    if (this.deltas.size === 0 && this.events.length === 0 && this.firings.length === 0 && !this.urgent) return;
    this.joinPendingData();
    const batchNo = this.batchNo++;
    const batch: CommitBatch = {
      deltas: [...this.deltas.values()],
      events: this.events,
      firings: this.firings,
      sync: this.urgent,
      nextHandle: this.engine.handleCounter,
    };
    const inserted = this.pendingInserts;
    const batchBytes = this.pendingBytes;
    this.inFlightBytes = batchBytes;
    this.inFlightJobs = batch.deltas.length;
    this.pendingBytes = 0;
    this.deltas = new Map();
    this.events = [];
    this.firings = [];
    this.urgent = false;
    this.pendingInserts = [];
    const chunks = this.arena?.seal() ?? NO_CHUNKS;
    let result: void | Promise<void>;
    try {
      result = this.store.commit(batch);
    } catch (e) {
      this.failed(batchNo, batch, inserted, e as Error, batchBytes, chunks);
      return;
    }
    if (result instanceof Promise) {
      const p = result.then(() => this.succeeded(batchNo, chunks), (e: Error) => this.failed(batchNo, batch, inserted, e, batchBytes, chunks))
        .finally(() => {
          this.inFlight = null;
          if (this.commitAfterFlight || this.urgent) {
            this.commitAfterFlight = false;
            this.commit();
          }
        });
      this.inFlight = p;
    } else {
      this.succeeded(batchNo, chunks);
    }
  }

  /**
   * Commits what is pending and resolves once it is stored, or rejects with the store's error:
   * durably for acknowledgements outside the Gearman port (HTTP 201), without an fsync for reads
   * that must see the latest changes.
   */
  commitAndWait(durable = true): Promise<void> {
    if (!durable && this.deltas.size === 0 && this.events.length === 0 && this.firings.length === 0 && !this.urgent) {
      // Nothing pending: what was committed (or is being) is what a reader will see.
      return this.inFlight ?? Promise.resolve();
    }
    const batchNo = this.batchNo;
    if (durable) this.requireCommit();
    const done = new Promise<void>((resolve, reject) => {
      const off = this.onCommit((b, err) => {
        if (b < batchNo) return;
        off();
        if (err) reject(err);
        else resolve();
      });
    });
    this.commit();
    return done;
  }

  /** Commits what is pending and waits for it (shutdown). */
  async drain(): Promise<void> {
    this.commit();
    while (this.inFlight !== null) {
      await this.inFlight;
      this.commit();
    }
  }

  stop(): void {
    for (const u of this.unsubscribe) u();
    if (this.lazyTimer !== null) clearTimeout(this.lazyTimer);
    this.lazyTimer = null;
  }

  private succeeded(batchNo: number, chunks: ArenaChunks): void {
    this.arena?.release(chunks);
    this.inFlightBytes = 0;
    this.inFlightJobs = 0;
    if (this.lastError !== null) {
      this.log.info('store writable again');
      this.lastError = null;
    }
    if (this.pressure !== 'none' && this.deltas.size < this.maxBacklog / 2 && this.pendingBytes < this.maxBacklogBytes / 2) {
      this.pressure = 'none';
      this.log.info('the store caught up; taking new work again');
      this.onBackPressure?.('none');
    }
    for (const l of [...this.listeners]) l(batchNo, null);
  }

  private failed(batchNo: number, batch: CommitBatch, inserted: Job[], error: Error, batchBytes: number, chunks: ArenaChunks): void {
    // The batch's changes are collected again below, with the bytes they point into.
    this.arena?.reclaim(chunks);
    // The batch's changes come back into the pending ones below (an estimate: withdrawn jobs'
    // bytes stay counted until the next commit).
    this.inFlightBytes = 0;
    this.inFlightJobs = 0;
    this.pendingBytes += batchBytes;
    if (this.lastError === null) this.log.error({ err: error }, 'store commit failed; refusing new background jobs');
    this.lastError = error;
    // Nothing of the batch was stored: withdraw the jobs whose acknowledgement was waiting on it...
    const withdrawn = new Set<number>();
    for (const job of inserted) {
      if (!job.background) continue;
      this.engine.discard(job);
      if (!job.isActive) withdrawn.add(job.id);
    }
    // ...and keep every other change (results of jobs already on record, foreground records) for
    // the next batch, so the record catches up once the store takes writes again.
    const newer = this.deltas;
    this.deltas = new Map();
    for (const d of batch.deltas) if (!withdrawn.has(d.id)) this.deltas.set(d.id, d);
    for (const [id, d] of newer) {
      const older = this.deltas.get(id);
      this.deltas.set(id, older === undefined ? d : mergeDeltas(older, d));
    }
    this.events = batch.events.filter((e) => !withdrawn.has(e.jobId)).concat(this.events);
    // A firing whose job was withdrawn did not happen: the tick fires again after a restart.
    this.firings = (batch.firings ?? []).filter((f) => f.jobId === null || !withdrawn.has(f.jobId)).concat(this.firings);
    for (const l of [...this.listeners]) l(batchNo, error);
  }

  private submitted(job: Job, by: Session | null): void {
    const d = this.newDelta(job);
    // Background jobs are stored whole (they must run after a restart); the store takes bytes.
    const text = job.background || job.payload.length <= this.options.maxStoredBytes
      ? job.payload : job.payload.slice(0, this.options.maxStoredBytes);
    const stored = this.arena?.copyLatin1(text) ?? payloadBytes(text);
    d.insert = {
      id: job.id, handle: job.handle, fn: job.fn.name, unique: job.unique, priority: job.priority,
      background: job.background, reducer: job.reducer, payload: stored, payloadSize: job.payload.length,
      submittedAt: job.submittedAt, dueAt: job.dueAt,
      submitter: by === null ? '' : by.name,
    };
    d.state = job.dueAt > 0 ? 'scheduled' : 'queued';
    this.holdBytes(stored.length);
    if (job.background) {
      this.urgent = true;
      this.pendingInserts.push(job);
    }
  }

  /**
   * A job back to waiting. The engine reports it after placing the job, so its state (queued, or
   * scheduled for its due time) and due time are simply read off it.
   */
  private waiting(job: Job): JobDelta {
    const d = this.delta(job);
    d.state = job.state;
    d.dueAt = job.dueAt;
    return d;
  }

  private finished(job: Job, state: StoredState): JobDelta {
    this.dataKept.delete(job.id);
    const d = this.delta(job);
    d.state = state;
    d.finishedAt = this.engine.clock.now();
    return d;
  }

  private event(job: Job, type: string, detail: string | null): void {
    this.events.push({ jobId: job.id, at: this.engine.clock.now(), type, detail });
    this.queueCheck();
  }

  /**
   * Every recorded change gets its commit decided at the end of the turn, whether or not any
   * connection has something to send then (a worker's WORK_COMPLETE alone produces no reply).
   */
  private queueCheck(): void {
    if (this.checkQueued) return;
    this.checkQueued = true;
    setImmediate(this.check);
  }

  /** Keeps what fits under the cap of a job's WORK_DATA, for its delta (joined at commit). */
  private keepData(job: Job, data: Buffer): void {
    const kept = this.dataKept.get(job.id) ?? 0;
    const room = this.options.maxStoredBytes - kept;
    if (room <= 0 || data.length === 0) return;
    const piece = this.copy(data, Math.min(room, data.length));
    this.dataKept.set(job.id, kept + piece.length);
    const parts = this.dataParts.get(job.id);
    if (parts === undefined) this.dataParts.set(job.id, [piece]);
    else parts.push(piece);
    this.holdBytes(piece.length);
  }

  /** The WORK_DATA chunks collected for each job, appended to its pending delta's `data`. */
  private joinPendingData(): void {
    for (const [id, parts] of this.dataParts) {
      const d = this.deltas.get(id);
      if (d !== undefined) d.data = joinData(d.data, parts);
    }
    this.dataParts = new Map();
  }

  /**
   * Results and exception data arrive as views of a socket read (see the decoder's transientData):
   * kept until the batch commits, a view would pin the whole chunk, so the journal keeps a copy.
   */
  private cappedCopy(data: Buffer): Buffer {
    return this.copy(data, Math.min(data.length, this.options.maxStoredBytes));
  }

  /** A copy of the first `length` bytes, in the arena when the store lets the journal reuse them. */
  private copy(data: Buffer, length: number): Buffer {
    return this.arena?.copy(data, length) ?? Buffer.from(data.subarray(0, length));
  }

  private delta(job: Job): JobDelta {
    return this.deltas.get(job.id) ?? this.newDelta(job);
  }

  /** The delta of a job with none pending (a new job has none: one lookup less per submission). */
  private newDelta(job: Job): JobDelta {
    const d = emptyDelta(job.id);
    this.deltas.set(job.id, d);
    this.queueCheck();
    if (this.deltas.size >= this.maxBacklog) this.checkBacklog();
    return d;
  }

  /** Counts bytes the journal holds until the store has them (see maxBacklogBytes). */
  private holdBytes(n: number): void {
    this.pendingBytes += n;
    if (this.pendingBytes + this.inFlightBytes >= this.maxBacklogBytes) this.checkBacklog();
  }

  /** Raises the back-pressure to what the backlog (at or over the limit) calls for. */
  private checkBacklog(): void {
    const bytes = this.pendingBytes + this.inFlightBytes;
    const twiceOver = this.deltas.size >= 2 * this.maxBacklog || bytes >= 2 * this.maxBacklogBytes;
    const wanted: BackPressure = twiceOver ? 'everything' : 'new-work';
    if (wanted === this.pressure || this.pressure === 'everything') return;
    if (this.pressure === 'none') this.fellBehind++;
    this.pressure = wanted;
    const details = { pendingJobs: this.deltas.size, pendingBytes: this.pendingBytes, inFlightBytes: this.inFlightBytes };
    if (wanted === 'new-work') {
      this.log.warn(details, 'the store is falling behind; holding new work until it catches up');
    } else {
      this.log.warn(details, 'the store is still falling behind; pausing reads from every peer until it catches up');
    }
    this.onBackPressure?.(wanted);
  }
}

/** One delta with the changes of `older` and then `newer`, as if both had happened in one batch. */
function mergeDeltas(older: JobDelta, newer: JobDelta): JobDelta {
  const merged = { ...older };
  for (const key of Object.keys(newer) as (keyof JobDelta)[]) {
    const v = newer[key];
    if (key === 'warnings' || key === 'dataChunks' || key === 'dataSize') merged[key] = older[key] + newer[key];
    else if (key === 'data') merged.data = joinData(older.data, newer.data === null ? [] : [newer.data]);
    else if (key === 'pinBackground') merged.pinBackground = older.pinBackground || newer.pinBackground;
    else if (v !== null) (merged as Record<string, unknown>)[key] = v;
  }
  return merged;
}

/** `first` (if any) followed by `more`, as one buffer; null when there is nothing. */
function joinData(first: Buffer | null, more: Buffer[]): Buffer | null {
  const all = first === null ? more : [first, ...more];
  if (all.length === 0) return null;
  return all.length === 1 ? all[0]! : Buffer.concat(all);
}

/** ` (attempt N on <worker>)` for the attempt that just ended; '' when none did (a retry by hand). */
function attemptOn(job: Job, worker: Session | null): string {
  return attemptDetail(job.attempts, worker === null ? null : workerName(worker));
}

/** How a timeline event names an attempt and its worker (as the record keeps the worker's name). */
export function attemptDetail(attempt: number, worker: string | null): string {
  return worker === null ? '' : ` (attempt ${attempt} on ${worker})`;
}

function workerName(s: Session): string {
  return s.clientId !== '-' ? `${s.name} ${s.clientId}` : s.name;
}

/** A short readable excerpt of bytes for the timeline. */
function preview(data: Buffer): string {
  const s = data.subarray(0, 200).toString('utf8');
  return data.length > 200 ? `${s}…` : s;
}
