/**
 * The alert evaluator service: every `intervalMs` it reads the stats (one snapshot per window in
 * use) and the store's health, and moves each rule's alert through
 * inactive → pending → firing → resolved. A condition must hold for the rule's `forSeconds` before
 * the alert fires; it resolves at the first evaluation where it no longer holds. Firing and
 * resolving are sent to the rule's notifiers; every change goes to `onChange` listeners (the live
 * event stream) and into a short per-rule history kept in memory.
 *
 * A metric with no data (no stats source, nothing finished in the window) never satisfies a
 * condition: an alert on it stays or becomes inactive/resolved.
 */
import type { Logger } from 'pino';
import type { Clock, TimerHandle } from '../engine/clock.js';
import type { FunctionStats, StatsSnapshot, StatsSource, StatsWindow } from '../stats/stats-types.js';
import { HISTORY_KEY_PREFIX, parseStoredHistory } from './alert-history.js';
import { compare, parseAlertRule, RULE_KEY_PREFIX, type AlertRule } from './alert-rule.js';
import type { AlertNotifier, AlertState, AlertTransition } from './notifiers.js';
import { toWire } from '../protocol/wire-text.js';

export type RuleSource = 'config' | 'api';

export interface AlertEvaluatorOptions {
  /** Null while no stats engine runs: only store_errors has data then. */
  stats: StatsSource | null;
  /** Whether the store is failing right now (the journal's last commit failed). */
  storeFailing: () => boolean;
  clock: Clock;
  log: Logger;
  notifier: AlertNotifier;
  intervalMs?: number;
  /** Transitions kept per rule. */
  historyLimit?: number;
}

/** A rule and where its alert stands. */
export interface AlertStatus {
  rule: AlertRule;
  source: RuleSource;
  state: AlertState;
  /** The value at the last evaluation. */
  value: number | null;
  /** When the current state began (ms); null before the first change. */
  since: number | null;
  lastEvaluatedAt: number | null;
  /** Oldest first, at most `historyLimit`. */
  history: AlertTransition[];
}

type ChangeListener = (status: AlertStatus, transition: AlertTransition) => void;

const queuedOf = (f: { queued: { high: number; normal: number; low: number } }): number =>
  f.queued.high + f.queued.normal + f.queued.low;

export class AlertEvaluator {
  readonly name = 'alert-evaluator';
  private readonly alerts = new Map<string, AlertStatus>();
  private readonly listeners: ChangeListener[] = [];
  private timer: TimerHandle | null = null;
  private running = false;
  private readonly intervalMs: number;
  private readonly historyLimit: number;
  private readonly counts = { evaluations: 0, transitions: 0, errors: 0, lastError: null as string | null };

  constructor(private readonly options: AlertEvaluatorOptions) {
    this.intervalMs = options.intervalMs ?? 1000;
    this.historyLimit = options.historyLimit ?? 50;
  }

  // ------------------------------------------------------------------------------------ rules

  /** Adds or replaces a rule; a replaced rule's alert starts again from inactive. */
  setRule(rule: AlertRule, source: RuleSource): void {
    this.alerts.set(rule.name, {
      rule, source, state: 'inactive', value: null, since: null, lastEvaluatedAt: null, history: [],
    });
  }

  /**
   * At start: the config file's rules, then rules stored through the API (`alert-rule:<name>`
   * settings) whose names the config file does not use, then each rule's stored history
   * (`alert-history:<name>`, see alert-history.ts). Alerts themselves start inactive and are
   * evaluated afresh.
   */
  restoreRules(configRules: readonly AlertRule[], settings: Record<string, string>): void {
    for (const rule of configRules) this.setRule(rule, 'config');
    for (const [key, value] of Object.entries(settings)) {
      if (!key.startsWith(RULE_KEY_PREFIX)) continue;
      const name = key.slice(RULE_KEY_PREFIX.length);
      if (this.alerts.has(name)) continue;
      try {
        this.setRule(parseAlertRule(JSON.parse(value), key), 'api');
      } catch (e) {
        this.options.log.warn({ key, err: e }, 'ignoring a stored alert rule that no longer parses');
      }
    }
    for (const [key, value] of Object.entries(settings)) {
      if (!key.startsWith(HISTORY_KEY_PREFIX)) continue;
      const alert = this.alerts.get(key.slice(HISTORY_KEY_PREFIX.length));
      if (alert === undefined) continue;
      const history = parseStoredHistory(alert.rule.name, value);
      if (history === null) this.options.log.warn({ key }, 'ignoring a stored alert history that does not parse');
      else alert.history = history.slice(-this.historyLimit);
    }
  }

  deleteRule(name: string): boolean {
    return this.alerts.delete(name);
  }

  get(name: string): AlertStatus | undefined {
    return this.alerts.get(name);
  }

  /** Every rule with its alert, by name. */
  list(): AlertStatus[] {
    return [...this.alerts.values()].sort((a, b) => (a.rule.name < b.rule.name ? -1 : 1));
  }

  /** Called on every state change (pending, firing, resolved, back to inactive). */
  onChange(fn: ChangeListener): () => void {
    this.listeners.push(fn);
    return () => {
      const i = this.listeners.indexOf(fn);
      if (i >= 0) this.listeners.splice(i, 1);
    };
  }

  // ---------------------------------------------------------------------------------- service

  start(): void {
    if (this.running) return;
    this.running = true;
    this.arm();
  }

  stop(): void {
    this.running = false;
    if (this.timer !== null) this.options.clock.clearTimer(this.timer);
    this.timer = null;
    this.options.notifier.stop();
  }

  stats() {
    const byState: Record<AlertState, number> = { inactive: 0, pending: 0, firing: 0, resolved: 0 };
    for (const a of this.alerts.values()) byState[a.state]++;
    return { rules: this.alerts.size, ...byState, ...this.counts, notifier: this.options.notifier.stats() };
  }

  private arm(): void {
    if (!this.running) return;
    this.timer = this.options.clock.setTimer(() => {
      this.timer = null;
      this.evaluate();
      this.arm();
    }, this.intervalMs);
  }

  // ------------------------------------------------------------------------------- evaluation

  /** One pass over every rule at the clock's now. */
  evaluate(): void {
    const now = this.options.clock.now();
    const snapshots = new Map<StatsWindow, StatsSnapshot | null>();
    this.counts.evaluations++;
    for (const alert of this.alerts.values()) {
      let value: number | null;
      try {
        value = this.valueOf(alert.rule, snapshots);
      } catch (e) {
        this.counts.errors++;
        this.counts.lastError = (e as Error).message;
        this.options.log.warn({ err: e, rule: alert.rule.name }, 'alert rule could not be evaluated');
        value = null;
      }
      alert.value = value;
      alert.lastEvaluatedAt = now;
      this.step(alert, value, now);
    }
  }

  private step(alert: AlertStatus, value: number | null, now: number): void {
    const { rule } = alert;
    const holds = value !== null && compare(value, rule.op, rule.threshold);
    switch (alert.state) {
      case 'inactive':
      case 'resolved':
        if (holds) this.change(alert, rule.forSeconds === 0 ? 'firing' : 'pending', value, now);
        break;
      case 'pending':
        if (!holds) this.change(alert, 'inactive', value, now);
        else if (now - alert.since! >= rule.forSeconds * 1000) this.change(alert, 'firing', value, now);
        break;
      case 'firing':
        if (!holds) this.change(alert, 'resolved', value, now);
        break;
    }
  }

  private change(alert: AlertStatus, to: AlertState, value: number | null, now: number): void {
    const t: AlertTransition = { rule: alert.rule.name, from: alert.state, to, at: now, value };
    alert.state = to;
    alert.since = now;
    alert.history.push(t);
    if (alert.history.length > this.historyLimit) alert.history.splice(0, alert.history.length - this.historyLimit);
    this.counts.transitions++;
    this.options.notifier.notify(alert.rule, t);
    for (const fn of [...this.listeners]) {
      try {
        fn(alert, t);
      } catch (e) {
        this.options.log.error({ err: e }, 'alert change listener failed');
      }
    }
  }

  private valueOf(rule: AlertRule, snapshots: Map<StatsWindow, StatsSnapshot | null>): number | null {
    if (rule.metric === 'store_errors') return this.options.storeFailing() ? 1 : 0;
    const source = this.options.stats;
    if (source === null) return null;
    let snap = snapshots.get(rule.window);
    if (snap === undefined) snapshots.set(rule.window, (snap = source.snapshot(rule.window)));
    if (snap === null) return null;
    if (rule.function === undefined) return this.serverValue(rule, snap);
    const name = rule.function;
    const wire = toWire(name);
    const f = snap.functions.find((x) => x.function === name || x.function === wire);
    if (f === undefined) return rule.metric === 'queue_depth' || rule.metric === 'no_workers' ? 0 : null;
    return functionValue(rule, f);
  }

  /** A rule without a function: totals, the oldest job of any function, functions without workers. */
  private serverValue(rule: AlertRule, snap: StatsSnapshot): number | null {
    const t = snap.totals;
    switch (rule.metric) {
      case 'queue_depth': return queuedOf(t);
      case 'failure_rate': return t.failureRate;
      case 'runtime_p95_ms': return t.runtime.p95;
      case 'runtime_p99_ms': return t.runtime.p99;
      case 'ttc_p95_ms': return t.timeToCompletion.p95;
      case 'oldest_job_age_ms': {
        let oldest: number | null = null;
        for (const f of snap.functions) {
          if (f.oldestWaitingMs !== null && (oldest === null || f.oldestWaitingMs > oldest)) oldest = f.oldestWaitingMs;
        }
        return oldest;
      }
      case 'no_workers': {
        let n = 0;
        for (const f of snap.functions) if (functionValue(rule, f) === 1) n++;
        return n;
      }
      case 'store_errors': return null; // handled before
    }
  }
}

function functionValue(rule: AlertRule, f: FunctionStats): number | null {
  switch (rule.metric) {
    case 'queue_depth': return queuedOf(f);
    case 'oldest_job_age_ms': return f.oldestWaitingMs;
    case 'failure_rate': return f.failureRate;
    case 'runtime_p95_ms': return f.runtime.p95;
    case 'runtime_p99_ms': return f.runtime.p99;
    case 'ttc_p95_ms': return f.timeToCompletion.p95;
    // Jobs wait (ready to run, not merely scheduled for later) and nobody can take them.
    case 'no_workers': return queuedOf(f) > 0 && f.workers === 0 ? 1 : 0;
    case 'store_errors': return null;
  }
}
