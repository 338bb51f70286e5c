/**
 * The storage seam. The engine's changes reach a store only through this interface; each driver
 * (memory now; sqlite and postgres with the persistence work) declares what it can do through
 * `capabilities`, and callers check capabilities, never driver names.
 */
export interface StoreCapabilities {
  /** Jobs survive a restart of the process. */
  readonly durable: boolean;
  /** Several server processes may share the store. */
  readonly multiNode: boolean;
}

/** A job as a store hands it back at start-up, to be put back into the engine. */
export interface StoredJob {
  handle: string;
  fn: string;
  unique: string;
  payload: Buffer;
  priority: 0 | 1 | 2;
  background: boolean;
  reducer: string;
  dueAt: number;
  retries: number;
  submittedAt: number;
}

export interface Store {
  readonly name: string;
  readonly capabilities: StoreCapabilities;
  open(): Promise<void>;
  /** Jobs that were scheduled, queued or running when the store was last used. */
  loadActive(): Promise<StoredJob[]>;
  /** The next job handle number to issue, so handles stay unique across restarts. */
  nextHandleNumber(): Promise<number>;
  close(): Promise<void>;
}
