/**
 * Bulk operations: POST /api/v1/jobs/bulk starts a cancel or retry of every job matching a filter
 * and answers 202 with the operation; GET /api/v1/operations[/{id}] follows it, and
 * POST /api/v1/operations/{id}/stop ends it early. The work itself is in bulk-operations.ts.
 */
import type { FastifyInstance } from 'fastify';
import { JOB_STATES } from '../store/store.js';
import { ACTION_STATES, BULK_ACTIONS, OPERATION_STATES, type BulkAction } from './bulk-actions.js';
import { BulkOperations, DEFAULT_OPERATIONS, operationView, RefusedOperation } from './bulk-operations.js';
import { ApiError, type HttpDeps } from './http-server.js';
import { parseJobQuery, type JobQueryInput } from './job-query.js';
import { int, replies, stringOrNull, time, timeOrNull } from './schemas.js';

const filterProperties = {
  function: { type: 'string', description: 'only jobs of this function' },
  state: { type: 'string', enum: [...JOB_STATES], description: 'only jobs in this state (default: every state the action applies to)' },
  unique: { type: 'string', description: 'only jobs with this unique' },
  q: { type: 'string', description: 'text in the payload, result or error (1 to 200 characters)' },
  since: { type: 'string', description: 'submitted at or after (ISO-8601)' },
  until: { type: 'string', description: 'submitted before (ISO-8601)' },
} as const;

const operationSchema = {
  type: 'object',
  required: [
    'id', 'action', 'filter', 'all', 'state', 'total', 'matched', 'done', 'skipped', 'errors', 'skippedJobs',
    'startedAt', 'finishedAt', 'message',
  ],
  properties: {
    id: { type: 'string' },
    action: { type: 'string', enum: [...BULK_ACTIONS] },
    filter: { type: 'object', properties: filterProperties, description: 'The filter as it was given.' },
    all: { type: 'boolean' },
    state: { type: 'string', enum: [...OPERATION_STATES] },
    total: { type: ['integer', 'null'], minimum: 0, description: 'Jobs matching when the operation started; null while counting.' },
    matched: { ...int, description: 'Jobs reached so far: done + skipped + errors.' },
    done: int,
    skipped: { ...int, description: 'Jobs whose state no longer allowed the action.' },
    errors: int,
    skippedJobs: {
      type: 'array',
      description: 'The first skipped jobs, with the reason the single-job route would give as a 409.',
      items: { type: 'object', required: ['handle', 'reason'], properties: { handle: { type: 'string' }, reason: { type: 'string' } } },
    },
    startedAt: time,
    finishedAt: timeOrNull,
    message: { ...stringOrNull, description: 'Why it failed or stopped.' },
  },
} as const;

const oneOperation = { type: 'object', required: ['operation'], properties: { operation: operationSchema } } as const;
const idParams = { type: 'object', required: ['id'], properties: { id: { type: 'string' } } } as const;

interface BulkBody {
  action: BulkAction;
  filter?: JobQueryInput;
  all?: boolean;
}

/** Filter fields that narrow a walk; a state alone does not (every job has one). */
const NARROWING = ['function', 'unique', 'q', 'since', 'until'] as const;

// Route schemas: validation, serialisation, and the OpenAPI description (summary, tags, operationId).
const bulkSchema = {
  summary: 'Cancel or retry every job matching a filter, as a tracked operation',
  description: 'Answers 202 at once; follow the operation at GET /api/v1/operations/{id}. '
    + 'A filter without function, unique, q, since or until needs "all": true.',
  tags: ['jobs'],
  operationId: 'bulkJobs',
  body: {
    type: 'object',
    required: ['action'],
    additionalProperties: false,
    properties: {
      action: { type: 'string', enum: [...BULK_ACTIONS] },
      filter: { type: 'object', additionalProperties: false, properties: filterProperties },
      all: { type: 'boolean', description: 'confirms an operation over every job in the states the action applies to' },
    },
  },
  response: replies({ 202: { description: 'Started; follow it at its Location.', ...oneOperation } }, 400, 409),
} as const;

const listSchema = {
  summary: 'Bulk operations, newest first: those running and the last finished ones (kept in memory)',
  tags: ['operations'],
  operationId: 'listOperations',
  response: replies({
    200: { description: 'Newest first.', type: 'object', required: ['operations'], properties: { operations: { type: 'array', items: operationSchema } } },
  }),
} as const;

const getSchema = {
  summary: 'One bulk operation and its progress',
  tags: ['operations'],
  operationId: 'getOperation',
  params: idParams,
  response: replies({ 200: { description: 'The operation as it is now.', ...oneOperation } }, 404),
} as const;

const stopSchema = {
  summary: 'Stop a running bulk operation after its current page (what it changed stays changed)',
  tags: ['operations'],
  operationId: 'stopOperation',
  params: idParams,
  response: replies({ 200: { description: 'The operation once it has stopped (or as it ended).', ...oneOperation } }, 404),
} as const;

/** Registers the routes; the returned operations feed the live event stream. */
export function registerOperationRoutes(app: FastifyInstance, deps: HttpDeps): BulkOperations {
  const options = { ...DEFAULT_OPERATIONS, ...deps.operations };
  const operations = new BulkOperations(deps, options);
  app.addHook('preClose', async () => { await operations.stopAll(); });

  const found = (id: string) => {
    const op = operations.get(id);
    if (op === undefined) throw new ApiError('OPERATION_NOT_FOUND', `no operation ${id} (the last ${options.keep} finished are kept, in memory)`);
    return op;
  };

  app.post<{ Body: BulkBody }>('/api/v1/jobs/bulk', { schema: bulkSchema }, async (req, reply) => {
    const { action, filter = {}, all = false } = req.body;
    const query = parseJobQuery(filter);
    const allowed = ACTION_STATES[action].allowed;
    if (query.state !== undefined && !allowed.includes(query.state)) {
      throw new ApiError('BAD_REQUEST', `${action} applies to ${allowed.join(', ')} jobs, not ${query.state} ones`);
    }
    if (!all && NARROWING.every((k) => filter[k] === undefined)) {
      const states = query.state ?? ACTION_STATES[action].byDefault.join(', ');
      throw new ApiError('BAD_REQUEST',
        `this would ${action} every ${states} job: give function, unique, q, since or until in filter, or "all": true`);
    }
    if (deps.journal === null) throw new ApiError('BAD_REQUEST', 'this server keeps no job history (--store memory)');
    let op;
    try {
      op = operations.start(action, query, filter, all);
    } catch (e) {
      if (e instanceof RefusedOperation) throw new ApiError('CONFLICT', e.message);
      throw e;
    }
    return reply.code(202).header('location', `/api/v1/operations/${op.id}`).send({ operation: operationView(op) });
  });

  app.get('/api/v1/operations', { schema: listSchema }, async () => ({ operations: operations.list().map(operationView) }));

  app.get<{ Params: { id: string } }>('/api/v1/operations/:id', { schema: getSchema }, async (req) => ({ operation: operationView(found(req.params.id)) }));

  app.post<{ Params: { id: string } }>('/api/v1/operations/:id/stop', { schema: stopSchema }, async (req) => {
    found(req.params.id);
    return { operation: operationView((await operations.stop(req.params.id))!) };
  });

  return operations;
}
