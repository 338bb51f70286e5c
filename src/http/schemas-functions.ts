/**
 * JSON Schemas of functions (their queues and retry policies), workers and schedules; see schemas.ts.
 */
import { PRIORITY_NAMES } from '../engine/job.js';
import { RETRY_OUTCOMES } from '../engine/retry-policy.js';
import {
  int, NAME_PATTERN, numberOrNull, orNull, priority, queuedByPriority, ref, stringOrNull, time, timeOrNull, type JsonSchema,
} from './schemas.js';

const backoffProperties = {
  initialMs: { type: 'number', minimum: 0 },
  factor: { type: 'number', minimum: 1, maximum: 100 },
  maxMs: { type: 'number', minimum: 0 },
  jitter: { type: 'number', minimum: 0, maximum: 1, description: 'The delay is spread over ±jitter of itself.' },
};
const retryOn = { type: 'array', items: { type: 'string', enum: [...RETRY_OUTCOMES] } };

const retryPolicy = {
  $id: 'RetryPolicy',
  type: 'object',
  required: ['maxAttempts', 'backoff', 'retryOn', 'foreground', 'timeoutMs'],
  properties: {
    maxAttempts: { type: 'integer', minimum: 1, description: 'Attempts in all, the first included.' },
    backoff: { type: 'object', required: ['initialMs', 'factor', 'maxMs', 'jitter'], properties: backoffProperties },
    retryOn,
    foreground: { type: 'boolean', description: 'Also retry foreground jobs.' },
    timeoutMs: { ...numberOrNull, description: 'Longest an attempt may run; null = no limit.' },
  },
};

/** What PUT …/policy takes: every field optional, defaults filled in (as the config file's). */
const retryPolicyInput = {
  $id: 'RetryPolicyInput',
  type: 'object',
  additionalProperties: false,
  properties: {
    maxAttempts: { type: 'integer', minimum: 1, maximum: 10000, description: '1 by default: no retries.' },
    backoff: { type: ['object', 'null'], properties: backoffProperties },
    retryOn,
    foreground: { type: 'boolean', description: 'false by default.' },
    timeoutMs: { type: ['number', 'null'], minimum: 1000 },
  },
};

const fn = {
  $id: 'Function',
  type: 'object',
  required: ['name', 'queued', 'scheduled', 'running', 'workers', 'paused', 'policy', 'effectivePolicy'],
  properties: {
    name: { type: 'string' },
    queued: queuedByPriority,
    scheduled: int,
    running: int,
    workers: { ...int, description: 'Workers that can run it.' },
    paused: { type: 'boolean' },
    policy: { ...orNull(ref('RetryPolicy')), description: 'Its own policy, if it has one.' },
    effectivePolicy: { ...orNull(ref('RetryPolicy')), description: 'Its own policy, else the server default.' },
  },
};

const worker = {
  $id: 'Worker',
  type: 'object',
  required: ['id', 'clientId', 'address', 'connectedAt', 'functions', 'sleeping', 'jobs'],
  properties: {
    id: int,
    clientId: { type: 'string' },
    address: { type: 'string' },
    connectedAt: time,
    functions: { type: 'array', items: { type: 'string' } },
    sleeping: { type: 'boolean' },
    jobs: {
      type: 'array',
      items: {
        type: 'object',
        required: ['handle', 'function', 'startedAt'],
        properties: { handle: { type: 'string' }, function: { type: 'string' }, startedAt: time },
      },
    },
  },
};

/** A schedule's fields as given. Optional strings may also be null (= left out), as the parser takes them. */
const scheduleFields = {
  name: { type: 'string', pattern: NAME_PATTERN },
  cron: { type: 'string', description: '5 fields, or 6 with seconds first.' },
  timezone: { type: ['string', 'null'], description: 'IANA zone; UTC by default.' },
  function: { type: 'string', minLength: 1 },
  payload: { type: ['string', 'null'] },
  unique: { type: ['string', 'null'], description: 'Default: one job per tick (schedule:<name>:<tick>).' },
  priority: { type: ['string', 'null'], enum: [...PRIORITY_NAMES, null] },
  enabled: { type: 'boolean' },
  missed: { type: ['string', 'null'], enum: ['skip', 'run-once', null], description: 'After downtime: skip, or run one job.' },
};

const scheduleInput = {
  $id: 'ScheduleInput', type: 'object', additionalProperties: false, required: ['name', 'cron', 'function'], properties: scheduleFields,
};

const scheduleChange = {
  $id: 'ScheduleChange',
  description: 'The fields to change; config-file schedules take only `enabled`. A schedule cannot be renamed.',
  type: 'object',
  additionalProperties: false,
  properties: scheduleFields,
};

const schedule = {
  $id: 'Schedule',
  type: 'object',
  required: [
    'name', 'cron', 'timezone', 'function', 'payload', 'unique', 'priority', 'enabled', 'missed', 'source',
    'lastRunAt', 'lastJob', 'lastError', 'nextRuns', 'recentRuns',
  ],
  properties: {
    name: { type: 'string' },
    cron: { type: 'string' },
    timezone: { type: 'string' },
    function: { type: 'string' },
    payload: { type: 'string' },
    unique: stringOrNull,
    priority,
    enabled: { type: 'boolean' },
    missed: { type: 'string', enum: ['skip', 'run-once'] },
    source: { type: 'string', enum: ['config', 'api'] },
    lastRunAt: timeOrNull,
    lastJob: { ...stringOrNull, description: 'Handle of the latest job it submitted.' },
    lastError: stringOrNull,
    nextRuns: { type: 'array', items: time },
    recentRuns: {
      type: 'array',
      description: 'The latest ticks, newest first, with the job each submitted and that job\'s state now.',
      items: {
        type: 'object',
        required: ['at', 'handle', 'state', 'error'],
        properties: {
          at: time,
          handle: { ...stringOrNull, description: 'Null when the submission failed (see error).' },
          state: { ...stringOrNull, description: 'Null when the job is no longer known.' },
          error: stringOrNull,
        },
      },
    },
  },
};

export const FUNCTION_SCHEMAS: readonly JsonSchema[] = [
  retryPolicy, retryPolicyInput, fn, worker, scheduleInput, scheduleChange, schedule,
];
