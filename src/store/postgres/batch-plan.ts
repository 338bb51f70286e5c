/**
 * Turns a CommitBatch into column arrays for the driver's `unnest` statements, in an order that
 * keeps the database's unique index on active (function, unique) meaningful:
 *   1. updates of jobs stored by earlier batches (they can only take jobs out of the active set
 *      or move them within it), so a unique freed in this batch is free before
 *   2. the inserts, then
 *   3. updates of jobs inserted earlier in this same batch (the journal collapses those into the
 *      insert, so this is for callers that do not), then the events.
 * Two updates of one job in a batch go in successive rounds, in batch order.
 * When the order cannot matter (`joinable`), all of it may run as one statement.
 */
import { STATE_CODE, type CommitBatch, type JobDelta } from '../store.js';
import { pgText } from './queries.js';
import { INSERT_COLUMNS, UPDATE_COLUMNS } from './write-statements.js';

export interface BatchPlan {
  before: unknown[][][];
  inserts: unknown[][] | null;
  /** Payload, result and error bytes of each insert row, in row order (see insertChunks). */
  insertBytes: number[];
  /** The (function, unique) pairs the inserts make active; what the unique index checks. */
  activeUniques: { id: number; fn: string; unique: string }[];
  after: unknown[][][];
  events: unknown[][] | null;
  /**
   * True when one statement may apply everything: at most one round of updates, none of them to
   * jobs inserted in this batch, and no insert taking a unique that an update might free.
   */
  joinable: boolean;
}

/**
 * Blob bytes per insert statement. When blobs were sent as bytea arrays (hex text built on the
 * main thread), 40 MB of 10 KiB foreground jobs in one statement stalled the event loop for
 * ~300 ms; they now travel as one binary parameter, and statements of at most this much,
 * awaited one by one, still keep each message to the database and its copy small.
 */
export const INSERT_CHUNK_BYTES = 4 * 1024 * 1024;
const ACTIVE = new Set(['scheduled', 'queued', 'running']);

export function planBatch(batch: CommitBatch): BatchPlan {
  const inserted = new Set<number>();
  const before = new UpdateRounds();
  const after = new UpdateRounds();
  const ins: unknown[][] | null = batch.deltas.some((d) => d.insert !== null) ? columns(INSERT_COLUMNS.length) : null;
  const insertBytes: number[] = [];
  const activeUniques: BatchPlan['activeUniques'] = [];
  for (const d of batch.deltas) {
    const n = d.insert;
    if (n !== null) {
      inserted.add(d.id);
      const state = d.state ?? 'queued';
      const row = [n.id, n.handle, pgText(n.fn), pgText(n.unique), n.priority, n.background || d.pinBackground,
        pgText(n.reducer), STATE_CODE.get(state), n.payload, n.payloadSize, n.submittedAt, d.dueAt ?? n.dueAt,
        pgText(n.submitter), d.startedAt, d.finishedAt, d.attempts ?? 0, d.retries ?? 0, pgText(d.worker),
        pgText(d.numerator), pgText(d.denominator), d.result, d.resultSize, d.error, pgText(d.outcome),
        d.warnings, d.dataChunks, d.data, d.dataSize];
      for (let i = 0; i < INSERT_COLUMNS.length; i++) ins![i]!.push(row[i]);
      insertBytes.push(n.payload.length + (d.result?.length ?? 0) + (d.error?.length ?? 0) + (d.data?.length ?? 0));
      if (ACTIVE.has(state) && n.unique !== '' && n.unique !== '-') {
        activeUniques.push({ id: n.id, fn: pgText(n.fn), unique: pgText(n.unique) });
      }
    } else {
      (inserted.has(d.id) ? after : before).add(d);
    }
  }
  let events: unknown[][] | null = null;
  if (batch.events.length > 0) {
    events = columns(4);
    for (const e of batch.events) {
      events[0]!.push(e.jobId);
      events[1]!.push(e.at);
      events[2]!.push(pgText(e.type));
      events[3]!.push(pgText(e.detail));
    }
  }
  const joinable = after.rounds.length === 0 &&
    (before.rounds.length === 0 || (before.rounds.length === 1 && activeUniques.length === 0));
  return { before: before.rounds, inserts: ins, insertBytes, activeUniques, after: after.rounds, events, joinable };
}

class UpdateRounds {
  readonly rounds: unknown[][][] = [];
  private readonly roundOf = new Map<number, number>();

  add(d: JobDelta): void {
    const round = (this.roundOf.get(d.id) ?? -1) + 1;
    this.roundOf.set(d.id, round);
    if (round === this.rounds.length) this.rounds.push(columns(UPDATE_COLUMNS.length));
    const row = [d.id, d.state === null ? null : STATE_CODE.get(d.state), d.pinBackground, d.startedAt,
      d.finishedAt, d.attempts, d.retries, pgText(d.worker), pgText(d.numerator), pgText(d.denominator),
      d.result, d.resultSize, d.error, pgText(d.outcome), d.warnings, d.dataChunks, d.dueAt, d.data, d.dataSize];
    const cols = this.rounds[round]!;
    for (let i = 0; i < UPDATE_COLUMNS.length; i++) cols[i]!.push(row[i]);
  }
}

function columns(n: number): unknown[][] {
  return Array.from({ length: n }, () => []);
}

/**
 * The insert columns cut into pieces of about `budget` blob bytes each (whole rows, in order;
 * one piece when they fit), given each row's blob bytes (BatchPlan.insertBytes).
 */
export function insertChunks(
  inserts: unknown[][], rowBytes: readonly number[], budget = INSERT_CHUNK_BYTES,
): unknown[][][] {
  const rows = inserts[0]!.length;
  const cuts: number[] = [];
  let bytes = 0;
  for (let r = 0; r < rows; r++) {
    if (bytes > 0 && bytes + rowBytes[r]! > budget) {
      cuts.push(r);
      bytes = 0;
    }
    bytes += rowBytes[r]!;
  }
  if (cuts.length === 0) return [inserts];
  const bounds = [0, ...cuts, rows];
  const pieces: unknown[][][] = [];
  for (let i = 0; i + 1 < bounds.length; i++) pieces.push(inserts.map((col) => col.slice(bounds[i], bounds[i + 1])));
  return pieces;
}
