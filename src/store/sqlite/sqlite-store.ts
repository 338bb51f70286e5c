/**
 * The default store: one SQLite file in WAL mode, written by this process only. Each batch is
 * one transaction; batches carrying background acknowledgements are fsync'd (synchronous=FULL),
 * others are not (synchronous=NORMAL: they survive a process crash, and a power cut at worst
 * re-runs jobs whose completion was not yet on disk). Payloads and results of 4 KiB or more live
 * in blob segment files beside it (blob-segments.ts), written before the rows that refer to them.
 */
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { decodeCursor, handleId, pageOf } from '../job-filter.js';
import {
  JOB_STATES, STATE_CODE, type CommitBatch, type JobCountFilter, type JobEventRecord, type JobFilter, type JobPage, type JobRecord,
  type RetentionRules, type RollupFilter, type RollupRecord, type Store, type StoredJob,
} from '../store.js';
import { rollupFromRow, rollupValues, ROLLUP_COLUMNS } from '../rollup-columns.js';
import { BlobSegments, fileSize, parseBlobRef } from './blob-segments.js';
import { Checkpointer } from './checkpointer.js';
import { blobsToPlace, EXTERNAL_PAYLOAD, EXTERNAL_RESULT, placedBlobs } from './external-blobs.js';
import { migrate } from './migrations.js';
import { SqliteWriter } from './sqlite-writer.js';
import { UNIQUE_KEY_MATCH, UniqueBlockFilters } from './unique-key.js';

export interface SqliteStoreOptions {
  dataDir: string;
  /** fsync: acknowledged jobs survive a power cut; os: they survive a process crash. */
  durability: 'fsync' | 'os';
  /** Told if checkpoints have to move back to the main thread. */
  log?: Logger;
}

export class SqliteStore implements Store {
  readonly name = 'sqlite';
  readonly capabilities = { durable: true, multiNode: false, keepsBatchBuffers: false } as const;
  private db: Database.Database | null = null;
  private stmts!: ReturnType<SqliteStore['prepare']>;
  private writer: SqliteWriter | null = null;
  private checkpointer: Checkpointer | null = null;
  private segments: BlobSegments | null = null;
  /** Which blocks of jobs may hold a unique (see UniqueBlockFilters). */
  private readonly uniques = new UniqueBlockFilters();
  /** The last commit that waits for blob writes; later commits apply after it, in order. */
  private tail: Promise<void> | null = null;
  /** The segment whose rows are being moved out (see compactOldestSegment), and the last check. */
  private compacting: number | null = null;
  private compactionChecked: { segment: number; at: number } | null = null;
  readonly path: string;

  constructor(private readonly options: SqliteStoreOptions) {
    this.path = join(options.dataDir, 'gearhq.sqlite');
  }

  async open(): Promise<void> {
    mkdirSync(this.options.dataDir, { recursive: true });
    const db = new Database(this.path);
    db.pragma('journal_mode = WAL');
    db.pragma('busy_timeout = 5000');
    migrate(db);
    const segments = new BlobSegments(join(this.options.dataDir, 'blobs'));
    segments.open();
    this.segments = segments;
    // For SQL that reads blob bytes (text search): what a reference in a column points to.
    db.function('gearhq_blob', (ref) => segments.read(ref as Buffer) ?? EMPTY);
    db.function('gearhq_blob_length', { deterministic: true }, (ref) => parseBlobRef(ref as Buffer)?.length ?? 0);
    this.db = db;
    this.stmts = this.prepare(db);
    this.startFillingUniques();
    this.writer = new SqliteWriter(db, this.options.durability, this.uniques);
    this.checkpointer = new Checkpointer(db, this.path, (err) => {
      this.options.log?.error({ err }, 'the SQLite checkpoint thread stopped; checkpoints run on the main thread from now on');
    });
  }

  private prepare(db: Database.Database) {
    return {
      getMeta: db.prepare('SELECT value FROM meta WHERE key = ?').pluck(),
      lastFirings: db.prepare('SELECT schedule, max(tick_at) AS tick FROM schedule_firings GROUP BY schedule'),
      maxId: db.prepare('SELECT max(id) FROM jobs').pluck(),
      byId: db.prepare('SELECT * FROM jobs WHERE id = ?'),
      byUnique: db.prepare(`SELECT * FROM jobs WHERE ${UNIQUE_KEY_MATCH} AND uniq = ? ORDER BY id DESC LIMIT ?`),
      events: db.prepare('SELECT job_id, at, type, detail FROM job_events WHERE job_id = ? ORDER BY rowid'),
      active: db.prepare(`SELECT id, handle, fn, uniq, payload, priority, background, reducer, state,
          due_at, submitted_at, attempts, retries, external FROM jobs WHERE state <= 2 ORDER BY id`),
      // One state at a time through the (state, id) index, rows as arrays: a million-job backlog
      // streams back in seconds without a table scan over the history.
      activeInState: db.prepare(`SELECT id, handle, fn, uniq, payload, priority, background, reducer,
          due_at, submitted_at, attempts, retries, external FROM jobs WHERE state = ? ORDER BY id`).raw(),
      // Through the index of keys alone, a chunk at a time, for the filters (see UniqueBlockFilters).
      uniqueKeysAfter: db.prepare('SELECT uniq_key FROM jobs WHERE uniq_key > ? ORDER BY uniq_key LIMIT ?').pluck(),
      minId: db.prepare('SELECT min(id) FROM jobs').pluck(),
      oldestSegmentInUse: db.prepare('SELECT min(blob_segment) FROM jobs WHERE blob_segment IS NOT NULL').pluck(),
      // Bytes a segment may still hold for its rows, from their references (a result may be in a
      // later segment: counted here too, so compaction waits a little longer, never less).
      segmentLiveBytes: db.prepare(`SELECT coalesce(sum(CASE WHEN external & ${EXTERNAL_PAYLOAD} THEN gearhq_blob_length(payload) ELSE 0 END
          + CASE WHEN external & ${EXTERNAL_RESULT} THEN gearhq_blob_length(result) ELSE 0 END), 0)
        FROM jobs WHERE blob_segment = ?`).pluck(),
      segmentRows: db.prepare('SELECT id, payload, result, external FROM jobs WHERE blob_segment = ? LIMIT ?'),
      moveBlobsIn: db.prepare('UPDATE jobs SET payload = ?, result = ?, external = 0, blob_segment = NULL WHERE id = ?'),
    };
  }

  async loadActive(): Promise<StoredJob[]> {
    const rows = this.stmts.active.all() as {
      id: number; handle: string; fn: string; uniq: string; payload: Buffer; priority: 0 | 1 | 2;
      background: number; reducer: string; state: number; due_at: number; submitted_at: number;
      attempts: number; retries: number; external: number;
    }[];
    return rows.map((r) => ({
      id: r.id, handle: r.handle, fn: r.fn, unique: r.uniq, payload: this.blob(r.payload, r.external & EXTERNAL_PAYLOAD)!, priority: r.priority,
      background: r.background === 1, reducer: r.reducer, state: JOB_STATES[r.state]!, dueAt: r.due_at,
      submittedAt: r.submitted_at, attempts: r.attempts, retries: r.retries,
    }));
  }

  async eachActive(visit: (job: StoredJob) => void): Promise<number> {
    const names = new Map<string, string>(); // one string per function name, not one per job
    let n = 0;
    for (const state of [0, 1, 2]) {
      for (const r of this.stmts.activeInState.iterate(state) as IterableIterator<unknown[]>) {
        const fnRaw = r[2] as string;
        let fn = names.get(fnRaw);
        if (fn === undefined) names.set(fnRaw, (fn = fnRaw));
        visit({
          id: r[0] as number, handle: r[1] as string, fn, unique: r[3] as string,
          payload: this.blob(r[4] as Buffer, (r[12] as number) & EXTERNAL_PAYLOAD)!,
          priority: r[5] as 0 | 1 | 2, background: r[6] === 1, reducer: r[7] as string, state: JOB_STATES[state]!,
          dueAt: r[8] as number, submittedAt: r[9] as number, attempts: r[10] as number, retries: r[11] as number,
        });
        n++;
      }
    }
    return n;
  }

  async nextHandleNumber(): Promise<number> {
    const fromMeta = Number(this.stmts.getMeta.get('next_handle') ?? 1);
    const fromRows = Number(this.stmts.maxId.get() ?? 0) + 1;
    return Math.max(fromMeta, fromRows);
  }

  /**
   * Applies the batch at once, unless it has large blobs (see external-blobs.ts): those are written
   * to a segment first, off the main thread, and the rows that refer to them committed after.
   * Batches apply in the order they were handed over either way.
   */
  commit(batch: CommitBatch): void | Promise<void> {
    const toPlace = blobsToPlace(batch);
    const sync = batch.sync && this.options.durability === 'fsync';
    if (toPlace === null && this.tail === null && !(sync && this.segments!.needsSync)) {
      this.writer!.commit(batch);
      this.checkpointer!.afterCommit();
      return;
    }
    const apply = async (): Promise<void> => {
      let placed = null;
      if (toPlace !== null) {
        const { segment, refs } = await this.segments!.append(toPlace.blobs, sync);
        placed = placedBlobs(toPlace, refs, segment);
      } else if (sync) {
        await this.segments!.sync();
      }
      this.writer!.commit(batch, placed);
      this.checkpointer!.afterCommit();
    };
    // A failed commit before this one is its caller's to handle; this one runs regardless.
    const done = (this.tail ?? Promise.resolve()).then(apply, apply);
    this.tail = done;
    const clear = (): void => {
      if (this.tail === done) this.tail = null;
    };
    done.then(clear, clear);
    return done;
  }

  /** Reads the unique keys already stored into the filters, in the background (see UniqueBlockFilters.fill). */
  private startFillingUniques(): void {
    const first = this.stmts.minId.get() as number | null;
    if (first === null) return;
    this.uniques.fill(first, this.stmts.maxId.get() as number,
      (after, limit) => this.stmts.uniqueKeysAfter.all(after, limit) as number[]);
  }

  /** Resolves once the unique filters hold every key stored before the store opened. */
  uniqueFiltersFilled(): Promise<void> {
    return this.uniques.whenFilled;
  }

  /** The database file, its WAL, and the blob segments. */
  diskUsage(): Record<string, number> {
    return { database: fileSize(this.path), wal: fileSize(`${this.path}-wal`), blobs: this.segments?.totalBytes() ?? 0 };
  }

  async putSetting(key: string, value: string | null): Promise<void> {
    const db = this.db!;
    this.writer!.durably(() => {
      if (value === null) db.prepare('DELETE FROM settings WHERE key = ?').run(key);
      else db.prepare('INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value').run(key, value);
    });
  }

  async loadSettings(): Promise<Record<string, string>> {
    const rows = this.db!.prepare('SELECT key, value FROM settings').all() as { key: string; value: string }[];
    return Object.fromEntries(rows.map((r) => [r.key, r.value]));
  }

  async lastFirings(): Promise<Record<string, number>> {
    const rows = this.stmts.lastFirings.all() as { schedule: string; tick: number }[];
    return Object.fromEntries(rows.map((r) => [r.schedule, r.tick]));
  }

  async findJob(handle: string): Promise<JobRecord | null> {
    const id = handleId(handle);
    if (id === null) return null;
    const row = this.stmts.byId.get(id) as JobRow | undefined;
    return row !== undefined && row.handle === handle ? this.toRecord(row) : null;
  }

  async findByUnique(unique: string, limit: number): Promise<JobRecord[]> {
    if (unique === '') return [];
    return (this.stmts.byUnique.all(this.uniques.keysFor(unique), unique, limit) as JobRow[]).map((r) => this.toRecord(r));
  }

  async listJobs(filter: JobFilter): Promise<JobPage> {
    const { where, params } = whereOf(filter, this.uniques);
    if (filter.minId !== undefined) { where.push('id >= ?'); params.push(filter.minId); }
    if (filter.text !== undefined) {
      where.push(`(instr(CASE WHEN external & ${EXTERNAL_PAYLOAD} THEN gearhq_blob(payload) ELSE payload END, ?) > 0
        OR instr(CASE WHEN external & ${EXTERNAL_RESULT} THEN gearhq_blob(result) ELSE result END, ?) > 0
        OR instr(error, ?) > 0)`);
      params.push(filter.text, filter.text, filter.text);
    }
    const sql = `SELECT * FROM jobs ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ?`;
    const rows = this.db!.prepare(sql).all(...params, filter.limit + 1) as JobRow[];
    return pageOf(rows, filter.limit, (r) => this.toRecord(r));
  }

  async countJobs(filter: JobCountFilter): Promise<number> {
    const { where, params } = whereOf(filter, this.uniques);
    const sql = `SELECT count(*) FROM jobs ${where.length ? `WHERE ${where.join(' AND ')}` : ''}`;
    return this.db!.prepare(sql).pluck().get(...params) as number;
  }

  async jobEvents(id: number): Promise<JobEventRecord[]> {
    return (this.stmts.events.all(id) as { job_id: number; at: number; type: string; detail: string | null }[])
      .map((e) => ({ jobId: e.job_id, at: e.at, type: e.type, detail: e.detail }));
  }

  async prune(rules: RetentionRules, now: number, limit: number): Promise<number> {
    const pruned = this.writer!.prune(rules, now, limit);
    if (pruned > 0) this.uniques.dropBefore((this.stmts.minId.get() as number | null) ?? Number.MAX_SAFE_INTEGER);
    this.compactOldestSegment(now);
    this.dropUnusedSegments();
    return pruned;
  }

  /**
   * Segments go oldest first, so one job kept long (a failure kept 30 days among completions kept
   * 7) would keep every segment written after it. When the oldest segment in use holds little
   * that is still referred to (COMPACT_MAX_LIVE_SHARE of its length at most), its rows' bytes are
   * moved into their rows, COMPACT_ROWS_PER_PASS (or COMPACT_BYTES_PER_PASS) at a time, until
   * nothing refers to it; then it goes like any other. Checked once per COMPACT_CHECK_MS per
   * segment, since summing its rows reads them all.
   */
  private compactOldestSegment(now: number): void {
    const oldest = this.stmts.oldestSegmentInUse.get() as number | null;
    if (oldest === null || !this.segments!.isClosed(oldest)) return;
    if (this.compacting !== oldest) {
      const checked = this.compactionChecked;
      if (checked !== null && checked.segment === oldest && now - checked.at < COMPACT_CHECK_MS && now >= checked.at) return;
      this.compactionChecked = { segment: oldest, at: now };
      const live = this.stmts.segmentLiveBytes.get(oldest) as number;
      if (live > this.segments!.sizeOf(oldest) * COMPACT_MAX_LIVE_SHARE) return;
      this.compacting = oldest;
    }
    const rows = this.stmts.segmentRows.all(oldest, COMPACT_ROWS_PER_PASS) as
      { id: number; payload: Buffer; result: Buffer | null; external: number }[];
    let moved = 0;
    let bytes = 0;
    // Durably: the segment may be deleted right after, and rows must not come back referring to it.
    this.writer!.durably(this.db!.transaction(() => {
      for (const r of rows) {
        const payload = this.blob(r.payload, r.external & EXTERNAL_PAYLOAD)!;
        const result = this.blob(r.result, r.external & EXTERNAL_RESULT);
        this.stmts.moveBlobsIn.run(payload, result, r.id);
        moved++;
        bytes += payload.length + (result?.length ?? 0);
        if (bytes >= COMPACT_BYTES_PER_PASS) break;
      }
    }));
    if (moved === rows.length && rows.length < COMPACT_ROWS_PER_PASS) this.compacting = null;
  }

  /**
   * Removes the blob segments older than any a record refers to. A commit still writing its blobs
   * writes them to the newest segment, which is never removed.
   */
  private dropUnusedSegments(): void {
    const oldest = this.stmts.oldestSegmentInUse.get() as number | null;
    this.segments!.dropBefore(oldest ?? Number.POSITIVE_INFINITY);
  }

  /** A blob column's bytes: the column itself, or what its reference points to. */
  private blob(bytes: Buffer | null, isRef: number): Buffer | null {
    if (bytes === null || isRef === 0) return bytes;
    return this.segments!.read(bytes) ?? EMPTY;
  }

  private toRecord(r: JobRow): JobRecord {
    return {
      id: r.id, handle: r.handle, fn: r.fn, unique: r.uniq, priority: r.priority, background: r.background === 1,
      reducer: r.reducer, state: JOB_STATES[r.state]!, payload: this.blob(r.payload, r.external & EXTERNAL_PAYLOAD)!,
      payloadSize: r.payload_size, submittedAt: r.submitted_at, dueAt: r.due_at, submitter: r.submitter,
      startedAt: r.started_at, finishedAt: r.finished_at, attempts: r.attempts, retries: r.retries, worker: r.worker,
      numerator: r.numerator, denominator: r.denominator, result: this.blob(r.result, r.external & EXTERNAL_RESULT),
      resultSize: r.result_size, error: r.error, outcome: r.outcome, warnings: r.warnings, dataChunks: r.data_chunks,
      data: r.data, dataSize: r.data_size,
    };
  }

  async close(): Promise<void> {
    const db = this.db;
    this.db = null;
    if (db === null) return;
    await this.tail?.catch(() => {});
    this.uniques.stopFilling();
    this.writer = null;
    this.segments?.close();
    this.segments = null;
    // The thread's connection closes first, so this one (the last) checkpoints and removes the WAL.
    await this.checkpointer?.stop();
    this.checkpointer = null;
    db.close();
  }

  async rollupsAppend(rows: readonly RollupRecord[]): Promise<void> {
    if (rows.length === 0) return;
    const db = this.db!;
    const insert = db.prepare(`INSERT INTO rollups (${ROLLUP_COLUMNS.map((c) => c.name).join(', ')})
      VALUES (${ROLLUP_COLUMNS.map(() => '?').join(', ')})`);
    db.transaction(() => { for (const r of rows) insert.run(...rollupValues(r)); })();
  }

  async rollupsRange(filter: RollupFilter): Promise<RollupRecord[]> {
    const byFn = filter.fn !== null;
    const sql = `SELECT * FROM rollups WHERE ${byFn ? 'fn = ? AND ' : ''}at >= ? AND at < ? ORDER BY at, fn LIMIT ?`;
    const params = [...(byFn ? [filter.fn] : []), filter.since, filter.until, filter.limit];
    return (this.db!.prepare(sql).all(...params) as Record<string, unknown>[]).map(rollupFromRow);
  }

  async rollupsPrune(before: number, limit: number): Promise<number> {
    return this.db!.prepare('DELETE FROM rollups WHERE rowid IN (SELECT rowid FROM rollups WHERE at < ? ORDER BY at LIMIT ?)')
      .run(before, limit).changes;
  }

  async firingsPrune(keep: number, limit: number): Promise<number> {
    // Each row is compared with its schedule's keep-th newest tick, found through the primary key.
    return this.db!.prepare(`DELETE FROM schedule_firings WHERE rowid IN (
        SELECT f.rowid FROM schedule_firings f WHERE f.tick_at < (SELECT g.tick_at FROM schedule_firings g
          WHERE g.schedule = f.schedule ORDER BY g.tick_at DESC LIMIT 1 OFFSET ?) LIMIT ?)`)
      .run(keep - 1, limit).changes;
  }
}

interface JobRow {
  id: number; handle: string; fn: string; uniq: string; priority: 0 | 1 | 2; background: number;
  reducer: string; state: number; payload: Buffer; payload_size: number; submitted_at: number;
  due_at: number; submitter: string; started_at: number | null; finished_at: number | null;
  attempts: number; retries: number; worker: string | null; numerator: string | null;
  denominator: string | null; result: Buffer | null; result_size: number | null; error: Buffer | null;
  outcome: string | null; warnings: number; data_chunks: number; data: Buffer | null; data_size: number;
  external: number;
}

/** See SqliteStore.compactOldestSegment. */
const COMPACT_MAX_LIVE_SHARE = 0.25;
const COMPACT_ROWS_PER_PASS = 64;
/** Bytes moved per pass at most (after the row that reaches it): a pass stalls the event loop. */
const COMPACT_BYTES_PER_PASS = 8 * 1024 * 1024;
const COMPACT_CHECK_MS = 60_000;

/** What a blob whose bytes are gone reads as (a segment lost with a power cut before its fsync). */
const EMPTY = Buffer.alloc(0);

/** The WHERE terms listJobs and countJobs share (function, state, unique, time range, cursor). */
function whereOf(filter: JobCountFilter, uniques: UniqueBlockFilters): { where: string[]; params: unknown[] } {
  const where: string[] = [];
  const params: unknown[] = [];
  // With a unique, its keys find the few rows; `+` keeps SQLite from walking a function's or a
  // state's whole index instead (it cannot tell how few rows the unique's keys match).
  const indexed = filter.unique ? '+' : '';
  if (filter.fn !== undefined) { where.push(`${indexed}fn = ?`); params.push(filter.fn); }
  if (filter.state !== undefined) { where.push(`${indexed}state = ?`); params.push(STATE_CODE.get(filter.state)); }
  if (filter.unique !== undefined) {
    if (filter.unique === '') where.push("uniq = ''");
    else {
      where.push(`${UNIQUE_KEY_MATCH} AND uniq = ?`);
      params.push(uniques.keysFor(filter.unique), filter.unique);
    }
  }
  if (filter.since !== undefined) { where.push('submitted_at >= ?'); params.push(filter.since); }
  if (filter.until !== undefined) { where.push('submitted_at < ?'); params.push(filter.until); }
  const below = decodeCursor(filter.cursor);
  if (below !== null) { where.push('id < ?'); params.push(below); }
  return { where, params };
}
