/**
 * GET /api/v1/events: server-sent events (text/event-stream) of job state changes, workers joining
 * and leaving, and alert changes; `?function=` (repeatable) and `?types=` narrow the stream. The
 * response is written by hand on the raw socket (Fastify replies are one-shot); see live-events.ts
 * for the bounded per-subscriber buffering.
 */
import type { FastifyInstance } from 'fastify';
import type { BulkOperations } from './bulk-operations.js';
import { ApiError, type HttpDeps } from './http-server.js';
import { DEFAULT_LIVE_EVENTS, LiveEvents, parseEventFilter } from './live-events.js';
import { replies } from './schemas.js';

/** A query parameter that may be given once or repeated. */
const oneOrMore = (description: string) => ({
  description, anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }],
});

export function registerEventRoutes(app: FastifyInstance, deps: HttpDeps, operations: BulkOperations | null = null): void {
  const feed = new LiveEvents(deps.engine, deps.alerts ?? null, { ...DEFAULT_LIVE_EVENTS, ...deps.liveEvents }, operations);
  // Open streams would keep close() waiting for ever.
  app.addHook('preClose', (done) => {
    feed.closeAll();
    done();
  });

  app.get<{ Querystring: Record<string, unknown> }>('/api/v1/events', {
    schema: {
      summary: 'Live job, worker and alert changes (server-sent events)', tags: ['events'], operationId: 'streamEvents',
      querystring: {
        type: 'object',
        properties: {
          function: oneOrMore('Only these functions (repeatable).'),
          types: oneOrMore('Event types or families (job, worker, alert), comma-separated or repeated.'),
        },
      },
      response: replies({
        200: {
          description: 'A text/event-stream: each event has an id, a type and JSON data; a comment every few seconds keeps it open.',
          content: { 'text/event-stream': { schema: { type: 'string' } } },
        },
      }, 400),
    },
  }, async (req, reply) => {
    const filter = parseEventFilter(req.query);
    if (typeof filter === 'string') throw new ApiError('BAD_REQUEST', filter);
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      // One stream per connection: when it ends (overflow, shutdown) the socket goes with it.
      connection: 'close',
      // Tells nginx-style proxies not to hold the stream back.
      'x-accel-buffering': 'no',
    });
    res.socket?.setNoDelay(true);
    feed.subscribe(req.raw, res, filter);
    return reply;
  });
}
