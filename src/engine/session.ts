import type { FunctionQueue } from './function-queue.js';
import type { Job } from './job.js';

/**
 * What the engine sends to a connection. The server implements it by encoding packets into the
 * connection's output buffer; engine tests implement it by recording calls.
 */
export interface Outbox {
  noop(): void;
  /** WORK_STATUS forwarded to a client. */
  workStatus(handle: string, numerator: string, denominator: string): void;
  /** WORK_DATA, WORK_WARNING, WORK_COMPLETE or WORK_EXCEPTION forwarded to a client. */
  workBlob(type: number, handle: string, data: Buffer): void;
  workFail(handle: string): void;
}

/** A function a worker can do, with its CAN_DO_TIMEOUT (0 = none). */
export interface Ability {
  readonly fn: FunctionQueue;
  timeoutMs: number;
}

/**
 * The engine's view of one connection: it may be a client, a worker and an admin at once.
 */
export class Session {
  clientId = '-';
  /** Send WORK_EXCEPTION to this client (OPTION_REQ exceptions), else WORK_FAIL. */
  exceptions = false;
  /** Sent PRE_SLEEP and not GRAB since. */
  sleeping = false;
  /** A NOOP is outstanding (at most one until the next GRAB). */
  noopSent = false;
  /** Registered functions, newest first (the order `workers` lists them). */
  abilities: Ability[] = [];
  /** Jobs this session is running as a worker. */
  held: Set<Job> | null = null;
  /** Foreground jobs this session waits on as a client. */
  attached: Set<Job> | null = null;
  readonly connectedAt: number;
  closed = false;
  /** The job this worker last ended with WORK_EXCEPTION (its next report on it is tolerated). */
  lastExceptionHandle: string | null = null;

  constructor(
    readonly id: number,
    readonly address: string,
    readonly out: Outbox,
    connectedAt: number,
    /** Text shown in the first column of `workers` (gearmand shows the socket fd). */
    readonly label: string = String(id),
  ) {
    this.connectedAt = connectedAt;
    this.name = `${address}#${id}`;
  }

  /** `address#id`, as job records name submitters and workers (made once, not per job). */
  readonly name: string;

  get isWorker(): boolean {
    return this.abilities.length > 0;
  }

  ability(fn: FunctionQueue): Ability | undefined {
    for (const a of this.abilities) if (a.fn === fn) return a;
    return undefined;
  }
}
