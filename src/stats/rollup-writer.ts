/**
 * The roll-up writer: once a minute, just after the minute ends, appends the stats engine's rows
 * for the minutes that ended since its last write (per function: counters, percentiles, gauges)
 * to the store, so charts cover days and survive restarts. A failed write is retried on the next
 * tick with the same minutes (the stats engine holds the last hour of them). The minute in
 * progress at a stop is not written: a restart loses at most that minute's counts.
 */
import type { Logger } from 'pino';
import type { Clock, TimerHandle } from '../engine/clock.js';
import type { RollupStore } from '../store/store.js';
import type { StatsEngine } from './stats-engine.js';

const MINUTE_MS = 60_000;

export interface RollupWriterOptions {
  /** How long after a minute ends its rows are written (late events still land in it). */
  delayMs: number;
}

export class RollupWriter {
  readonly name = 'rollup-writer';
  private timer: TimerHandle | null = null;
  private running: Promise<void> | null = null;
  private stopped = true;
  /** The newest minute written (ms / 60000). */
  private lastMinute = 0;
  private written = 0;
  private passes = 0;
  private lastError: string | null = null;

  constructor(
    private readonly source: StatsEngine,
    private readonly store: RollupStore,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly options: RollupWriterOptions = { delayMs: 1000 },
  ) {}

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    // Minutes before start-up are not the stats engine's to write.
    this.lastMinute = Math.floor(this.clock.now() / MINUTE_MS) - 1;
    this.schedule();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== null) this.clock.clearTimer(this.timer);
    this.timer = null;
    await this.running;
  }

  stats() {
    return { written: this.written, passes: this.passes, lastMinuteAt: this.lastMinute * MINUTE_MS, lastError: this.lastError };
  }

  /** Writes the rows of every minute ended since the last write; returns how many rows. */
  async runOnce(): Promise<number> {
    const { rows, lastMinute } = this.source.rollupsSince(this.lastMinute);
    if (rows.length > 0) await this.store.rollupsAppend(rows);
    this.lastMinute = lastMinute;
    this.written += rows.length;
    this.passes++;
    return rows.length;
  }

  private schedule(): void {
    if (this.stopped) return;
    const now = this.clock.now();
    const next = (Math.floor(now / MINUTE_MS) + 1) * MINUTE_MS + this.options.delayMs;
    this.timer = this.clock.setTimer(() => {
      this.timer = null;
      this.running = this.runOnce().then(() => { this.lastError = null; }, (err: Error) => {
        this.lastError = err.message;
        this.log.warn({ err }, 'roll-ups: writing failed; will retry next minute');
      }).finally(() => {
        this.running = null;
        this.schedule();
      });
    }, next - now);
  }
}
