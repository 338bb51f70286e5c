/**
 * Alert rules: what to watch, when it counts as a problem and whom to tell. Parsed and checked
 * once (config file, API, stored settings) by `parseAlertRule`; everything downstream takes a
 * checked `AlertRule`.
 */
import { STATS_WINDOWS, type StatsWindow } from '../stats/stats-types.js';

export const ALERT_METRICS = [
  'queue_depth', 'oldest_job_age_ms', 'failure_rate', 'runtime_p95_ms', 'runtime_p99_ms',
  'ttc_p95_ms', 'no_workers', 'store_errors',
] as const;
export type AlertMetric = (typeof ALERT_METRICS)[number];

export const ALERT_OPS = ['>', '>=', '<', '<=', '=='] as const;
export type AlertOp = (typeof ALERT_OPS)[number];

export interface WebhookTarget {
  type: 'webhook';
  url: string;
  /** Extra request headers (an Authorization header for the receiver, say). */
  headers: Record<string, string>;
  /** Per attempt. */
  timeoutMs: number;
  /** Attempts in total, the first included. */
  maxAttempts: number;
}

export interface LogTarget {
  type: 'log';
}

export type NotifyTarget = WebhookTarget | LogTarget;

export interface AlertRule {
  name: string;
  metric: AlertMetric;
  /** Absent: the server as a whole (totals; the oldest waiting job of any function; …). */
  function?: string;
  window: StatsWindow;
  op: AlertOp;
  threshold: number;
  /** How long the condition must hold before the alert fires. */
  forSeconds: number;
  notify: NotifyTarget[];
}

/** Rules made through the API are stored as the setting `alert-rule:<name>` (JSON). */
export const RULE_KEY_PREFIX = 'alert-rule:';
export const ruleKey = (name: string): string => `${RULE_KEY_PREFIX}${name}`;

export class AlertRuleError extends Error {
  override name = 'AlertRuleError';
}

/** Metrics that are yes/no (1 or 0): `op` and `threshold` may be left out and mean "> 0". */
const BOOLEAN_METRICS: readonly AlertMetric[] = ['no_workers', 'store_errors'];
const RULE_FIELDS = ['name', 'metric', 'function', 'window', 'op', 'threshold', 'forSeconds', 'notify'];
const WEBHOOK_FIELDS = ['type', 'url', 'headers', 'timeoutMs', 'maxAttempts'];
const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/;

const quote = (v: unknown): string => JSON.stringify(v) ?? String(v);

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function checkFields(o: Record<string, unknown>, allowed: readonly string[], where: string): void {
  for (const k of Object.keys(o)) {
    if (!allowed.includes(k)) throw new AlertRuleError(`${where}: unknown field ${quote(k)} (known: ${allowed.join(', ')})`);
  }
}

function parseTarget(v: unknown, where: string): NotifyTarget {
  if (!isObject(v)) throw new AlertRuleError(`${where}: expected an object like {"type": "webhook", "url": "https://…"} or {"type": "log"}`);
  if (v.type === 'log') {
    checkFields(v, ['type'], where);
    return { type: 'log' };
  }
  if (v.type !== 'webhook') throw new AlertRuleError(`${where}.type: expected "webhook" or "log", got ${quote(v.type)}`);
  checkFields(v, WEBHOOK_FIELDS, where);
  if (typeof v.url !== 'string') throw new AlertRuleError(`${where}.url: expected an http(s) URL`);
  let url: URL;
  try {
    url = new URL(v.url);
  } catch {
    throw new AlertRuleError(`${where}.url: not a URL: ${quote(v.url)}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new AlertRuleError(`${where}.url: expected http or https, got ${quote(url.protocol)}`);
  }
  const headers: Record<string, string> = {};
  if (v.headers !== undefined) {
    if (!isObject(v.headers)) throw new AlertRuleError(`${where}.headers: expected an object of header names to strings`);
    for (const [k, h] of Object.entries(v.headers)) {
      if (typeof h !== 'string') throw new AlertRuleError(`${where}.headers.${k}: expected a string`);
      headers[k] = h;
    }
  }
  const int = (value: unknown, field: string, min: number, max: number, dflt: number): number => {
    if (value === undefined) return dflt;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      throw new AlertRuleError(`${where}.${field}: expected an integer from ${min} to ${max}, got ${quote(value)}`);
    }
    return value;
  };
  return {
    type: 'webhook', url: url.href, headers,
    timeoutMs: int(v.timeoutMs, 'timeoutMs', 100, 120_000, 5000),
    maxAttempts: int(v.maxAttempts, 'maxAttempts', 1, 20, 5),
  };
}

/** Checks one rule (from JSON) and fills in defaults; throws AlertRuleError saying what is wrong. */
export function parseAlertRule(v: unknown, where = 'alert rule'): AlertRule {
  if (!isObject(v)) throw new AlertRuleError(`${where}: expected an object like {"name", "metric", "op", "threshold", "forSeconds"}`);
  if (typeof v.name === 'string') where = `${where} ${quote(v.name)}`;
  checkFields(v, RULE_FIELDS, where);
  if (typeof v.name !== 'string' || !NAME_RE.test(v.name)) {
    throw new AlertRuleError(`${where}: name must be 1 to 128 letters, digits or _ . : - (starting with a letter or digit), got ${quote(v.name)}`);
  }
  if (!ALERT_METRICS.includes(v.metric as AlertMetric)) {
    throw new AlertRuleError(`${where}: metric must be one of ${ALERT_METRICS.join(', ')}, got ${quote(v.metric)}`);
  }
  const metric = v.metric as AlertMetric;
  const boolean = BOOLEAN_METRICS.includes(metric);
  const rule: AlertRule = {
    name: v.name, metric, window: '5m', op: '>', threshold: 0, forSeconds: 0, notify: [{ type: 'log' }],
  };
  if (v.function !== undefined) {
    if (typeof v.function !== 'string' || v.function.length === 0) throw new AlertRuleError(`${where}: function must be a non-empty string`);
    if (metric === 'store_errors') throw new AlertRuleError(`${where}: store_errors is server-wide; leave out "function"`);
    rule.function = v.function;
  }
  if (v.window !== undefined) {
    if (!STATS_WINDOWS.includes(v.window as StatsWindow)) {
      throw new AlertRuleError(`${where}: window must be one of ${STATS_WINDOWS.join(', ')}, got ${quote(v.window)}`);
    }
    rule.window = v.window as StatsWindow;
  }
  if (v.op !== undefined || !boolean) {
    if (!ALERT_OPS.includes(v.op as AlertOp)) throw new AlertRuleError(`${where}: op must be one of ${ALERT_OPS.join(' ')}, got ${quote(v.op)}`);
    rule.op = v.op as AlertOp;
  }
  if (v.threshold !== undefined || !boolean) {
    if (typeof v.threshold !== 'number' || !Number.isFinite(v.threshold)) {
      throw new AlertRuleError(`${where}: threshold must be a number, got ${quote(v.threshold)}`);
    }
    if (metric === 'failure_rate' && (v.threshold < 0 || v.threshold > 1)) {
      throw new AlertRuleError(`${where}: a failure_rate threshold is a fraction from 0 to 1 (0.05 = 5%), got ${v.threshold}`);
    }
    rule.threshold = v.threshold;
  }
  if (typeof v.forSeconds !== 'number' || !Number.isFinite(v.forSeconds) || v.forSeconds < 0 || v.forSeconds > 7 * 86400) {
    throw new AlertRuleError(`${where}: forSeconds must be a number of seconds from 0 to 604800, got ${quote(v.forSeconds)}`);
  }
  rule.forSeconds = v.forSeconds;
  if (v.notify !== undefined) {
    if (!Array.isArray(v.notify)) throw new AlertRuleError(`${where}: notify must be a list of targets`);
    if (v.notify.length > 10) throw new AlertRuleError(`${where}: notify lists at most 10 targets`);
    rule.notify = v.notify.map((t, i) => parseTarget(t, `${where}: notify[${i}]`));
  }
  return rule;
}

/** A list of rules with distinct names (the config file's `alert-rules`). */
export function parseAlertRules(v: unknown, where = 'alert-rules'): AlertRule[] {
  if (!Array.isArray(v)) throw new AlertRuleError(`${where}: expected a list of rules`);
  const rules = v.map((r, i) => parseAlertRule(r, `${where}[${i}]`));
  const names = new Set<string>();
  for (const r of rules) {
    if (names.has(r.name)) throw new AlertRuleError(`${where}: two rules are named ${quote(r.name)}`);
    names.add(r.name);
  }
  return rules;
}

export function compare(value: number, op: AlertOp, threshold: number): boolean {
  switch (op) {
    case '>': return value > threshold;
    case '>=': return value >= threshold;
    case '<': return value < threshold;
    case '<=': return value <= threshold;
    case '==': return value === threshold;
  }
}
