/**
 * Deletes finished jobs the retention rules no longer keep, minute roll-ups past their age, and
 * cron firings beyond each schedule's newest FIRINGS_KEPT (a schedule firing every second would
 * otherwise add 86,400 rows a day for ever), a small chunk at a time so the server never stalls:
 * each pass deletes up to `chunk` rows, yields to the event loop, and goes on while there is
 * more, then sleeps until the next interval.
 */
import type { Logger } from 'pino';
import type { Clock } from '../engine/clock.js';
import type { RetentionRules, Store } from './store.js';

/** Cron firings kept per schedule: the scheduler reads the newest; the rest is recent history. */
export const FIRINGS_KEPT = 100;

/** How long the stats engine's minute roll-ups are kept (ms). */
export const ROLLUP_KEEP_MS = 30 * 24 * 3_600_000;

export interface PrunerOptions {
  rules: RetentionRules;
  intervalMs: number;
  chunk: number;
  /** How long the stats engine's minute roll-ups are kept (ms); 0 = forever. */
  rollupKeepMs?: number;
}

export class RetentionPruner {
  readonly name = 'retention-pruner';
  private timer: ReturnType<typeof setTimeout> | null = null;
  private running: Promise<void> | null = null;
  private stopped = true;
  private deleted = 0;
  private rollupsDeleted = 0;
  private firingsDeleted = 0;
  private passes = 0;
  private lastPassAt = 0;
  private lastError: string | null = null;

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly options: PrunerOptions,
  ) {}

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    await this.running;
  }

  stats() {
    return { deleted: this.deleted, rollupsDeleted: this.rollupsDeleted, firingsDeleted: this.firingsDeleted, passes: this.passes, lastPassAt: this.lastPassAt, lastError: this.lastError };
  }

  /** One full pass: delete chunk after chunk until nothing is due. Returns rows deleted. */
  async runOnce(): Promise<number> {
    const total = await this.inChunks(() => this.store.prune(this.options.rules, this.clock.now(), this.options.chunk));
    const keep = this.options.rollupKeepMs ?? 0;
    if (keep > 0) this.rollupsDeleted += await this.inChunks(() => this.store.rollupsPrune(this.clock.now() - keep, this.options.chunk));
    this.firingsDeleted += await this.inChunks(() => this.store.firingsPrune(FIRINGS_KEPT, this.options.chunk));
    this.passes++;
    this.lastPassAt = this.clock.now();
    this.deleted += total;
    return total;
  }

  /**
   * Runs one delete step after another, yielding between them, until one deletes less than a chunk
   * (or the pruner is stopped).
   */
  private async inChunks(step: () => Promise<number>): Promise<number> {
    let total = 0;
    for (;;) {
      const n = await step();
      total += n;
      if (n < this.options.chunk || this.stopped) return total;
      await new Promise((r) => setImmediate(r));
    }
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.running = this.runOnce().then((n) => {
        this.lastError = null;
        if (n > 0) this.log.debug({ deleted: n }, 'retention: pruned finished jobs');
      }, (err: Error) => {
        this.lastError = err.message;
        this.log.warn({ err }, 'retention: pruning failed; will retry');
      }).finally(() => {
        this.running = null;
        this.schedule(this.options.intervalMs);
      });
    }, ms);
    this.timer.unref();
  }
}
