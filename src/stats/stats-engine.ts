/**
 * The stats engine: per-function counters and duration histograms over sliding windows, fed by
 * the engine's events (the engine never calls it), plus gauges read from the engine when asked.
 *
 * Time is cut into 10-second slots. Each event adds to its function's current slot: O(1), no
 * allocation once a slot's histograms have room. A ring of 36 slots (6 minutes) answers the 1m
 * and 5m windows; each minute, once over, is also summed into a ring of 61 minute slots that
 * answers 1h and gives the roll-up writer its rows. Memory per function is bounded by the rings,
 * whatever the job rate.
 *
 * A window covers the slots it overlaps, so "1m" is the current slot and the five before it
 * (50–60 s); rates divide by the time actually covered (and never reach back before start-up).
 */
import type { Clock } from '../engine/clock.js';
import type { Engine } from '../engine/engine.js';
import type { FunctionQueue } from '../engine/function-queue.js';
import type { Job } from '../engine/job.js';
import type { RollupPercentiles, RollupRecord } from '../store/store.js';
import { LogHistogram } from './log-histogram.js';
import type { FunctionStats, Percentiles, ServiceRate, StatsSnapshot, StatsSource, StatsWindow } from './stats-types.js';
import { wireText } from '../protocol/wire-text.js';

const SLOT_MS = 10_000;
const MINUTE_MS = 60_000;
const SLOTS_PER_MINUTE = MINUTE_MS / SLOT_MS;
/** 10-second slots kept: the 5m window (30) plus the minute being summed up. */
const SLOT_RING = 36;
/** Minute slots kept: the 1h window (59 whole minutes besides the current one) and spare. */
const MINUTE_RING = 61;
const WINDOW_MS: Record<StatsWindow, number> = { '1m': 60_000, '5m': 300_000, '1h': 3_600_000 };

/** Counts and histograms of one time slot (10 s or 1 min) of one function. */
class Slot {
  epoch = -1;
  submitted = 0;
  completed = 0;
  failed = 0;
  exceptions = 0;
  retried = 0;
  cancelled = 0;
  readonly wait = new LogHistogram();
  readonly runtime = new LogHistogram();
  readonly ttc = new LogHistogram();

  reset(epoch: number): void {
    this.epoch = epoch;
    this.submitted = this.completed = this.failed = this.exceptions = this.retried = this.cancelled = 0;
    this.wait.reset();
    this.runtime.reset();
    this.ttc.reset();
  }

  add(o: Slot): void {
    this.submitted += o.submitted;
    this.completed += o.completed;
    this.failed += o.failed;
    this.exceptions += o.exceptions;
    this.retried += o.retried;
    this.cancelled += o.cancelled;
    this.wait.merge(o.wait);
    this.runtime.merge(o.runtime);
    this.ttc.merge(o.ttc);
  }

  get empty(): boolean {
    return this.submitted + this.completed + this.failed + this.retried + this.cancelled === 0 &&
      this.wait.count + this.runtime.count + this.ttc.count === 0;
  }
}

/** One function's rings. Slots are made on first use, so idle functions cost little. */
class FunctionSlots {
  private readonly slots: (Slot | undefined)[] = new Array(SLOT_RING);
  private readonly minutes: (Slot | undefined)[] = new Array(MINUTE_RING);
  /** The slot events go to, for epoch `epoch`. */
  current: Slot;
  epoch: number;

  constructor(readonly name: string, epoch: number) {
    this.epoch = epoch;
    this.current = this.slotAt(epoch, true)!;
  }

  /** Moves the current slot to `epoch`, summing up each minute that has ended on the way. */
  roll(epoch: number): void {
    if (epoch <= this.epoch) return; // the wall clock stepped back: keep adding to the current slot
    const from = Math.floor(this.epoch / SLOTS_PER_MINUTE);
    const to = Math.floor(epoch / SLOTS_PER_MINUTE);
    // Events only ever go to the current slot, so minutes before `from` are already summed.
    if (to > from) this.sumMinute(from);
    this.epoch = epoch;
    this.current = this.slotAt(epoch, true)!;
  }

  /** The 10-second slot of `epoch` if it still holds that epoch (made and cleared when `make`). */
  slotAt(epoch: number, make = false): Slot | undefined {
    const i = epoch % SLOT_RING;
    let s = this.slots[i];
    if (s?.epoch === epoch) return s;
    if (!make) return undefined;
    if (s === undefined) this.slots[i] = s = new Slot();
    s.reset(epoch);
    return s;
  }

  minuteAt(minute: number): Slot | undefined {
    const s = this.minutes[minute % MINUTE_RING];
    return s?.epoch === minute ? s : undefined;
  }

  private sumMinute(minute: number): void {
    let m: Slot | undefined;
    for (let e = minute * SLOTS_PER_MINUTE; e < (minute + 1) * SLOTS_PER_MINUTE; e++) {
      const s = this.slotAt(e);
      if (s === undefined || s.empty) continue;
      if (m === undefined) {
        const i = minute % MINUTE_RING;
        m = this.minutes[i] ??= new Slot();
        m.reset(minute);
      }
      m.add(s);
    }
  }
}

function percentiles(h: LogHistogram): Percentiles {
  const round = (v: number | null) => (v === null ? null : Math.round(v * 100) / 100);
  return { p50: round(h.quantile(0.5)), p95: round(h.quantile(0.95)), p99: round(h.quantile(0.99)), count: h.count };
}

export class StatsEngine implements StatsSource {
  readonly name = 'stats-engine';
  private readonly byName = new Map<string, FunctionSlots>();
  /** The last function an event touched: most bursts are of one function. */
  private lastFn: FunctionQueue | null = null;
  private lastSlots: FunctionSlots | null = null;
  private unsubscribe: (() => void)[] = [];
  private startedAt = 0;

  constructor(private readonly engine: Engine, private readonly clock: Clock = engine.clock) {}

  start(): void {
    if (this.unsubscribe.length > 0) return;
    this.startedAt = this.clock.now();
    const ev = this.engine.events;
    this.unsubscribe.push(
      ev.on('job.submitted', (job) => { this.slot(job).submitted++; }),
      ev.on('job.assigned', (job) => {
        // From when the job could run (submitted, or due for scheduled jobs and retries).
        this.slot(job).wait.record(job.startedAt - Math.max(job.submittedAt, job.dueAt));
      }),
      ev.on('job.completed', (job) => {
        const now = this.clock.now();
        const s = this.slot(job, now);
        s.completed++;
        s.runtime.record(now - job.startedAt);
        s.ttc.record(now - job.submittedAt);
      }),
      ev.on('job.failed', (job, reason) => {
        const s = this.slot(job);
        s.failed++;
        if (reason === 'exception') s.exceptions++;
      }),
      // `exceptions` counts attempts that ended in WORK_EXCEPTION, the retried ones too.
      ev.on('job.retrying', (job, outcome) => {
        const s = this.slot(job);
        s.retried++;
        if (outcome === 'exception') s.exceptions++;
      }),
      ev.on('job.cancelled', (job) => { this.slot(job).cancelled++; }),
    );
  }

  stop(): void {
    for (const u of this.unsubscribe) u();
    this.unsubscribe = [];
  }

  stats() {
    return { functions: this.byName.size, startedAt: this.startedAt, running: this.unsubscribe.length > 0 };
  }

  snapshot(window: StatsWindow): StatsSnapshot {
    const now = this.clock.now();
    const epoch = Math.floor(now / SLOT_MS);
    const names = new Set<string>([...this.engine.functions.keys(), ...this.byName.keys()]);
    const functions: FunctionStats[] = [];
    const all = new Slot();
    const totalGauges = { high: 0, normal: 0, low: 0, scheduled: 0, running: 0, workers: 0 };
    const from = this.windowStart(window, now);
    const seconds = Math.max(1, (now - from) / 1000);
    for (const name of [...names].sort()) {
      const fs = this.byName.get(name);
      fs?.roll(epoch);
      const sum = fs === undefined ? new Slot() : this.sumWindow(fs, window, epoch);
      const fq = this.engine.functions.get(name);
      // Functions that were dropped and did nothing in the window are no longer reported.
      if (fq === undefined && sum.empty) continue;
      all.add(sum);
      const queued = { high: fq?.queued[0] ?? 0, normal: fq?.queued[1] ?? 0, low: fq?.queued[2] ?? 0 };
      const row: FunctionStats = {
        function: wireText(name),
        ...this.counts(sum, seconds),
        queued,
        scheduled: fq?.scheduled ?? 0,
        running: fq?.running ?? 0,
        workers: fq?.workers.length ?? 0,
        paused: fq?.paused ?? false,
        oldestWaitingMs: fq === undefined ? null : this.oldestWaiting(fq, now),
        drainEtaMs: fq === undefined ? null : this.drainEta(fq, fs, epoch, now),
      };
      functions.push(row);
      totalGauges.high += queued.high;
      totalGauges.normal += queued.normal;
      totalGauges.low += queued.low;
      totalGauges.scheduled += row.scheduled;
      totalGauges.running += row.running;
      totalGauges.workers += row.workers;
    }
    return {
      window,
      at: now,
      seconds,
      totals: {
        ...this.counts(all, seconds),
        queued: { high: totalGauges.high, normal: totalGauges.normal, low: totalGauges.low },
        scheduled: totalGauges.scheduled,
        running: totalGauges.running,
        workers: totalGauges.workers,
      },
      functions,
    };
  }

  /**
   * The roll-up rows of every minute that has ended after `afterMinute` (minute numbers are
   * ms / 60000) and is still held, oldest first, with the gauges as they are now. Minutes where a
   * function did nothing and held nothing give no row for it. Returns the last minute covered.
   */
  rollupsSince(afterMinute: number): { rows: RollupRecord[]; lastMinute: number } {
    const now = this.clock.now();
    const epoch = Math.floor(now / SLOT_MS);
    const last = Math.floor(now / MINUTE_MS) - 1;
    const first = Math.max(afterMinute + 1, last - MINUTE_RING + 2);
    const rows: RollupRecord[] = [];
    for (const fs of this.byName.values()) fs.roll(epoch);
    const names = new Set<string>([...this.engine.functions.keys(), ...this.byName.keys()]);
    for (let minute = first; minute <= last; minute++) {
      for (const name of names) {
        const m = this.byName.get(name)?.minuteAt(minute);
        const fq = this.engine.functions.get(name);
        // Gauges are only known now: they go on the newest minute's row.
        const gauges = minute === last && fq !== undefined
          ? { queued: fq.queuedTotal, running: fq.running, workers: fq.workers.length }
          : { queued: 0, running: 0, workers: 0 };
        if (m === undefined && gauges.queued + gauges.running + gauges.workers === 0) continue;
        const s = m ?? new Slot();
        const pct = (h: LogHistogram): RollupPercentiles => percentiles(h);
        rows.push({
          fn: name, at: minute * MINUTE_MS,
          submitted: s.submitted, completed: s.completed, failed: s.failed, exceptions: s.exceptions,
          retried: s.retried, cancelled: s.cancelled,
          wait: pct(s.wait), runtime: pct(s.runtime), timeToCompletion: pct(s.ttc),
          ...gauges,
        });
      }
    }
    return { rows, lastMinute: Math.max(afterMinute, last) };
  }

  private slot(job: Job, now = this.clock.now()): Slot {
    let fs: FunctionSlots;
    if (job.fn === this.lastFn) fs = this.lastSlots!;
    else {
      const name = job.fn.name;
      fs = this.byName.get(name) ?? this.track(name, now);
      this.lastFn = job.fn;
      this.lastSlots = fs;
    }
    const epoch = Math.floor(now / SLOT_MS);
    if (epoch !== fs.epoch) fs.roll(epoch);
    return fs.current;
  }

  private track(name: string, now: number): FunctionSlots {
    const fs = new FunctionSlots(name, Math.floor(now / SLOT_MS));
    this.byName.set(name, fs);
    return fs;
  }

  private windowStart(window: StatsWindow, now: number): number {
    const epoch = Math.floor(now / SLOT_MS);
    const start = window === '1h'
      ? (Math.floor(now / MINUTE_MS) - 59) * MINUTE_MS
      : (epoch - WINDOW_MS[window] / SLOT_MS + 1) * SLOT_MS;
    return Math.max(start, this.startedAt);
  }

  private sumWindow(fs: FunctionSlots, window: StatsWindow, epoch: number): Slot {
    const sum = new Slot();
    if (window === '1h') {
      const minute = Math.floor(epoch / SLOTS_PER_MINUTE);
      for (let m = minute - 59; m < minute; m++) {
        const s = fs.minuteAt(m);
        if (s !== undefined) sum.add(s);
      }
      for (let e = minute * SLOTS_PER_MINUTE; e <= epoch; e++) {
        const s = fs.slotAt(e);
        if (s !== undefined) sum.add(s);
      }
      return sum;
    }
    for (let e = epoch - WINDOW_MS[window] / SLOT_MS + 1; e <= epoch; e++) {
      const s = fs.slotAt(e);
      if (s !== undefined) sum.add(s);
    }
    return sum;
  }

  private counts(s: Slot, seconds: number) {
    const finished = s.completed + s.failed;
    return {
      submitted: s.submitted, completed: s.completed, failed: s.failed, exceptions: s.exceptions,
      retried: s.retried, cancelled: s.cancelled,
      throughput: Math.round((s.completed / seconds) * 1000) / 1000,
      failureRate: finished === 0 ? null : s.failed / finished,
      wait: percentiles(s.wait), runtime: percentiles(s.runtime), timeToCompletion: percentiles(s.ttc),
    };
  }

  /** The oldest job waiting to run: the longest-waiting head of the three priority FIFOs. */
  private oldestWaiting(fq: FunctionQueue, now: number): number | null {
    let oldest: number | null = null;
    for (let p = 0; p < 3; p++) {
      const job = fq.oldestQueued(p);
      if (job === undefined) continue;
      const age = Math.max(0, now - Math.max(job.submittedAt, job.dueAt));
      if (oldest === null || age > oldest) oldest = age;
    }
    return oldest;
  }

  /**
   * How fast a function (its wire name) is served now: jobs finished (completed or failed) per
   * second over the last minute, whatever window a snapshot asks for — the basis of the drain and
   * job-start forecasts. The time divided by starts at the first 10-second slot of that minute in
   * which jobs finished (`seconds`), so a function that was idle and is now busy is not read as
   * slow. No rate when the queue is not being served: the function is paused, it has no workers
   * (at once, even if jobs finished moments ago — nobody is left to serve the queue), or nothing
   * finished in the last minute. O(slots of a minute).
   */
  serviceRate(fn: string): ServiceRate {
    const now = this.clock.now();
    const epoch = Math.floor(now / SLOT_MS);
    const fs = this.byName.get(fn);
    fs?.roll(epoch);
    return this.rateOf(this.engine.functions.get(fn), fs, epoch, now);
  }

  private rateOf(fq: FunctionQueue | undefined, fs: FunctionSlots | undefined, epoch: number, now: number): ServiceRate {
    let finished = 0;
    let firstBusy: number | null = null;
    if (fs !== undefined) {
      for (let e = epoch - WINDOW_MS['1m'] / SLOT_MS + 1; e <= epoch; e++) {
        const slot = fs.slotAt(e);
        const n = slot === undefined ? 0 : slot.completed + slot.failed;
        if (n === 0) continue;
        finished += n;
        firstBusy ??= e * SLOT_MS;
      }
    }
    const from = Math.max(this.windowStart('1m', now), firstBusy ?? 0);
    const seconds = Math.max(1, (now - from) / 1000);
    const base = { workers: fq?.workers.length ?? 0, running: fq?.running ?? 0, seconds };
    if (fq?.paused === true) return { ...base, perSecond: null, reason: 'paused' };
    if (base.workers === 0) return { ...base, perSecond: null, reason: 'no-workers' };
    if (finished === 0) return { ...base, perSecond: null, reason: 'no-recent-finishes' };
    return { ...base, perSecond: finished / seconds, reason: null };
  }

  /** When the queue would be empty at the current service rate; 0 when nothing waits, null when not served. */
  private drainEta(fq: FunctionQueue, fs: FunctionSlots | undefined, epoch: number, now: number): number | null {
    const queued = fq.queuedTotal;
    if (queued === 0) return 0;
    const rate = this.rateOf(fq, fs, epoch, now).perSecond;
    return rate === null ? null : Math.round((queued / rate) * 1000);
  }
}
