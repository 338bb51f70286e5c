import type { FunctionQueue } from './function-queue.js';
import type { Session } from './session.js';

/**
 * Payloads are kept as latin1 strings, one char per byte: on V8's heap rather than as Buffers,
 * whose bytes are external memory and bring on old-generation collections (see handlers.ts).
 */
export function payloadText(bytes: Buffer): string {
  return bytes.latin1Slice(0, bytes.length);
}

/** A payload's bytes, for the store and the HTTP API. */
export function payloadBytes(text: string): Buffer {
  return Buffer.from(text, 'latin1');
}

/** Gearman priorities, in the order workers are served. */
export const enum Priority { HIGH = 0, NORMAL = 1, LOW = 2 }
export const PRIORITY_NAMES = ['high', 'normal', 'low'] as const;

export type JobState =
  | 'scheduled' | 'queued' | 'running'
  | 'completed' | 'failed' | 'cancelled' | 'abandoned';

/**
 * One job, from submission to its end. Fixed shape (every field set in the constructor) because
 * there may be millions of them. Strings are latin1, byte-exact as they came off the wire.
 */
export class Job {
  state: JobState = 'queued';
  /** Background submissions that reference this job (its own, if it was one, plus coalesced). */
  backgroundRefs: number;
  /** Gearman's retry counter: how many times the job was taken back from a worker. */
  retries = 0;
  /** Attempts started (assignments), for history. */
  attempts = 0;
  numerator = '0';
  denominator = '0';
  worker: Session | null = null;
  /** Foreground clients waiting for this job's results, in order of attachment. */
  clients: Session[] | null = null;
  timer: unknown = null;
  startedAt = 0;
  /** Cancelled while running: ends as cancelled when its worker reports back or goes away. */
  cancelRequested = false;
  /** Key under which the job is indexed for coalescing in its function, or null. */
  coalesceKey: string | null = null;
  /**
   * Entries for this job in its priority's FIFO. A queued job that leaves the queue other than by
   * being taken (rescheduled for later, then due again) leaves its old entry behind, since a FIFO
   * cannot drop from the middle; the job's place is its newest entry, the last one counted down.
   */
  fifoEntries = 0;

  constructor(
    /** The handle's number: unique per store, the job's key in it. */
    readonly id: number,
    readonly handle: string,
    readonly fn: FunctionQueue,
    readonly unique: string,
    readonly payload: string,
    readonly priority: Priority,
    readonly background: boolean,
    readonly reducer: string,
    /** When the job may run, in ms since the epoch; 0 = at once. */
    public dueAt: number,
    readonly submittedAt: number,
  ) {
    this.backgroundRefs = background ? 1 : 0;
  }

  get isActive(): boolean {
    return this.state === 'queued' || this.state === 'running' || this.state === 'scheduled';
  }

  /** Whether anyone still wants this job to run. */
  get isWanted(): boolean {
    return this.backgroundRefs > 0 || (this.clients !== null && this.clients.length > 0);
  }
}
