/**
 * A Clock for engine tests: time stands still until the test advances it, and `advance` fires
 * every timer that falls due on the way, in due order (ties in the order they were set), with
 * `now()` reading each timer's own due time while it runs. Timers set by a firing timer are
 * honoured in the same advance when they fall inside it.
 */
import type { Clock, TimerHandle } from '../../src/engine/clock.js';

interface FakeTimer {
  readonly id: number;
  readonly at: number;
  readonly fn: () => void;
}

export class FakeClock implements Clock {
  private time: number;
  private nextId = 1;
  private readonly timers = new Map<number, FakeTimer>();
  /** Every delay ever passed to setTimer, for tests that check what was armed. */
  readonly delays: number[] = [];

  constructor(start = Date.UTC(2025, 0, 1, 12, 0, 0)) {
    this.time = start;
  }

  now(): number {
    return this.time;
  }

  setTimer(fn: () => void, ms: number): TimerHandle {
    if (!(ms >= 0)) throw new Error(`FakeClock: bad delay ${ms}`);
    const timer: FakeTimer = { id: this.nextId++, at: this.time + ms, fn };
    this.timers.set(timer.id, timer);
    this.delays.push(ms);
    return timer;
  }

  clearTimer(handle: TimerHandle): void {
    this.timers.delete((handle as FakeTimer).id);
  }

  /** Timers not yet fired or cleared. */
  get pendingTimers(): number {
    return this.timers.size;
  }

  /** Due times of the pending timers, earliest first. */
  pendingDueTimes(): number[] {
    return [...this.timers.values()].map((t) => t.at).sort((a, b) => a - b);
  }

  /** Moves time forward by `ms`, firing due timers in order. */
  advance(ms: number): void {
    if (ms < 0) throw new Error('FakeClock: time only moves forward');
    this.advanceTo(this.time + ms);
  }

  /** Moves time forward to `target`, firing due timers in order. */
  advanceTo(target: number): void {
    if (target < this.time) throw new Error('FakeClock: time only moves forward');
    for (;;) {
      const next = this.earliest();
      if (next === undefined || next.at > target) break;
      this.timers.delete(next.id);
      if (next.at > this.time) this.time = next.at;
      next.fn();
    }
    this.time = target;
  }

  private earliest(): FakeTimer | undefined {
    let best: FakeTimer | undefined;
    for (const t of this.timers.values()) {
      if (best === undefined || t.at < best.at || (t.at === best.at && t.id < best.id)) best = t;
    }
    return best;
  }
}
