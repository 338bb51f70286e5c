/**
 * The JSON Schemas of the HTTP API's shapes, shared by the routes (`{$ref: 'Job#'}`) and turned
 * into `components.schemas` of the OpenAPI document (openapi.ts): here the building blocks, the
 * error shape and jobs; schemas-functions.ts and schemas-stats.ts hold the rest. They describe what
 * the routes send today: replies are still written with JSON.stringify (see http-server.ts), so a
 * field missing here is not dropped — but test/http/openapi.test.ts checks real replies against
 * them. Reply objects stay open (extra fields allowed), so a field added later breaks no client.
 */
import { PRIORITY_NAMES } from '../engine/job.js';
import { JOB_STATES } from '../store/store.js';

export type JsonSchema = Record<string, unknown>;

/** A reference to a shared schema by its `$id`. */
export const ref = (id: string): JsonSchema => ({ $ref: `${id}#` });
export const orNull = (s: JsonSchema): JsonSchema => ({ anyOf: [s, { type: 'null' }] });
export const int = { type: 'integer', minimum: 0 };
export const time = { type: 'string', format: 'date-time' };
export const timeOrNull = { type: ['string', 'null'], format: 'date-time' };
export const numberOrNull = { type: ['number', 'null'] };
export const stringOrNull = { type: ['string', 'null'] };
export const priority = { type: 'string', enum: [...PRIORITY_NAMES] };
/** Names of schedules and alert rules (as their parsers check them). */
export const NAME_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$';
export const queuedByPriority = {
  type: 'object',
  required: ['high', 'normal', 'low'],
  properties: { high: int, normal: int, low: int },
};

const error = {
  $id: 'Error',
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: {
        code: { type: 'string', description: 'A stable code (README lists them), e.g. BAD_REQUEST, JOB_NOT_FOUND.' },
        message: { type: 'string', description: 'What was wrong, for people.' },
      },
    },
  },
};

const bytes = {
  $id: 'Bytes',
  description: 'Bytes (a payload, result or error): `text` when they are valid UTF-8, else `base64`; '
    + 'cut to the preview size with `truncated: true`.',
  type: 'object',
  required: ['size', 'truncated'],
  properties: {
    size: { ...int, description: 'The whole size in bytes, however much is shown.' },
    text: { type: 'string' },
    base64: { type: 'string' },
    truncated: { type: 'boolean' },
  },
};

const timelineEvent = {
  $id: 'TimelineEvent',
  type: 'object',
  required: ['at', 'type', 'detail'],
  properties: {
    at: timeOrNull,
    type: { type: 'string', description: 'submitted, started, retrying, rescheduled, requeued, cancelled, completed, failed, …' },
    detail: stringOrNull,
  },
};

const job = {
  $id: 'Job',
  type: 'object',
  additionalProperties: true,
  required: [
    'handle', 'function', 'unique', 'priority', 'background', 'state', 'submittedAt', 'dueAt', 'startedAt',
    'finishedAt', 'attempts', 'retries', 'worker', 'submitter', 'progress', 'payload', 'result', 'error',
    'outcome', 'warnings', 'dataChunks', 'data', 'events',
  ],
  properties: {
    handle: { type: 'string' },
    function: { type: 'string' },
    unique: { type: 'string' },
    priority,
    background: { type: 'boolean' },
    state: { type: 'string', enum: [...JOB_STATES] },
    submittedAt: timeOrNull,
    dueAt: { ...timeOrNull, description: 'When it may run; null = as soon as a worker asks.' },
    startedAt: { ...timeOrNull, description: 'The latest attempt\'s start.' },
    finishedAt: timeOrNull,
    attempts: int,
    retries: { ...int, description: 'Times it was taken back from a worker (gearmand\'s counter).' },
    worker: { ...stringOrNull, description: 'The worker running it, or that ran it last.' },
    submitter: { ...stringOrNull, description: 'Who submitted it (address, or http).' },
    progress: {
      type: 'object',
      required: ['numerator', 'denominator'],
      description: 'As the worker reported it; null where it sent something that is not a number.',
      properties: { numerator: numberOrNull, denominator: numberOrNull },
    },
    payload: orNull(ref('Bytes')),
    result: orNull(ref('Bytes')),
    error: { ...orNull(ref('Bytes')), description: 'Exception data a worker sent.' },
    outcome: { ...stringOrNull, description: 'How it ended, in words.' },
    warnings: int,
    dataChunks: int,
    data: { ...orNull(ref('Bytes')), description: 'The WORK_DATA workers sent, in order, when the server keeps it (--keep-work-data).' },
    events: {
      type: 'array',
      items: ref('TimelineEvent'),
      description: 'Its timeline, oldest first (one job only; empty in lists).',
    },
    forecast: {
      description: 'One job only: where a queued job stands and when it should start; null in other states.',
      anyOf: [
        {
          type: 'object',
          required: ['position', 'ahead', 'exact', 'startsAt', 'basis'],
          properties: {
            position: { type: 'integer', minimum: 1, description: '1 = the next job of its function a worker takes.' },
            ahead: { ...int, description: 'Queued jobs handed out before it (a lower bound when not exact).' },
            exact: { type: 'boolean' },
            startsAt: { ...timeOrNull, description: 'Null while the function is not being served.' },
            basis: orNull({
              type: 'object',
              description: 'The service rate the estimate rests on.',
              required: ['perSecond', 'reason', 'workers', 'running', 'seconds'],
              properties: {
                perSecond: { ...numberOrNull, description: 'Jobs finished per second over the last minute.' },
                reason: { type: ['string', 'null'], enum: ['paused', 'no-workers', 'no-recent-finishes', null] },
                workers: int,
                running: int,
                seconds: { type: 'number' },
              },
            }),
          },
        },
        { type: 'null' },
      ],
    },
  },
};

const jobSubmission = {
  $id: 'JobSubmission',
  type: 'object',
  required: ['function'],
  additionalProperties: false,
  properties: {
    function: { type: 'string', minLength: 1 },
    payload: { type: 'string', description: 'UTF-8 text; or give payloadBase64.' },
    payloadBase64: { type: 'string' },
    unique: { type: 'string', description: 'Coalesces with an active job of the same function and unique.' },
    priority,
    runAt: { type: 'string', description: 'ISO-8601 time to run at; or give delayMs.' },
    delayMs: { type: 'integer', minimum: 0 },
  },
};

const jobPage = {
  $id: 'JobPage',
  type: 'object',
  required: ['jobs', 'nextCursor'],
  properties: {
    jobs: { type: 'array', items: ref('Job') },
    nextCursor: { ...stringOrNull, description: 'Pass as `cursor` for the next page; null at the end.' },
  },
};

/** Jobs and the error shape. */
export const JOB_SCHEMAS: readonly JsonSchema[] = [error, bytes, timelineEvent, job, jobSubmission, jobPage];

/** `{name}` in a path. */
export function nameParams(description: string): JsonSchema {
  return { type: 'object', required: ['name'], properties: { name: { type: 'string', description } } };
}

export const handleParams: JsonSchema = {
  type: 'object', required: ['handle'], properties: { handle: { type: 'string', description: 'The job handle, e.g. H:host:42.' } },
};

/** An object with these properties, all required. */
export function objectOf(properties: Record<string, JsonSchema>): JsonSchema {
  return { type: 'object', required: Object.keys(properties), properties };
}

/** An object holding one list, as the list routes answer: `{jobs: [...]}`, `{schedules: [...]}`. */
export function listOf(key: string, item: JsonSchema, description: string): JsonSchema {
  return { description, type: 'object', required: [key], properties: { [key]: { type: 'array', items: item } } };
}

const ERROR_WHEN: Record<number, string> = {
  400: 'The request is malformed or a field is invalid.',
  404: 'It does not exist.',
  409: 'It conflicts with the current state.',
  413: 'The payload is too large.',
  429: 'The queue is full.',
  503: 'The store is not reachable.',
};

/**
 * A route's `response` map: its success replies, then the error statuses it answers itself, each
 * `{error: {code, message}}`, and `default` for the rest (401/403 when tokens are set, 500, …).
 */
export function replies(success: Record<number, JsonSchema>, ...errors: (keyof typeof ERROR_WHEN)[]): Record<string, JsonSchema> {
  const out: Record<string, JsonSchema> = { ...success };
  for (const status of errors) out[status] = { description: ERROR_WHEN[status], ...ref('Error') };
  out.default = { description: 'Any other error: 401 or 403 when tokens are set, 500, …', ...ref('Error') };
  return out;
}
