/**
 * JSON Schemas of the stats (sliding windows and stored minute roll-ups) and of alert rules and
 * their alerts; see schemas.ts.
 */
import { ALERT_METRICS, ALERT_OPS } from '../alerts/alert-rule.js';
import { STATS_WINDOWS } from '../stats/stats-types.js';
import {
  int, NAME_PATTERN, numberOrNull, queuedByPriority, ref, stringOrNull, time, timeOrNull, type JsonSchema,
} from './schemas.js';

const percentiles = {
  $id: 'Percentiles',
  description: 'Milliseconds; null when nothing was observed.',
  type: 'object',
  required: ['p50', 'p95', 'p99', 'count'],
  properties: { p50: numberOrNull, p95: numberOrNull, p99: numberOrNull, count: int },
};

const jobCounts = {
  submitted: int, completed: int, failed: int, exceptions: int, retried: int, cancelled: int,
};
const windowFigures = {
  ...jobCounts,
  throughput: { type: 'number', description: 'Completions per second.' },
  failureRate: { ...numberOrNull, description: 'failed / (completed + failed); null when nothing finished.' },
  wait: ref('Percentiles'),
  runtime: ref('Percentiles'),
  timeToCompletion: ref('Percentiles'),
  queued: queuedByPriority,
  scheduled: int,
  running: int,
  workers: int,
};

const functionStats = {
  $id: 'FunctionStats',
  type: 'object',
  required: [...Object.keys(windowFigures), 'function', 'paused', 'oldestWaitingMs', 'drainEtaMs'],
  properties: {
    function: { type: 'string' },
    ...windowFigures,
    paused: { type: 'boolean' },
    oldestWaitingMs: numberOrNull,
    drainEtaMs: { ...numberOrNull, description: 'When the queue would be empty at the current rate; null = not draining.' },
  },
};

const stats = {
  $id: 'Stats',
  type: 'object',
  required: ['window', 'at', 'seconds', 'totals', 'functions'],
  properties: {
    window: { type: 'string', enum: [...STATS_WINDOWS] },
    at: time,
    seconds: { type: 'number', minimum: 1, description: 'Seconds the window covers (less than its length just after start-up); rates divide counts by it.' },
    totals: { type: 'object', required: Object.keys(windowFigures), properties: windowFigures },
    functions: { type: 'array', items: ref('FunctionStats') },
  },
};

const rollup = {
  $id: 'Rollup',
  description: 'One function\'s figures for one minute; gauges as they were just after it.',
  type: 'object',
  required: [...Object.keys(jobCounts), 'function', 'at', 'wait', 'runtime', 'timeToCompletion', 'queued', 'running', 'workers'],
  properties: {
    function: { type: 'string' },
    at: { ...time, description: 'Start of the minute.' },
    ...jobCounts,
    wait: ref('Percentiles'),
    runtime: ref('Percentiles'),
    timeToCompletion: ref('Percentiles'),
    queued: int,
    running: int,
    workers: int,
  },
};

const statsHistory = {
  $id: 'StatsHistory',
  type: 'object',
  required: ['since', 'until', 'truncated', 'rollups'],
  properties: {
    since: time,
    until: time,
    truncated: { type: 'boolean', description: 'The range held more rows than `limit`.' },
    rollups: { type: 'array', items: ref('Rollup'), description: 'Oldest minute first, then by function.' },
  },
};

const webhookFields = {
  type: { type: 'string', enum: ['webhook'] },
  url: { type: 'string', description: 'http or https.' },
  headers: { type: 'object', additionalProperties: { type: 'string' } },
  timeoutMs: { type: 'integer', minimum: 100, maximum: 120_000 },
  maxAttempts: { type: 'integer', minimum: 1, maximum: 20 },
};
const logTarget = { type: 'object', required: ['type'], additionalProperties: false, properties: { type: { type: 'string', enum: ['log'] } } };

const ruleFields = {
  name: { type: 'string', pattern: NAME_PATTERN },
  metric: { type: 'string', enum: [...ALERT_METRICS] },
  function: { type: 'string', minLength: 1, description: 'Left out: the server as a whole.' },
  window: { type: 'string', enum: [...STATS_WINDOWS] },
  op: { type: 'string', enum: [...ALERT_OPS] },
  threshold: { type: 'number' },
  forSeconds: { type: 'number', minimum: 0, maximum: 604800, description: 'How long the condition must hold.' },
};

/** A rule as given; `op` and `threshold` may be left out for the yes/no metrics (no_workers, store_errors). */
const alertRuleFields = {
  ...ruleFields,
  notify: {
    type: 'array',
    maxItems: 10,
    items: {
      oneOf: [
        { type: 'object', required: ['type', 'url'], additionalProperties: false, properties: webhookFields },
        logTarget,
      ],
    },
  },
};
const alertRuleInput = {
  $id: 'AlertRuleInput', type: 'object', additionalProperties: false, required: ['name', 'metric', 'forSeconds'], properties: alertRuleFields,
};
const alertRuleReplacement = {
  $id: 'AlertRuleReplacement',
  description: 'A rule; its name comes from the path (a `name` in the body must match it).',
  type: 'object',
  additionalProperties: false,
  required: ['metric', 'forSeconds'],
  properties: alertRuleFields,
};

const alertRule = {
  $id: 'AlertRule',
  type: 'object',
  required: ['name', 'metric', 'window', 'op', 'threshold', 'forSeconds', 'notify', 'source'],
  properties: {
    ...ruleFields,
    notify: {
      type: 'array',
      items: {
        oneOf: [
          { type: 'object', required: Object.keys(webhookFields), properties: webhookFields },
          logTarget,
        ],
      },
    },
    source: { type: 'string', enum: ['config', 'api'] },
  },
};

const alertState = { type: 'string', enum: ['inactive', 'pending', 'firing', 'resolved'] };
const alert = {
  $id: 'Alert',
  type: 'object',
  required: ['rule', 'metric', 'function', 'op', 'threshold', 'forSeconds', 'state', 'value', 'since', 'lastEvaluatedAt', 'history'],
  properties: {
    rule: { type: 'string' },
    metric: { type: 'string', enum: [...ALERT_METRICS] },
    function: stringOrNull,
    op: { type: 'string', enum: [...ALERT_OPS] },
    threshold: { type: 'number' },
    forSeconds: { type: 'number' },
    state: alertState,
    value: { ...numberOrNull, description: 'The metric at the last evaluation.' },
    since: { ...timeOrNull, description: 'When the current state began.' },
    lastEvaluatedAt: timeOrNull,
    history: {
      type: 'array',
      description: 'State changes, oldest first.',
      items: {
        type: 'object',
        required: ['from', 'to', 'at', 'value'],
        properties: { from: alertState, to: alertState, at: time, value: numberOrNull },
      },
    },
  },
};

const alertList = {
  $id: 'AlertList',
  type: 'object',
  required: ['alerts', 'evaluator'],
  properties: {
    alerts: { type: 'array', items: ref('Alert') },
    evaluator: {
      type: 'object',
      description: 'Rules by state, evaluation counters, and the notifier\'s deliveries.',
      required: ['rules', 'inactive', 'pending', 'firing', 'resolved', 'evaluations', 'transitions', 'errors', 'lastError', 'notifier'],
      properties: {
        rules: int, inactive: int, pending: int, firing: int, resolved: int,
        evaluations: int, transitions: int, errors: int, lastError: stringOrNull,
        notifier: {
          type: 'object',
          required: ['sent', 'failed', 'retried', 'dropped', 'queued', 'logged'],
          properties: { sent: int, failed: int, retried: int, dropped: int, queued: int, logged: int },
        },
      },
    },
  },
};

export const STATS_SCHEMAS: readonly JsonSchema[] = [
  percentiles, functionStats, stats, rollup, statsHistory, alertRuleInput, alertRuleReplacement, alertRule, alert, alertList,
];
