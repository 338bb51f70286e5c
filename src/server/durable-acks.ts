import type { Journal } from '../store/journal.js';
import type { Connection } from './connection.js';

/**
 * Background acknowledgements that wait for the journal's group commit. A connection holding
 * one writes nothing until the batch is stored; a refused batch turns its acknowledgements into
 * errors, so a client is never told a job is safe when it is not.
 */
export class DurableAcks {
  private readonly waiting = new Set<Connection>();

  constructor(private readonly journal: Journal) {
    journal.onCommit((batch, error) => this.settle(batch, error));
  }

  hold(conn: Connection, handle: string): void {
    this.journal.requireCommit();
    conn.holdAck(handle, this.journal.batchNo);
    this.waiting.add(conn);
  }

  private settle(batch: number, error: Error | null): void {
    for (const conn of this.waiting) {
      if (!conn.settleAcks(batch, error)) this.waiting.delete(conn);
    }
  }
}
