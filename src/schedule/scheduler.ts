/**
 * The cron scheduler service: one timer per enabled schedule; at each tick it submits an
 * ordinary background job and records the firing with the job in the same store batch, so a tick
 * fires once even across crashes (either both are stored or neither, and a restart resumes after
 * the last stored tick). Missed ticks after downtime are skipped or run once, per schedule.
 */
import type { Logger } from 'pino';
import type { TimerHandle } from '../engine/clock.js';
import type { Engine } from '../engine/engine.js';
import { payloadText } from '../engine/job.js';
import type { Journal } from '../store/journal.js';
import { lastTickBetween, nextTick, nextTicks, priorityOf, type ScheduleDef } from './cron-schedule.js';

/** Firings kept per schedule for `recentRuns` (in memory: since this process started). */
export const RECENT_RUNS = 10;

/** One tick that fired: the job it submitted, or the error that refused the submission. */
export interface ScheduleRun {
  at: number;
  handle: string | null;
  error: string | null;
}

interface ScheduleState {
  def: ScheduleDef;
  lastTick: number | null;
  nextTick: number | null;
  timer: TimerHandle | null;
  lastJob: string | null;
  lastError: string | null;
  /** Newest first, at most RECENT_RUNS. */
  recentRuns: ScheduleRun[];
}

export interface ScheduleView extends ScheduleDef {
  lastRunAt: number | null;
  lastJob: string | null;
  lastError: string | null;
  nextRuns: number[];
  recentRuns: ScheduleRun[];
}

export class Scheduler {
  readonly name = 'scheduler';
  private readonly schedules = new Map<string, ScheduleState>();
  private started = false;
  private fired = 0;

  constructor(
    private readonly engine: Engine,
    private readonly journal: Journal | null,
    private readonly log: Logger,
  ) {}

  /** Starts every schedule, resuming after the ticks already fired (`lastFired`, from the store). */
  start(defs: ScheduleDef[], lastFired: Record<string, number>): void {
    this.started = true;
    const now = this.engine.clock.now();
    for (const def of defs) {
      const state: ScheduleState = {
        def, lastTick: lastFired[def.name] ?? null, nextTick: null, timer: null, lastJob: null, lastError: null, recentRuns: [],
      };
      this.schedules.set(def.name, state);
      if (!def.enabled) continue;
      if (state.lastTick !== null && def.missed === 'run-once') {
        const missed = lastTickBetween(def, state.lastTick, now);
        if (missed !== null) this.fire(state, missed);
      }
      this.arm(state, Math.max(now, state.lastTick ?? now));
    }
  }

  stop(): void {
    this.started = false;
    for (const s of this.schedules.values()) this.disarm(s);
  }

  stats() {
    return { schedules: this.schedules.size, fired: this.fired };
  }

  list(previews = 5): ScheduleView[] {
    return [...this.schedules.values()].map((s) => this.view(s, previews));
  }

  get(name: string, previews = 5): ScheduleView | null {
    const s = this.schedules.get(name);
    return s === undefined ? null : this.view(s, previews);
  }

  /**
   * What `put(def)` would make of the schedule, without changing anything: the same view, with
   * the next runs `def` gives (dry runs of the API's create and change).
   */
  preview(def: ScheduleDef, previews = 5): ScheduleView {
    return this.view(replacementState(def, this.schedules.get(def.name)), previews);
  }

  /** Adds a schedule, or replaces the one with the same name (keeping its last tick). */
  put(def: ScheduleDef): void {
    const old = this.schedules.get(def.name);
    if (old !== undefined) this.disarm(old);
    const state = replacementState(def, old);
    this.schedules.set(def.name, state);
    if (def.enabled && this.started) this.arm(state, Math.max(this.engine.clock.now(), state.lastTick ?? 0));
  }

  remove(name: string): boolean {
    const s = this.schedules.get(name);
    if (s === undefined) return false;
    this.disarm(s);
    this.schedules.delete(name);
    return true;
  }

  /** Pauses or resumes a schedule; false if there is none by that name. */
  setEnabled(name: string, enabled: boolean): boolean {
    const s = this.schedules.get(name);
    if (s === undefined) return false;
    s.def = { ...s.def, enabled };
    this.disarm(s);
    if (enabled && this.started) this.arm(s, this.engine.clock.now());
    return true;
  }

  private view(s: ScheduleState, previews: number): ScheduleView {
    return {
      ...s.def, lastRunAt: s.lastTick, lastJob: s.lastJob, lastError: s.lastError, recentRuns: [...s.recentRuns],
      nextRuns: s.def.enabled ? nextTicks(s.def, Math.max(this.engine.clock.now(), s.lastTick ?? 0), previews) : [],
    };
  }

  private arm(s: ScheduleState, after: number): void {
    const next = nextTick(s.def, after);
    s.nextTick = next;
    if (next === null) return;
    const clock = this.engine.clock;
    s.timer = clock.setTimer(() => {
      s.timer = null;
      const now = clock.now();
      // Long waits are cut into pieces by the clock: re-arm until the tick has really come.
      if (now < next) {
        this.arm(s, after);
        return;
      }
      this.fire(s, next);
      this.arm(s, next);
    }, Math.max(0, next - clock.now()));
  }

  private disarm(s: ScheduleState): void {
    if (s.timer !== null) this.engine.clock.clearTimer(s.timer);
    s.timer = null;
    s.nextTick = null;
  }

  private fire(s: ScheduleState, tick: number): void {
    const def = s.def;
    s.lastTick = tick;
    this.fired++;
    const result = this.engine.submit(null, {
      fn: def.function,
      unique: def.unique ?? `schedule:${def.name}:${tick}`,
      payload: payloadText(Buffer.from(def.payload)),
      priority: priorityOf(def),
      background: true,
      dueAt: 0,
      reducer: '',
    });
    const run: ScheduleRun = { at: tick, handle: typeof result === 'string' ? null : result.handle, error: typeof result === 'string' ? result : null };
    s.recentRuns.unshift(run);
    if (s.recentRuns.length > RECENT_RUNS) s.recentRuns.length = RECENT_RUNS;
    if (typeof result === 'string') {
      s.lastError = result;
      this.log.warn({ schedule: def.name, tick: new Date(tick).toISOString(), error: result }, 'schedule could not submit its job');
      this.journal?.recordFiring(def.name, tick, null);
      return;
    }
    s.lastError = null;
    s.lastJob = result.handle;
    this.journal?.recordFiring(def.name, tick, result);
    this.log.debug({ schedule: def.name, tick: new Date(tick).toISOString(), handle: result.handle }, 'schedule fired');
  }
}

/**
 * The state of a schedule (re)defined as `def`: its history (last tick, last job, recent runs)
 * carries over; an error of the old definition does not.
 */
function replacementState(def: ScheduleDef, old: ScheduleState | undefined): ScheduleState {
  return {
    def, lastTick: old?.lastTick ?? null, nextTick: null, timer: null, lastJob: old?.lastJob ?? null, lastError: null,
    recentRuns: old?.recentRuns ?? [],
  };
}
