/**
 * A StatsSource whose numbers the test sets: `set(fn, {queued: …, failureRate: …})` changes what
 * the next snapshot reports for that function (and the totals, summed).
 */
import type { FunctionStats, Percentiles, StatsSnapshot, StatsSource, StatsWindow } from '../../src/stats/stats-types.js';

const none = (): Percentiles => ({ p50: null, p95: null, p99: null, count: 0 });

export interface FakeFunction {
  queued?: number;
  workers?: number;
  failureRate?: number | null;
  runtimeP95?: number | null;
  oldestWaitingMs?: number | null;
}

export class FakeStats implements StatsSource {
  readonly functions = new Map<string, FakeFunction>();
  snapshots = 0;

  set(fn: string, values: FakeFunction): void {
    this.functions.set(fn, { ...this.functions.get(fn), ...values });
  }

  snapshot(window: StatsWindow): StatsSnapshot {
    this.snapshots++;
    const functions: FunctionStats[] = [...this.functions].map(([name, v]) => ({
      function: name, submitted: 0, completed: 0, failed: 0, exceptions: 0, retried: 0, cancelled: 0,
      throughput: 0, failureRate: v.failureRate ?? null,
      wait: none(), runtime: { ...none(), p95: v.runtimeP95 ?? null }, timeToCompletion: none(),
      queued: { high: 0, normal: v.queued ?? 0, low: 0 }, scheduled: 0, running: 0, workers: v.workers ?? 0,
      paused: false, oldestWaitingMs: v.oldestWaitingMs ?? null, drainEtaMs: null,
    }));
    const sum = (pick: (f: FunctionStats) => number) => functions.reduce((n, f) => n + pick(f), 0);
    return {
      window, at: 0, seconds: 60, functions,
      totals: {
        submitted: 0, completed: 0, failed: 0, exceptions: 0, retried: 0, cancelled: 0, throughput: 0,
        failureRate: null, wait: none(), runtime: none(), timeToCompletion: none(),
        queued: { high: 0, normal: sum((f) => f.queued.normal), low: 0 }, scheduled: 0, running: 0,
        workers: sum((f) => f.workers),
      },
    };
  }
}
