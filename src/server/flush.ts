/**
 * Collects the connections that produced output during this event-loop turn and flushes each
 * once, in `setImmediate`: one socket write per connection per turn, however many packets.
 */
export interface Flushable {
  flush(): void;
  /** Set while queued for flushing, so a connection is queued once per turn. */
  flushQueued: boolean;
}

export class FlushScheduler {
  private dirty: Flushable[] = [];
  private scheduled = false;
  private readonly run = (): void => this.flushAll();
  /** Runs before each flush: the journal's group commit, so acknowledgements follow the disk. */
  beforeFlush: (() => void) | null = null;

  mark(c: Flushable): void {
    if (c.flushQueued) return;
    c.flushQueued = true;
    this.dirty.push(c);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.run);
    }
  }

  flushAll(): void {
    this.scheduled = false;
    if (this.beforeFlush !== null) this.beforeFlush();
    const list = this.dirty;
    this.dirty = [];
    for (let i = 0; i < list.length; i++) {
      const c = list[i]!;
      c.flushQueued = false;
      c.flush();
    }
  }
}
