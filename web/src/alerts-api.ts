/**
 * Alert rules and alerts as /api/v1/alerts/rules and /api/v1/alerts return them
 * (src/http/routes-alerts.ts, src/alerts/alert-rule.ts), what each metric means and how its
 * values read, and the calls the alerts page makes.
 */
import { api } from './api';
import { fmtCount, fmtDuration, fmtPercent } from './format';

export const METRICS = [
  'queue_depth', 'oldest_job_age_ms', 'failure_rate', 'runtime_p95_ms', 'runtime_p99_ms', 'ttc_p95_ms', 'no_workers', 'store_errors',
] as const;
export type Metric = (typeof METRICS)[number];
export const OPS = ['>', '>=', '<', '<=', '=='] as const;
export type Op = (typeof OPS)[number];
export const WINDOWS = ['1m', '5m', '1h'] as const;
export type Window = (typeof WINDOWS)[number];

export type NotifyTarget =
  | { type: 'log' }
  | { type: 'webhook'; url: string; headers?: Record<string, string>; timeoutMs?: number; maxAttempts?: number };

export interface AlertRule {
  name: string;
  metric: Metric;
  /** Absent: the server as a whole. */
  function?: string;
  window: Window;
  op: Op;
  threshold: number;
  forSeconds: number;
  notify: NotifyTarget[];
}

export interface RuleView extends AlertRule {
  /** 'config': from the config file, read-only through the API. */
  source: 'api' | 'config';
}

export type AlertState = 'inactive' | 'pending' | 'firing' | 'resolved';

export interface Transition {
  from: AlertState;
  to: AlertState;
  at: string;
  value: number | null;
}

export interface Alert {
  rule: string;
  metric: Metric;
  function: string | null;
  op: Op;
  threshold: number;
  forSeconds: number;
  state: AlertState;
  /** At the last evaluation; null = no data. */
  value: number | null;
  since: string | null;
  lastEvaluatedAt: string | null;
  /** Oldest first. */
  history: Transition[];
}

type Unit = 'count' | 'ms' | 'ratio' | 'flag';

interface MetricInfo {
  label: string;
  unit: Unit;
  /** What the value is, for the form. */
  hint: string;
  /** Read over the rule's stats window (the others are the state now). */
  windowed: boolean;
}

export const METRIC_INFO: Record<Metric, MetricInfo> = {
  queue_depth: { label: 'Queue depth', unit: 'count', hint: 'jobs waiting to run now', windowed: false },
  oldest_job_age_ms: { label: 'Oldest waiting job', unit: 'ms', hint: 'how long the oldest waiting job has waited (ms)', windowed: false },
  failure_rate: { label: 'Failure rate', unit: 'ratio', hint: 'failed ÷ finished in the window (threshold in %)', windowed: true },
  runtime_p95_ms: { label: 'Runtime p95', unit: 'ms', hint: '95th percentile of run time in the window (ms)', windowed: true },
  runtime_p99_ms: { label: 'Runtime p99', unit: 'ms', hint: '99th percentile of run time in the window (ms)', windowed: true },
  ttc_p95_ms: { label: 'Time to completion p95', unit: 'ms', hint: 'submission to finish, 95th percentile in the window (ms)', windowed: true },
  no_workers: { label: 'No workers while jobs wait', unit: 'flag', hint: 'jobs wait and no worker can take them (server-wide: how many functions)', windowed: false },
  store_errors: { label: 'Store errors', unit: 'flag', hint: 'the store is failing (server-wide only)', windowed: false },
};

/** A metric's value as people read it; `fn` tells a per-function yes/no from a server-wide count. */
export function fmtMetric(metric: Metric, value: number | null, fn: string | null | undefined): string {
  if (value === null) return 'no data';
  switch (METRIC_INFO[metric].unit) {
    case 'ms': return fmtDuration(value);
    case 'ratio': return fmtPercent(value);
    case 'count': return fmtCount(value);
    case 'flag':
      if (metric === 'store_errors') return value > 0 ? 'failing' : 'ok';
      if (fn) return value > 0 ? 'yes' : 'no';
      return `${fmtCount(value)} function${value === 1 ? '' : 's'}`;
  }
}

/** "Queue depth of resize > 2 for 30 s (5m window)". */
export function conditionText(r: { metric: Metric; function?: string | null; op: Op; threshold: number; forSeconds: number; window?: Window }): string {
  const info = METRIC_INFO[r.metric];
  const what = `${info.label}${r.function ? ` of ${r.function}` : ''}`;
  // A yes/no metric with its default condition reads as the statement itself.
  const plain = info.unit === 'flag' && r.op === '>' && r.threshold === 0;
  const bound = info.unit === 'flag' ? String(r.threshold) : fmtMetric(r.metric, r.threshold, r.function);
  let s = plain ? what : `${what} ${r.op} ${bound}`;
  if (r.forSeconds > 0) s += ` for ${forText(r.forSeconds)}`;
  if (info.windowed && r.window) s += ` (${r.window} window)`;
  return s;
}

/** A rule's `forSeconds` as people say it: "2 min", "1 h", "90 s" → "1 min 30 s". */
function forText(seconds: number): string {
  if (seconds >= 3600 && seconds % 3600 === 0) return `${seconds / 3600} h`;
  if (seconds >= 60 && seconds % 60 === 0) return `${seconds / 60} min`;
  return fmtDuration(seconds * 1000);
}

export const rulePath = (name: string): string => `/api/v1/alerts/rules/${encodeURIComponent(name)}`;

export function createRule(rule: Partial<AlertRule>): Promise<RuleView> {
  return api<RuleView>('/api/v1/alerts/rules', { method: 'POST', body: rule });
}

/** Replaces a rule (PUT): its alert starts again from inactive. */
export function replaceRule(name: string, rule: Partial<AlertRule>): Promise<RuleView> {
  return api<RuleView>(rulePath(name), { method: 'PUT', body: { ...rule, name: undefined } });
}

export function deleteRule(name: string): Promise<void> {
  return api<void>(rulePath(name), { method: 'DELETE' });
}
