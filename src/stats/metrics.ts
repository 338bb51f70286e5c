/**
 * Prometheus metrics, fed by the engine's events (the engine never calls this). Counters and
 * histograms are updated as jobs move; queue gauges are read from the engine when scraped. What
 * every job touches (submitted, completed, the three time histograms) lives in hot-metrics.ts
 * cells; the rarer outcomes (failures, retries, cancels) use prom-client's labelled counters.
 */
import client from 'prom-client';
import type { Engine } from '../engine/engine.js';
import { PRIORITY_NAMES } from '../engine/job.js';
import { wireText as label } from '../protocol/wire-text.js';
import type { BackPressure, StoreBacklog } from '../store/journal.js';
import { FunctionCounter, FunctionHistogram } from './hot-metrics.js';

const PRESSURE_LEVEL: Record<BackPressure, number> = { none: 0, 'new-work': 1, everything: 2 };

const TIME_BUCKETS = [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600];

export class Metrics {
  readonly registry = new client.Registry();
  private readonly submitted: FunctionCounter;
  private readonly completed: FunctionCounter;
  private readonly failed: client.Counter<'function' | 'reason'>;
  private readonly requeued: client.Counter<'function' | 'reason'>;
  private readonly retried: client.Counter<'function' | 'outcome'>;
  private readonly cancelled: client.Counter<'function'>;
  private readonly abandoned: client.Counter<'function'>;
  private readonly wait: FunctionHistogram;
  private readonly runtime: FunctionHistogram;
  private readonly completion: FunctionHistogram;
  private readonly unsubscribe: (() => void)[] = [];

  /**
   * `storeBacklog`: what the journal holds for the store (null: no store to wait for);
   * `storeDisk`: the store's files on disk by part (null: none on this machine).
   */
  constructor(
    private readonly engine: Engine,
    connections: () => number,
    storeBacklog: (() => StoreBacklog) | null = null,
    storeDisk: (() => Record<string, number>) | null = null,
  ) {
    const r = this.registry;
    const counter = <L extends string>(name: string, help: string, labelNames: L[]) =>
      new client.Counter<L>({ name, help, labelNames, registers: [r] });
    const histogram = (name: string, help: string) => new FunctionHistogram(r, name, help, TIME_BUCKETS);
    this.submitted = new FunctionCounter(r, 'gearhq_jobs_submitted_total', 'Jobs created (coalesced submissions not counted).');
    this.completed = new FunctionCounter(r, 'gearhq_jobs_completed_total', 'Jobs that ended with WORK_COMPLETE.');
    this.failed = counter('gearhq_jobs_failed_total', 'Jobs that ended failed, by reason.', ['function', 'reason']);
    this.requeued = counter('gearhq_jobs_requeued_total', 'Running jobs put back in the queue, by reason.', ['function', 'reason']);
    this.retried = counter('gearhq_jobs_retried_total', 'Attempts that a retry policy followed with another, by outcome.', ['function', 'outcome']);
    this.cancelled = counter('gearhq_jobs_cancelled_total', 'Jobs cancelled.', ['function']);
    this.abandoned = counter('gearhq_jobs_abandoned_total', 'Foreground jobs dropped because their clients left.', ['function']);
    this.wait = histogram('gearhq_job_wait_seconds', 'From when a job could run (submitted or due) to its start.');
    this.runtime = histogram('gearhq_job_runtime_seconds', 'From start to WORK_COMPLETE of the successful attempt.');
    this.completion = histogram('gearhq_job_completion_seconds', 'From submission to completion.');

    const gauge = (name: string, help: string, labelNames: string[], collect: (g: client.Gauge<string>) => void) =>
      new client.Gauge({ name, help, labelNames, registers: [r], collect() { this.reset(); collect(this); } });
    gauge('gearhq_queue_depth', 'Jobs waiting to run, by priority.', ['function', 'priority'], (g) => {
      for (const f of engine.functions.values()) {
        for (let p = 0; p < 3; p++) g.set({ function: label(f.name), priority: PRIORITY_NAMES[p]! }, f.queued[p]!);
      }
    });
    gauge('gearhq_jobs_scheduled', 'Jobs waiting for their due time.', ['function'], (g) => {
      for (const f of engine.functions.values()) g.set({ function: label(f.name) }, f.scheduled);
    });
    gauge('gearhq_jobs_running', 'Jobs a worker holds.', ['function'], (g) => {
      for (const f of engine.functions.values()) g.set({ function: label(f.name) }, f.running);
    });
    gauge('gearhq_workers', 'Worker connections registered for the function.', ['function'], (g) => {
      for (const f of engine.functions.values()) g.set({ function: label(f.name) }, f.workers.length);
    });
    gauge('gearhq_function_paused', '1 when the function is paused.', ['function'], (g) => {
      for (const f of engine.functions.values()) g.set({ function: label(f.name) }, f.paused ? 1 : 0);
    });
    gauge('gearhq_connections', 'Open Gearman connections.', [], (g) => g.set(connections()));
    if (storeBacklog !== null) {
      gauge('gearhq_store_backlog_jobs', 'Jobs with changes not stored yet.', [], (g) => g.set(storeBacklog().jobs));
      gauge('gearhq_store_backlog_bytes', 'Payload, result and error bytes of those changes.', [],
        (g) => g.set(storeBacklog().bytes));
      gauge('gearhq_store_back_pressure', 'The store is behind: 1 = new work held back, 2 = no peer read; 0 = caught up.', [],
        (g) => g.set(PRESSURE_LEVEL[storeBacklog().pressure]));
      new client.Counter({
        name: 'gearhq_store_fell_behind_total', help: 'Times the store fell behind and new work was held back.',
        registers: [r], collect() { this.reset(); this.inc(storeBacklog().fellBehind); },
      });
    }

    if (storeDisk !== null) {
      gauge('gearhq_store_disk_bytes', 'Bytes the store\'s files take on disk, by part (database, wal, blobs).', ['part'], (g) => {
        for (const [part, bytes] of Object.entries(storeDisk())) g.set({ part }, bytes);
      });
    }

    const ev = engine.events;
    this.unsubscribe.push(
      ev.on('job.submitted', (job) => { this.submitted.cell(job.fn.name).value++; }),
      ev.on('job.assigned', (job) => {
        const ready = Math.max(job.submittedAt, job.dueAt);
        this.wait.observe(this.wait.cell(job.fn.name), Math.max(0, job.startedAt - ready) / 1000);
      }),
      ev.on('job.completed', (job) => {
        const now = engine.clock.now();
        const fn = job.fn.name;
        this.completed.cell(fn).value++;
        this.runtime.observe(this.runtime.cell(fn), Math.max(0, now - job.startedAt) / 1000);
        this.completion.observe(this.completion.cell(fn), Math.max(0, now - job.submittedAt) / 1000);
      }),
      ev.on('job.failed', (job, reason) => this.failed.inc({ function: label(job.fn.name), reason })),
      ev.on('job.requeued', (job, reason) => this.requeued.inc({ function: label(job.fn.name), reason })),
      ev.on('job.retrying', (job, outcome) => this.retried.inc({ function: label(job.fn.name), outcome })),
      ev.on('job.cancelled', (job) => this.cancelled.inc({ function: label(job.fn.name) })),
      ev.on('job.abandoned', (job) => this.abandoned.inc({ function: label(job.fn.name) })),
    );
  }

  /** The Prometheus text exposition. */
  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  stop(): void {
    for (const u of this.unsubscribe) u();
  }
}
