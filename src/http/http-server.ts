/**
 * The HTTP side of the server (Fastify): the REST API of API.md, health checks, and errors in
 * one shape, `{error: {code, message}}`, with codes from the error catalogue or the few HTTP-only
 * ones below. Routes are thin: they validate, call the engine, store or scheduler, and shape JSON.
 */
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { AlertEvaluator } from '../alerts/alert-evaluator.js';
import type { Engine } from '../engine/engine.js';
import { ERRORS, type ErrorCode } from '../errors/catalogue.js';
import type { Scheduler } from '../schedule/scheduler.js';
import type { Metrics } from '../stats/metrics.js';
import type { StatsSource } from '../stats/stats-types.js';
import type { Journal } from '../store/journal.js';
import type { Store } from '../store/store.js';
import { installAuth, type AuthTokens } from './auth.js';
import { registerDashboard } from './dashboard.js';
import type { OperationsOptions } from './bulk-operations.js';
import type { LiveEventsOptions } from './live-events.js';
import { installOpenApi, registerOpenApiRoute } from './openapi.js';
import { registerAlertRoutes } from './routes-alerts.js';
import { registerEventRoutes } from './routes-events.js';
import { registerFunctionRoutes } from './routes-functions.js';
import { registerJobRoutes } from './routes-jobs.js';
import { registerOperationRoutes } from './routes-operations.js';
import { registerScheduleRoutes } from './routes-schedules.js';
import { registerStatsRoutes } from './routes-stats.js';
import { objectOf, replies } from './schemas.js';

export interface HttpDeps {
  /** Bearer tokens (empty = none); see auth.ts. */
  tokens?: AuthTokens;
  engine: Engine;
  store: Store;
  /** Null when the store keeps no history (memory mode). */
  journal: Journal | null;
  scheduler: Scheduler;
  log: Logger;
  version: string;
  /** Ids one text search (`q`) scans per request; default TEXT_SCAN_WINDOW. */
  textScanWindow?: number;
  /** Payload/result bytes shown in job JSON before `truncated: true`. */
  previewBytes: number;
  /** Names of schedules that come from the config file (read-only through the API). */
  configSchedules: ReadonlySet<string>;
  /** Prometheus metrics; null when not collected. */
  metrics: Metrics | null;
  /** The stats engine (/api/v1/stats); null when not collected. */
  stats: StatsSource | null;
  /** Alert rules and their evaluation; absent or null = no alert routes. */
  alerts?: AlertEvaluator | null;
  /** Where the built dashboard is (default dist/web). */
  dashboardDir?: string;
  /** Overrides for the live event stream's heartbeat and per-subscriber limits (tests). */
  liveEvents?: Partial<LiveEventsOptions>;
  /** Overrides for bulk operations' page size and how many are kept (tests). */
  operations?: Partial<OperationsOptions>;
}

/** HTTP-only error codes (the rest come from the catalogue). */
export const HTTP_ERRORS = {
  BAD_REQUEST: { http: 400, description: 'The request is malformed or a field is invalid.' },
  UNAUTHORIZED: { http: 401, description: 'A token is required, or the one given is unknown.' },
  FORBIDDEN: { http: 403, description: 'The read-only token was used to change something.' },
  NOT_FOUND: { http: 404, description: 'No such route.' },
  JOB_NOT_FOUND: { http: 404, description: 'No job with that handle.' },
  FUNCTION_NOT_FOUND: { http: 404, description: 'No function with that name.' },
  SCHEDULE_NOT_FOUND: { http: 404, description: 'No schedule with that name.' },
  ALERT_RULE_NOT_FOUND: { http: 404, description: 'No alert rule with that name.' },
  OPERATION_NOT_FOUND: { http: 404, description: 'No bulk operation with that id (they are kept in memory).' },
  CONFLICT: { http: 409, description: 'The request conflicts with the resource\'s state.' },
  STORE_UNAVAILABLE: { http: 503, description: 'The store is not reachable.' },
  INTERNAL: { http: 500, description: 'An unexpected server error; the server log has the details.' },
} as const;

export type HttpErrorCode = keyof typeof HTTP_ERRORS;

export class ApiError extends Error {
  constructor(readonly code: HttpErrorCode | ErrorCode, message: string) {
    super(message);
  }

  get status(): number {
    return (HTTP_ERRORS as Record<string, { http: number }>)[this.code]?.http
      ?? (ERRORS as Record<string, { http: number }>)[this.code]?.http ?? 500;
  }
}

/**
 * Runs a parser of user input; an error of its own class (a message meant for the user) becomes a
 * 400 with that message, anything else stays what it is.
 */
export function parsedOr400<T>(errorClass: abstract new (...args: never[]) => Error, parse: () => T): T {
  try {
    return parse();
  } catch (e) {
    if (e instanceof errorClass) throw new ApiError('BAD_REQUEST', e.message);
    throw e;
  }
}

export function sendError(reply: FastifyReply, code: HttpErrorCode | ErrorCode, message: string): FastifyReply {
  const e = new ApiError(code, message);
  return reply.code(e.status).send({ error: { code, message } });
}

/**
 * For routes registered with `attachValidation`, whose own checks (shared with the config file)
 * speak first with messages users know: afterwards the schema's verdict still stands. A missing
 * body is left to the route, which has already decided what it means.
 */
export function refuseSchemaErrors(req: FastifyRequest): void {
  const err = req.validationError;
  if (err === undefined || (err.validationContext === 'body' && req.body === undefined)) return;
  throw new ApiError('BAD_REQUEST', err.message);
}

export function buildHttpServer(deps: HttpDeps): FastifyInstance {
  // Fastify's default Ajv options coerce types ({"function": 42} becomes "42") and silently drop
  // fields a schema forbids (a mistyped "delay" would be ignored and the job run at once): a JSON
  // API should refuse both with 400.
  const app = Fastify({
    logger: false,
    bodyLimit: 70 * 1024 * 1024,
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false } },
  });
  // Response schemas document the replies (OpenAPI) and tests check replies against them; they do
  // not shape what is sent. Fastify's own serializer would drop every field a schema leaves out
  // and quietly convert types, so a schema that lags behind the code would corrupt the API.
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));
  installOpenApi(app, deps.version, deps.tokens ?? { full: '', read: '' });
  // The OpenAPI plugin sees only routes added after it has loaded: every route goes in addRoutes.
  app.after((err) => {
    if (err) throw err;
    addRoutes(app, deps);
  });
  return app;
}

function addRoutes(app: FastifyInstance, deps: HttpDeps): void {
  installAuth(app, deps.tokens ?? { full: '', read: '' });
  app.setErrorHandler((err: Error & { validation?: unknown; statusCode?: number }, _req, reply) => {
    if (err instanceof ApiError) return sendError(reply, err.code, err.message);
    if (err.statusCode === 413) return sendError(reply, 'PAYLOAD_TOO_LARGE', err.message);
    if (err.validation !== undefined || (err.statusCode !== undefined && err.statusCode < 500)) {
      return sendError(reply, 'BAD_REQUEST', err.message);
    }
    deps.log.error({ err }, 'HTTP request failed');
    return sendError(reply, 'INTERNAL', 'internal error');
  });
  const dashboard = registerDashboard(app, deps.dashboardDir);
  app.setNotFoundHandler((req, reply) => {
    if (dashboard.servePage(req, reply)) return reply;
    return sendError(reply, 'NOT_FOUND', `no route ${req.method} ${req.url}`);
  });

  app.get('/metrics', {
    schema: {
      summary: 'Prometheus metrics', tags: ['system'], operationId: 'getMetrics',
      response: replies({ 200: { description: 'Prometheus text format.', content: { 'text/plain': { schema: { type: 'string' } } } } }, 404),
    },
  }, async (_req, reply) => {
    if (deps.metrics === null) return sendError(reply, 'NOT_FOUND', 'metrics are not collected');
    return reply.type(deps.metrics.contentType).send(await deps.metrics.text());
  });
  app.get('/healthz', {
    schema: {
      summary: 'Liveness', tags: ['system'], operationId: 'getHealth', security: [],
      response: replies({ 200: { description: 'The server runs.', ...objectOf({ status: { type: 'string', enum: ['ok'] }, version: { type: 'string' } }) } }),
    },
  }, async () => ({ status: 'ok', version: deps.version }));
  app.get('/readyz', {
    schema: {
      summary: 'Readiness: the store answers', tags: ['system'], operationId: 'getReady', security: [],
      response: replies({ 200: { description: 'Ready.', ...objectOf({ status: { type: 'string', enum: ['ready'] }, store: { type: 'string' } }) } }, 503),
    },
  }, async (_req, reply) => {
    try {
      await deps.store.nextHandleNumber();
      return { status: 'ready', store: deps.store.name };
    } catch (e) {
      return sendError(reply, 'STORE_UNAVAILABLE', `store ${deps.store.name}: ${(e as Error).message}`);
    }
  });
  registerOpenApiRoute(app);
  registerJobRoutes(app, deps);
  const operations = registerOperationRoutes(app, deps);
  registerFunctionRoutes(app, deps);
  registerScheduleRoutes(app, deps);
  registerStatsRoutes(app, deps);
  registerEventRoutes(app, deps, operations);
  if (deps.alerts) registerAlertRoutes(app, deps, deps.alerts);
}
