/**
 * The checkpoint thread (see checkpointer.ts): its own connection to the store's file, copying
 * committed WAL frames into the database file with PASSIVE checkpoints, which never block the
 * writer on the main thread. It paces itself to copy about PASS_FRAMES frames a pass (each pass
 * ends with an fsync of the database file). Once the WAL is long (see REWIND_EVERY_MS), it asks
 * the main thread to rewind it, but only after a pass short enough that little is left for the
 * main thread to copy.
 */
import Database from 'better-sqlite3';
import { workerData } from 'node:worker_threads';
import { REWIND_EVERY_MS, SLOT, type CheckpointResult, type CheckpointThreadData } from './checkpoint-slots.js';

const PASS_FRAMES = 1000;
/** The longest pause between passes while frames keep arriving. */
const MAX_BUSY_SLEEP_MS = 50;
/** With nothing to copy, the pauses double from MIN_IDLE_MS up to MAX_SLEEP_MS. */
const MIN_IDLE_MS = 10;
const MAX_SLEEP_MS = 250;
/** A pass that copied at most this many frames took so little time that few arrived meanwhile. */
const SHORT_PASS_FRAMES = 512;
/** Past this many times the rewind length (writes outpacing the copying), ask regardless. */
const OVERDUE_FACTOR = 2;
/** How long to wait for the main thread to rewind the WAL before going on regardless. */
const REWIND_WAIT_MS = 100;
/** After finding another checkpoint running (the main thread's), try again this soon. */
const BUSY_RETRY_MS = 2;

const { path, shared: buffer, rewindFrames } = workerData as CheckpointThreadData;
const shared = new Int32Array(buffer);
const db = new Database(path);
// At NORMAL (as at FULL) a checkpoint syncs the WAL before copying and the database file after.
db.pragma('synchronous = NORMAL');

let sleepMs = MIN_IDLE_MS;
let idleMs = MIN_IDLE_MS;
let backfilled = 0;
let previousStart = performance.now();
/** Frames committed per millisecond lately (smoothed over passes). */
let recentRate = 0;
while (Atomics.load(shared, SLOT.stop) === 0) {
  if (sleepMs > 0) Atomics.wait(shared, SLOT.stop, 0, sleepMs);
  if (Atomics.load(shared, SLOT.stop) !== 0) break;
  const start = performance.now();
  let result: CheckpointResult;
  try {
    result = (db.pragma('wal_checkpoint(PASSIVE)') as CheckpointResult[])[0]!;
  } catch {
    // A full disk or a transient I/O error: the frames stay in the WAL; try again later.
    Atomics.add(shared, SLOT.failures, 1);
    sleepMs = MAX_SLEEP_MS;
    continue;
  }
  if (result.busy !== 0 || result.log < 0) {
    sleepMs = BUSY_RETRY_MS;
    continue;
  }
  Atomics.add(shared, SLOT.passes, 1);
  const end = performance.now();
  // After the WAL was rewound, everything backfilled this pass is new.
  const copied = result.checkpointed >= backfilled ? result.checkpointed - backfilled : result.checkpointed;
  backfilled = result.checkpointed;
  // The frames just copied arrived since the previous pass began: at that rate, the next
  // PASS_FRAMES are there after this long (less the time this pass took).
  const framesPerMs = copied / Math.max(start - previousStart, 1);
  previousStart = start;
  if (framesPerMs > 0) {
    recentRate = recentRate === 0 ? framesPerMs : 0.7 * recentRate + 0.3 * framesPerMs;
    sleepMs = Math.min(MAX_BUSY_SLEEP_MS, Math.max(0, PASS_FRAMES / framesPerMs - (end - start)));
    idleMs = MIN_IDLE_MS;
  } else {
    sleepMs = idleMs;
    idleMs = Math.min(MAX_SLEEP_MS, idleMs * 2);
  }
  const rewindAt = Math.min(rewindFrames.max, Math.max(rewindFrames.min, recentRate * REWIND_EVERY_MS));
  if (result.log < rewindAt) continue;
  if (copied > SHORT_PASS_FRAMES && result.log < rewindAt * OVERDUE_FACTOR) {
    sleepMs = 0; // catch up first
    continue;
  }
  // Ask, and stay out of the way meanwhile (a pass of this thread's would make the main thread's
  // checkpoint give up).
  const asked = Atomics.add(shared, SLOT.rewindAsked, 1) + 1;
  const done = Atomics.load(shared, SLOT.rewindDone);
  if (done !== asked) Atomics.wait(shared, SLOT.rewindDone, done, REWIND_WAIT_MS);
  // The next pass copies what arrived since the rewind: measure the rate from here.
  previousStart = performance.now();
}
db.close();
