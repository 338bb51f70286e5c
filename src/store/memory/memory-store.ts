import type { CommitBatch, Store, StoredJob } from '../store.js';

/**
 * The gearmand-like store: jobs live only in the engine's memory and nothing survives a restart.
 * Fastest mode, and the one engine tests use.
 */
export class MemoryStore implements Store {
  readonly name = 'memory';
  readonly capabilities = { durable: false, multiNode: false } as const;

  async open(): Promise<void> {}

  async loadActive(): Promise<StoredJob[]> {
    return [];
  }

  async nextHandleNumber(): Promise<number> {
    return 1;
  }

  commit(_batch: CommitBatch): void {}

  async close(): Promise<void> {}
}
