/** What the main thread and the checkpoint thread share: Int32 slots of one SharedArrayBuffer. */
export const SLOT = {
  /** Set to 1 by the main thread to end the thread (and notified, to wake it). */
  stop: 0,
  /** Times the thread asked the main thread to finish a pass and rewind the WAL. */
  rewindAsked: 1,
  /** The last request the main thread is done with (notified): the thread goes on. */
  rewindDone: 2,
  /** Passes completed, and passes that failed (a full disk, an I/O error). */
  passes: 3,
  failures: 4,
} as const;

export const SLOT_COUNT = 5;

/**
 * Once the WAL is this long, the main thread finishes a pass and rewinds it (see checkpointer.ts):
 * between these bounds, as long as about REWIND_EVERY_MS of writing at the recent rate. Each
 * rewind costs the main thread a few milliseconds (10 KiB foreground jobs: ~10% fewer jobs/s at
 * 16 MiB than at 64 MiB), but a longer WAL cycles through more memory: 100 B foreground jobs ran
 * ~6% slower at 16 MiB than at 4 MiB, bg submissions 97-104k jobs/s at 64 MiB, 111-117k at 16.
 */
export const REWIND_MIN_BYTES = 4 * 1024 * 1024;
export const REWIND_MAX_BYTES = 64 * 1024 * 1024;
export const REWIND_EVERY_MS = 250;

/** A row of `PRAGMA wal_checkpoint`: busy 1 if it could not run; frames in the WAL, and copied. */
export interface CheckpointResult {
  busy: number;
  log: number;
  checkpointed: number;
}

export interface CheckpointThreadData {
  path: string;
  shared: SharedArrayBuffer;
  /** The rewind bounds in frames of the database's page size. */
  rewindFrames: { min: number; max: number };
}
