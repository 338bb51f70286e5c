/**
 * The storage seam. The engine's changes reach a store only through the journal, which hands
 * each driver one `CommitBatch` per group commit; each driver (memory, sqlite, later postgres)
 * declares what it can do through `capabilities`, and callers check capabilities, never names.
 */

export const JOB_STATES = ['scheduled', 'queued', 'running', 'completed', 'failed', 'cancelled', 'abandoned'] as const;
export type StoredState = (typeof JOB_STATES)[number];
/** Each state's number in the SQL drivers' `state` column (its index in JOB_STATES; <= 2 is active). */
export const STATE_CODE = new Map<StoredState, number>(JOB_STATES.map((s, i) => [s, i]));

export interface StoreCapabilities {
  /** Jobs survive a restart of the process. */
  readonly durable: boolean;
  /** Several server processes may share the store. */
  readonly multiNode: boolean;
  /**
   * The store keeps the buffers of a batch (payloads, results, error data) as they are, after its
   * commit returned or resolved. If not, the journal reuses their memory for later batches (see
   * blob-arena.ts).
   */
  readonly keepsBatchBuffers: boolean;
}

/** A new job's record. */
export interface NewJobRecord {
  id: number;
  handle: string;
  fn: string;
  unique: string;
  priority: 0 | 1 | 2;
  background: boolean;
  reducer: string;
  /** Stored bytes (may be a prefix of the payload, see payloadSize). */
  payload: Buffer;
  payloadSize: number;
  submittedAt: number;
  dueAt: number;
  submitter: string;
}

/**
 * Everything that happened to one job within one batch, collapsed: a job submitted, started and
 * finished in the same batch is one insert carrying its final state.
 */
export interface JobDelta {
  id: number;
  insert: NewJobRecord | null;
  state: StoredState | null;
  /** Make the record background (a background submission joined a foreground job). */
  pinBackground: boolean;
  startedAt: number | null;
  finishedAt: number | null;
  /** A new due time (a retry or reschedule). */
  dueAt: number | null;
  attempts: number | null;
  retries: number | null;
  worker: string | null;
  numerator: string | null;
  denominator: string | null;
  result: Buffer | null;
  resultSize: number | null;
  /** Failure or exception data. */
  error: Buffer | null;
  outcome: string | null;
  warnings: number;
  dataChunks: number;
  /** WORK_DATA bytes to append to the record's (stored only when the journal keeps them). */
  data: Buffer | null;
  /** WORK_DATA bytes received (kept or not), to add to the record's count. */
  dataSize: number;
}

/** A delta for job `id` that changes nothing yet. */
export function emptyDelta(id: number): JobDelta {
  return {
    id, insert: null, state: null, pinBackground: false, startedAt: null, finishedAt: null, dueAt: null,
    attempts: null, retries: null, worker: null, numerator: null, denominator: null, result: null,
    resultSize: null, error: null, outcome: null, warnings: 0, dataChunks: 0, data: null, dataSize: 0,
  };
}

/** One timeline entry that the job row's own columns do not tell. */
export interface JobEventRecord {
  jobId: number;
  at: number;
  type: string;
  detail: string | null;
}

/** A cron schedule's tick, stored in the same batch as the job it created (or none). */
export interface FiringRecord {
  schedule: string;
  tickAt: number;
  jobId: number | null;
}

export interface CommitBatch {
  deltas: JobDelta[];
  events: JobEventRecord[];
  /** Optional: cron firings (absent means none). */
  firings?: FiringRecord[];
  /** Must be on disk before returning (a background acknowledgement waits for it). */
  sync: boolean;
  /** The engine's next handle number, so handles stay unique across restarts. */
  nextHandle: number;
}

/** A job as a store hands it back at start-up, to be put back into the engine. */
export interface StoredJob {
  id: number;
  handle: string;
  fn: string;
  unique: string;
  payload: Buffer;
  priority: 0 | 1 | 2;
  background: boolean;
  reducer: string;
  state: StoredState;
  dueAt: number;
  submittedAt: number;
  attempts: number;
  retries: number;
}

export interface Store extends StoreQueries, RollupStore {
  readonly name: string;
  readonly capabilities: StoreCapabilities;
  open(): Promise<void>;
  /** Jobs that were scheduled, queued or running when the store was last used, in submission order. */
  loadActive(): Promise<StoredJob[]>;
  /**
   * The same jobs, streamed to `visit` (start-up with a big backlog): each state's jobs in id
   * order, scheduled then queued then running. Returns how many.
   */
  eachActive(visit: (job: StoredJob) => void): Promise<number>;
  /** The next job handle number to issue. */
  nextHandleNumber(): Promise<number>;
  /** The latest stored tick of each cron schedule (ms), so a restart resumes after it. */
  lastFirings(): Promise<Record<string, number>>;
  /**
   * Server settings changed at run time (retry policies, paused functions, schedules made through
   * the API), as JSON text by key; `null` removes a key. Written at once, durably.
   */
  putSetting(key: string, value: string | null): Promise<void>;
  loadSettings(): Promise<Record<string, string>>;
  /**
   * Applies one batch atomically. Synchronous drivers return nothing; asynchronous ones a promise.
   * The batch's buffers are the driver's to read until then; it copies what it keeps, unless its
   * capabilities say it keeps them.
   * Throws (or rejects) when the batch could not be stored; nothing of it is then applied.
   */
  commit(batch: CommitBatch): void | Promise<void>;
  /** Bytes the store's files take on this machine's disk, by part (drivers with local files only). */
  diskUsage?(): Record<string, number>;
  close(): Promise<void>;
}

/** A job's whole record, as lookups return it. */
export interface JobRecord {
  id: number;
  handle: string;
  fn: string;
  unique: string;
  priority: 0 | 1 | 2;
  background: boolean;
  reducer: string;
  state: StoredState;
  payload: Buffer;
  payloadSize: number;
  submittedAt: number;
  dueAt: number;
  submitter: string;
  startedAt: number | null;
  finishedAt: number | null;
  attempts: number;
  retries: number;
  worker: string | null;
  numerator: string | null;
  denominator: string | null;
  result: Buffer | null;
  resultSize: number | null;
  error: Buffer | null;
  outcome: string | null;
  warnings: number;
  dataChunks: number;
  /** The WORK_DATA workers sent, in order, when kept (--keep-work-data; a prefix past the cap). */
  data: Buffer | null;
  /** WORK_DATA bytes workers sent in all (kept or not). */
  dataSize: number;
}

export interface JobFilter {
  fn?: string;
  state?: StoredState;
  unique?: string;
  /** Submitted at or after (ms). */
  since?: number;
  /** Submitted before (ms). */
  until?: number;
  limit: number;
  /** From a previous page's `nextCursor`. */
  cursor?: string | null;
  /** Bytes that must occur in the payload, result or error (a scan: bound it with minId). */
  text?: Buffer;
  /** Only jobs with an id at least this (bounds a text scan to a window of ids). */
  minId?: number;
}

/** What countJobs takes: a listing's filters without paging or text (a text count is a scan). */
export type JobCountFilter = Omit<JobFilter, 'limit' | 'text' | 'minId'>;

export interface JobPage {
  /** Newest first. */
  jobs: JobRecord[];
  nextCursor: string | null;
}

/** How long finished jobs are kept (ms), per end state, with per-function overrides. */
export interface RetentionRules {
  keepMs: Partial<Record<'completed' | 'failed' | 'cancelled' | 'abandoned', number>>;
  byFunction: Record<string, Partial<Record<'completed' | 'failed' | 'cancelled' | 'abandoned', number>>>;
  /** Most finished jobs kept in all; the oldest go first. 0 = no cap. */
  maxFinishedJobs: number;
}

/** The read side and upkeep every driver offers besides commit/recovery. */
export interface StoreQueries {
  findJob(handle: string): Promise<JobRecord | null>;
  /** Jobs with this unique, newest first. */
  findByUnique(unique: string, limit: number): Promise<JobRecord[]>;
  listJobs(filter: JobFilter): Promise<JobPage>;
  /** How many jobs listJobs would walk through for these filters (below `cursor`, if given), from indexes. */
  countJobs(filter: JobCountFilter): Promise<number>;
  jobEvents(id: number): Promise<JobEventRecord[]>;
  /** Deletes at most `limit` finished jobs that the rules no longer keep; returns how many. */
  prune(rules: RetentionRules, now: number, limit: number): Promise<number>;
}

/** Percentiles of one minute's durations, ms (null when nothing was observed). */
export interface RollupPercentiles {
  p50: number | null;
  p95: number | null;
  p99: number | null;
  count: number;
}

/**
 * One function's stats for one minute, written by the roll-up writer so charts cover days and
 * survive restarts. Rows are appended, never updated: a minute may have more than one row for a
 * function (several nodes on one store, or a restart within the minute) — counts then add up.
 */
/** How many jobs of a function did what, over some span of time. */
export interface JobCounts {
  submitted: number;
  completed: number;
  failed: number;
  exceptions: number;
  retried: number;
  cancelled: number;
}

export interface RollupRecord extends JobCounts {
  /** The function's name as the engine has it (wire bytes as latin1, like JobRecord.fn). */
  fn: string;
  /** Start of the minute, ms since the epoch. */
  at: number;
  wait: RollupPercentiles;
  runtime: RollupPercentiles;
  timeToCompletion: RollupPercentiles;
  /** Gauges when the row was written, just after the minute ended. */
  queued: number;
  running: number;
  workers: number;
}

export interface RollupFilter {
  /** One function, or all. */
  fn: string | null;
  /** Minutes starting at or after (ms). */
  since: number;
  /** Minutes starting before (ms). */
  until: number;
  limit: number;
}

/** Minute roll-ups of the stats engine. */
export interface RollupStore {
  rollupsAppend(rows: readonly RollupRecord[]): Promise<void>;
  /** Rows in the range, oldest minute first (then by function), at most `limit`. */
  rollupsRange(filter: RollupFilter): Promise<RollupRecord[]>;
  /** Deletes at most `limit` rows of minutes before `before`; returns how many. */
  rollupsPrune(before: number, limit: number): Promise<number>;
  /**
   * Deletes at most `limit` cron firings older than each schedule's newest `keep` (the scheduler
   * needs the newest; the rest is history); returns how many.
   */
  firingsPrune(keep: number, limit: number): Promise<number>;
}
