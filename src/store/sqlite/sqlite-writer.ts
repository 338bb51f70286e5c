/**
 * Everything that writes to the SQLite file: batches (one transaction each) and retention
 * deletes, on the main thread. A writer thread was tried and measured: on two cores its extra
 * hop and message copies cost more CPU than the inserts it moved (bg submit 66-78k/s with the
 * thread vs 67-90k/s inline, server CPU 1.7-2.0 vs 1.1-1.4 s per 100k jobs). Tried again with
 * batches sent as transferred bytes instead of cloned objects, several batches in flight and one
 * fdatasync per group on the thread: still 65-83k/s, both threads half idle, because the clients
 * wait for every acknowledgement and the hop adds to that wait. Making the fsync asynchronous on
 * the main thread (synchronous=NORMAL plus an fdatasync of the WAL on libuv's pool) gained
 * nothing either: the main thread is busy with the inserts, not waiting for the disk (measured
 * twice, the second time at 110k jobs/s: 109.9k vs 109.1k). A thread for only the batches no
 * acknowledgement waits for (foreground records, results), the urgent ones staying inline, was
 * tried too: fg 10 KiB +8%, but fg 100 B -10% and drain -12% (structured clones and a third busy
 * thread on two cores). With checkpoints on their own thread, a writer thread for only the large
 * batches (256 KiB of blobs or more, so small ones stay inline) gained nothing either: fg 10 KiB
 * 7.4-7.9k vs 7.1-8.1k jobs/s; the machine is CPU-bound, and moving work does not shrink it.
 *
 * Where foreground 10 KiB jobs spent it (perf, 20 KiB of payload and result per row): 41% of
 * samples were the kernel copying the checkpoint's pages into new page-cache pages of the growing
 * database file; checkpoints now run on a thread of their own (checkpointer.ts), and payloads and
 * results of 4 KiB or more are no longer in the rows at all (blob-segments.ts).
 */
import type Database from 'better-sqlite3';
import { FINISHED_STATES, RetentionFloors, type RetentionStep } from '../job-filter.js';
import { STATE_CODE, type CommitBatch, type JobDelta, type RetentionRules } from '../store.js';
import { EXTERNAL_PAYLOAD, EXTERNAL_RESULT, type PlacedBlobs } from './external-blobs.js';
import { uniqueKey, type UniqueBlockFilters } from './unique-key.js';

/**
 * Columns of a plain new job (only submitted so far, no reducer, no due time: the common insert;
 * the others take their defaults), and rows per multi-row INSERT.
 */
const NEW_JOB_COLUMNS = 'id, handle, fn, uniq, uniq_key, priority, background, state, payload, payload_size, submitted_at, submitter';
const NEW_JOB_PARAMS = columnCount(NEW_JOB_COLUMNS);
const ROWS_PER_INSERT = 32;
/** Every column of a job record, for a job inserted with more than its submission. */
const ALL_JOB_COLUMNS = `id, handle, fn, uniq, uniq_key, priority, background, reducer, state, payload, payload_size,
  submitted_at, due_at, submitter, started_at, finished_at, attempts, retries, worker, numerator, denominator, result,
  result_size, error, outcome, warnings, data_chunks, data, data_size, external, blob_segment`;

/** What the cap on finished jobs reads. */
export const CAP_QUERIES = {
  /** Over the partial index of finished jobs, its entries only: ~25 ms per million. */
  countFinished: 'SELECT count(*) FROM jobs WHERE state > 2',
  /** The oldest jobs in one end state, through the (state, id) index: reads only what it returns. */
  oldestInState: 'SELECT id FROM jobs WHERE state = ? ORDER BY id LIMIT ?',
};

/** State codes of the end states, whose jobs retention may delete. */
const FINISHED_CODES = FINISHED_STATES.map((s) => STATE_CODE.get(s)!);
/**
 * The count of finished jobs the cap is checked against is kept up to date by commits and deletes,
 * and counted afresh this often (ms): a job retried by hand after it finished is counted again when
 * it finishes again, so the running count can drift up a little.
 */
const RECOUNT_FINISHED_MS = 10 * 60_000;
/** Index entries a retention step reads per pass at most (see boundedStep): ~5-15 ms of walking. */
const WALK_PER_PASS = 20_000;

export class SqliteWriter {
  private readonly stmts: ReturnType<SqliteWriter['prepare']>;
  private syncMode: 'FULL' | 'NORMAL' | null = null;
  private readonly floors = new RetentionFloors();
  /** Finished jobs on record (see RECOUNT_FINISHED_MS); null: not counted yet. */
  private finishedJobs: number | null = null;
  private finishedCountedAt = 0;

  /** `uniques` learns the key of every job inserted with a unique. */
  constructor(
    private readonly db: Database.Database,
    private readonly durability: 'fsync' | 'os',
    private readonly uniques: UniqueBlockFilters | null = null,
  ) {
    this.stmts = this.prepare(db);
  }

  private prepare(db: Database.Database) {
    return {
      // Positional parameters: binding an object per row costs more than the insert itself.
      insert: db.prepare(`INSERT INTO jobs (${ALL_JOB_COLUMNS}) VALUES (${placeholders(columnCount(ALL_JOB_COLUMNS))})`),
      // A plain new job binds 12 values instead of 27, and 32 such rows go in one statement: about
      // a quarter less CPU per inserted row (3.1 vs 4.5 µs in a microbenchmark; each value left to
      // its default saves ~0.1 µs more, binding is half the cost).
      insertNew: db.prepare(`INSERT INTO jobs (${NEW_JOB_COLUMNS}) VALUES (${placeholders(NEW_JOB_PARAMS)})`),
      insertNewMany: db.prepare(`INSERT INTO jobs (${NEW_JOB_COLUMNS}) VALUES
        ${Array.from({ length: ROWS_PER_INSERT }, () => `(${placeholders(NEW_JOB_PARAMS)})`).join(', ')}`),
      // WORK_DATA is appended: `data || ?` is null when either side is, and then coalesce keeps the
      // old bytes (nothing new) or takes the new (nothing yet); `||` makes text, hence the cast.
      update: db.prepare(`UPDATE jobs SET
          state = coalesce(?, state),
          background = max(background, ?),
          started_at = coalesce(?, started_at),
          finished_at = coalesce(?, finished_at),
          due_at = coalesce(?, due_at),
          attempts = coalesce(?, attempts),
          retries = coalesce(?, retries),
          worker = coalesce(?, worker),
          numerator = coalesce(?, numerator),
          denominator = coalesce(?, denominator),
          result = coalesce(?, result),
          external = (external & ~?) | ?,
          blob_segment = coalesce(blob_segment, ?),
          result_size = coalesce(?, result_size),
          error = coalesce(?, error),
          outcome = coalesce(?, outcome),
          warnings = warnings + ?,
          data_chunks = data_chunks + ?,
          data = CAST(coalesce(data || ?, data, ?) AS BLOB),
          data_size = data_size + ?
        WHERE id = ?`),
      event: db.prepare('INSERT INTO job_events (job_id, at, type, detail) VALUES (?, ?, ?, ?)'),
      firing: db.prepare('INSERT INTO schedule_firings (schedule, tick_at, job_id) VALUES (?, ?, ?)'),
      // The handle counter only moves forward, even if a batch carries a lower one.
      raiseMeta: db.prepare(`INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE
        SET value = excluded.value WHERE CAST(excluded.value AS INTEGER) > CAST(meta.value AS INTEGER)`),
      deleteJob: db.prepare('DELETE FROM jobs WHERE id = ?'),
      deleteEvents: db.prepare('DELETE FROM job_events WHERE job_id = ?'),
      countFinished: db.prepare(CAP_QUERIES.countFinished).pluck(),
      // The finishing time WALK_PER_PASS entries into a state's finished jobs (the index alone).
      walkBound: db.prepare(`SELECT finished_at FROM jobs WHERE state > 2 AND state = ? AND finished_at >= ? AND finished_at < ?
        ORDER BY finished_at LIMIT 1 OFFSET ?`).pluck(),
      oldestInState: db.prepare(CAP_QUERIES.oldestInState).pluck(),
    };
  }

  /**
   * Runs writes outside a batch with their commit fsync'd, whatever the durability: run-time
   * settings, and rows a segment's deletion must not outlive (compaction).
   */
  durably(work: () => void): void {
    this.setSyncMode('FULL');
    work();
  }

  /** Applies a batch; `placed` has the references of its blobs written to segments, by delta. */
  commit(batch: CommitBatch, placed: PlacedBlobs | null = null): void {
    const db = this.db;
    this.setSyncMode(batch.sync && this.durability === 'fsync' ? 'FULL' : 'NORMAL');
    const s = this.stmts;
    let finishes = 0;
    const write = db.transaction(() => {
      // Plain new jobs are held back and written 32 to a statement, but never past another delta
      // (a batch may carry several deltas for one job, in order).
      const fresh: unknown[] = [];
      const writeFresh = (): void => {
        for (let i = 0; i < fresh.length; i += NEW_JOB_PARAMS) s.insertNew.run(...fresh.slice(i, i + NEW_JOB_PARAMS));
        fresh.length = 0;
      };
      for (let i = 0; i < batch.deltas.length; i++) {
        const d = batch.deltas[i]!;
        const e = placed?.get(i);
        if (e === undefined && isPlainNewJob(d)) {
          const n = d.insert!;
          fresh.push(n.id, n.handle, n.fn, n.unique, this.keyOf(n.id, n.unique), n.priority, n.background ? 1 : 0,
            STATE_CODE.get(d.state ?? 'queued')!, n.payload, n.payloadSize, n.submittedAt, n.submitter);
          if (fresh.length === NEW_JOB_PARAMS * ROWS_PER_INSERT) {
            // Spread, not the array: better-sqlite3 reads arguments faster than array elements
            // (2.8 vs 3.1 µs per row in a microbenchmark).
            s.insertNewMany.run(...fresh);
            fresh.length = 0;
          }
          continue;
        }
        writeFresh();
        if (d.finishedAt !== null) finishes++;
        const payloadRef = e?.payload ?? null;
        const resultRef = e?.result ?? null;
        const external = (payloadRef !== null ? EXTERNAL_PAYLOAD : 0) | (resultRef !== null ? EXTERNAL_RESULT : 0);
        if (d.insert !== null) {
          const n = d.insert;
          s.insert.run(n.id, n.handle, n.fn, n.unique, this.keyOf(n.id, n.unique), n.priority, n.background || d.pinBackground ? 1 : 0,
            n.reducer, STATE_CODE.get(d.state ?? 'queued')!, payloadRef ?? n.payload, n.payloadSize, n.submittedAt, d.dueAt ?? n.dueAt,
            n.submitter, d.startedAt, d.finishedAt, d.attempts ?? 0, d.retries ?? 0, d.worker, d.numerator,
            d.denominator, resultRef ?? d.result, d.resultSize, d.error, d.outcome, d.warnings, d.dataChunks, d.data, d.dataSize,
            external, e?.segment ?? null);
        } else {
          // A new result replaces the old one whichever way each is kept, so its flag is set anew.
          s.update.run(d.state === null ? null : STATE_CODE.get(d.state)!, d.pinBackground ? 1 : 0, d.startedAt,
            d.finishedAt, d.dueAt, d.attempts, d.retries, d.worker, d.numerator, d.denominator, resultRef ?? d.result,
            d.result !== null ? EXTERNAL_RESULT : 0, external, e?.segment ?? null, d.resultSize,
            d.error, d.outcome, d.warnings, d.dataChunks, d.data, d.data, d.dataSize, d.id);
        }
      }
      writeFresh();
      for (const e of batch.events) s.event.run(e.jobId, e.at, e.type, e.detail);
      for (const f of batch.firings ?? []) s.firing.run(f.schedule, f.tickAt, f.jobId);
      s.raiseMeta.run('next_handle', String(batch.nextHandle));
    });
    this.changingFinished(write);
    if (this.finishedJobs !== null) this.finishedJobs += finishes;
  }

  /** A new job's unique key, noted by the filters (a batch that fails leaves a bit: harmless). */
  private keyOf(id: number, unique: string): number | null {
    const key = uniqueKey(id, unique);
    if (key !== null) this.uniques?.add(key);
    return key;
  }

  prune(rules: RetentionRules, now: number, limit: number): number {
    const db = this.db;
    const ids: number[] = [];
    for (const planned of this.floors.plan(rules, now)) {
      const room = limit - ids.length;
      if (room <= 0) break;
      const step = this.boundedStep(planned);
      const q = retentionStepQuery(step);
      const found = db.prepare(q.sql).raw().all(...q.params, room) as [id: number, finishedAt: number][];
      for (const [id] of found) ids.push(id);
      this.floors.took(step, found.length, room, found.at(-1)?.[1] ?? 0);
    }
    const unique = [...new Set(ids)];
    const finished = rules.maxFinishedJobs > 0 ? this.countFinished(now) : 0;
    const deleteJobs = db.transaction(() => {
      for (const id of unique) {
        this.stmts.deleteJob.run(id);
        this.stmts.deleteEvents.run(id);
      }
      // The cap counts what the time rules left, so it never takes more than it must.
      if (rules.maxFinishedJobs > 0 && unique.length < limit) {
        const over = finished - unique.length - rules.maxFinishedJobs;
        for (const id of this.oldestFinished(Math.min(over, limit - unique.length))) {
          this.stmts.deleteJob.run(id);
          this.stmts.deleteEvents.run(id);
          unique.push(id);
        }
      }
    });
    this.changingFinished(deleteJobs);
    if (this.finishedJobs !== null) this.finishedJobs -= unique.length;
    this.floors.stored();
    return unique.length;
  }

  /**
   * The step, cut off after WALK_PER_PASS entries of its state's finished jobs from its floor:
   * among jobs of functions it does not cover (kept longer), it would otherwise read up to all of
   * them in one pass, ~220 ms per million with the event loop stalled. The next pass goes on from
   * where this one got (RetentionFloors.took).
   */
  private boundedStep(step: RetentionStep): RetentionStep {
    const bound = this.stmts.walkBound.get(STATE_CODE.get(step.state), step.from, step.cutoff, WALK_PER_PASS - 1) as number | undefined;
    // Past WALK_PER_PASS jobs finished in the same millisecond the bound would not move: read on.
    return bound === undefined || bound <= step.from ? step : { ...step, cutoff: bound };
  }

  /**
   * Finished jobs on record: counted over their index the first time and every
   * RECOUNT_FINISHED_MS, kept up to date by commits and deletes in between. Finding the newest jobs
   * beyond the cap instead (an OFFSET of a million over jobs sorted by id) took ~450 ms per pass.
   */
  private countFinished(now: number): number {
    if (this.finishedJobs === null || now - this.finishedCountedAt >= RECOUNT_FINISHED_MS || now < this.finishedCountedAt) {
      this.finishedJobs = this.stmts.countFinished.get() as number;
      this.finishedCountedAt = now;
    }
    return this.finishedJobs;
  }

  private setSyncMode(mode: 'FULL' | 'NORMAL'): void {
    if (mode === this.syncMode) return;
    this.db.pragma(`synchronous = ${mode}`);
    this.syncMode = mode;
  }

  /** Runs a transaction that changes the finished jobs; if it fails, their count is not known. */
  private changingFinished(transaction: () => void): void {
    try {
      transaction();
    } catch (e) {
      this.finishedJobs = null;
      throw e;
    }
  }

  /** The `n` finished jobs with the lowest ids: the oldest of each end state, merged. */
  private oldestFinished(n: number): number[] {
    if (n <= 0) return [];
    const ids: number[] = [];
    for (const code of FINISHED_CODES) ids.push(...(this.stmts.oldestInState.all(code, n) as number[]));
    return ids.sort((a, b) => a - b).slice(0, n);
  }
}

/**
 * The finished jobs one retention step deletes, oldest first (the row limit is the last parameter,
 * bound by the caller). `state > 2` spelled out lets SQLite use the index of finished jobs by state
 * and finishing time, so only the rows due are read, not every finished job of that state: that
 * scan stalled the server ~45 ms per 100k kept jobs, every pass. Reading from the step's floor
 * (see RetentionFloors) skips what other functions keep longer.
 */
export function retentionStepQuery(step: RetentionStep): { sql: string; params: unknown[] } {
  const conds = ['state > 2', 'state = ?', 'finished_at >= ?', 'finished_at < ?'];
  const params: unknown[] = [STATE_CODE.get(step.state), step.from, step.cutoff];
  if (step.fn !== null) { conds.push('fn = ?'); params.push(step.fn); }
  if (step.except.length > 0) {
    conds.push(`fn NOT IN (${step.except.map(() => '?').join(',')})`);
    params.push(...step.except);
  }
  return { sql: `SELECT id, finished_at FROM jobs WHERE ${conds.join(' AND ')} ORDER BY finished_at LIMIT ?`, params };
}

/**
 * The delta of a plain new job (see NEW_JOB_COLUMNS): submitted in this batch without a reducer or
 * a due time, and changed in no other way since.
 */
function isPlainNewJob(d: JobDelta): boolean {
  return d.insert !== null && d.insert.reducer === '' && d.insert.dueAt === 0 && !d.pinBackground && d.dueAt === null
    && d.startedAt === null && d.finishedAt === null && d.attempts === null && d.retries === null && d.worker === null
    && d.numerator === null && d.denominator === null && d.result === null && d.resultSize === null && d.error === null
    && d.outcome === null && d.warnings === 0 && d.dataChunks === 0;
}

function columnCount(columns: string): number {
  return columns.split(',').length;
}

function placeholders(n: number): string {
  return Array.from({ length: n }, () => '?').join(', ');
}
