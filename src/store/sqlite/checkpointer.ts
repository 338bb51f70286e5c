/**
 * Checkpoints off the main thread. In WAL mode SQLite writes every page twice: to the WAL when a
 * transaction commits, and into the database file at a checkpoint. Left to the committing
 * connection (autocheckpoint), the second copy ran on the event loop: with 10 KiB foreground jobs
 * it was a fifth of the main thread's time and stalled every connection for 25-35 ms at a time. A
 * thread with its own connection (checkpoint-thread.ts) runs PASSIVE checkpoints instead, which
 * never block the writer.
 *
 * What the thread cannot do is rewind the WAL. SQLite starts the WAL over from its beginning when
 * a write transaction begins with every frame already copied, and commits keep arriving during
 * each pass; a WAL that only grows also writes into new page-cache pages all the time, which is
 * slow. So once the WAL is long enough (REWIND_EVERY_MS) and a pass was short, the thread asks
 * and waits, the main thread copies the little committed during that pass, and its next commit
 * rewinds the WAL.
 */
import type Database from 'better-sqlite3';
import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import {
  REWIND_MAX_BYTES, REWIND_MIN_BYTES, SLOT, SLOT_COUNT, type CheckpointResult, type CheckpointThreadData,
} from './checkpoint-slots.js';

/** SQLite's default, used again if the thread fails. */
const AUTOCHECKPOINT_FRAMES = 1000;

export class Checkpointer {
  private readonly shared = new Int32Array(new SharedArrayBuffer(SLOT_COUNT * Int32Array.BYTES_PER_ELEMENT));
  private readonly thread: Worker;
  private seenRequests = 0;
  /** The tail was copied: the next commit rewinds the WAL, then the thread may go on. */
  private rewinding = false;
  private running = true;
  /** Why the thread stopped on its own (checkpoints then fall back to the committing connection). */
  failure: Error | null = null;

  constructor(
    private readonly db: Database.Database,
    path: string,
    private readonly onFailure: (e: Error) => void = () => {},
    rewindBytes = { min: REWIND_MIN_BYTES, max: REWIND_MAX_BYTES },
  ) {
    db.pragma('wal_autocheckpoint = 0');
    const pageSize = db.pragma('page_size', { simple: true }) as number;
    const rewindFrames = { min: Math.ceil(rewindBytes.min / pageSize), max: Math.ceil(rewindBytes.max / pageSize) };
    const data: CheckpointThreadData = { path, shared: this.shared.buffer as SharedArrayBuffer, rewindFrames };
    this.thread = new Worker(new URL('./checkpoint-thread.js', import.meta.url), { workerData: data });
    this.thread.unref();
    this.thread.on('error', (e) => this.fail(e));
    this.thread.on('exit', (code) => this.fail(new Error(`the checkpoint thread exited (code ${code})`)));
  }

  /** The thread's passes so far, how many failed (a full disk, an I/O error), and rewinds asked. */
  get passes(): { done: number; failed: number; rewinds: number } {
    return {
      done: Atomics.load(this.shared, SLOT.passes),
      failed: Atomics.load(this.shared, SLOT.failures),
      rewinds: Atomics.load(this.shared, SLOT.rewindAsked),
    };
  }

  /** Called after each commit on the main connection. */
  afterCommit(): void {
    if (this.rewinding) {
      this.rewinding = false;
      this.release();
      return;
    }
    const asked = Atomics.load(this.shared, SLOT.rewindAsked);
    if (asked === this.seenRequests) return;
    this.seenRequests = asked;
    const [r] = this.db.pragma('wal_checkpoint(PASSIVE)') as CheckpointResult[];
    if (r!.busy === 0 && r!.checkpointed === r!.log) this.rewinding = true;
    else this.release();
  }

  /** Ends the thread (before the main connection closes, so that one checkpoints last). */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    // Unreferenced so that it never holds the process open by itself, but waited for here.
    this.thread.ref();
    const exited = once(this.thread, 'exit');
    Atomics.store(this.shared, SLOT.stop, 1);
    Atomics.notify(this.shared, SLOT.stop);
    await exited;
  }

  private release(): void {
    Atomics.store(this.shared, SLOT.rewindDone, this.seenRequests);
    Atomics.notify(this.shared, SLOT.rewindDone);
  }

  private fail(e: Error): void {
    if (!this.running) return;
    this.running = false;
    this.failure = e;
    if (this.db.open) this.db.pragma(`wal_autocheckpoint = ${AUTOCHECKPOINT_FRAMES}`);
    this.onFailure(e);
  }
}
