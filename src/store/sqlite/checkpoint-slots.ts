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
 * Once the WAL is this long, the main thread finishes a pass and rewinds it (see checkpointer.ts).
 * Each rewind costs the main thread a few milliseconds, but a longer WAL writes into page-cache
 * pages not yet touched for longer: bg submit was 111-117k jobs/s at 16 MiB, 97-104k at 64 MiB
 * (where 10 KiB foreground jobs gained 5-10%).
 */
export const REWIND_BYTES = 16 * 1024 * 1024;

export interface CheckpointThreadData {
  path: string;
  shared: SharedArrayBuffer;
  /** The rewind length in frames of the database's page size. */
  rewindFrames: number;
}
