/**
 * /api/v1/jobs: submit, look up, list, and control one job (cancel, retry, reschedule).
 */
import type { FastifyInstance } from 'fastify';
import { Job, payloadText, Priority } from '../engine/job.js';
import { ERRORS } from '../errors/catalogue.js';
import { forecastJobStart } from '../stats/job-forecast.js';
import { JOB_STATES } from '../store/store.js';
import { ApiError, refuseSchemaErrors, sendError, type HttpDeps } from './http-server.js';
import { cancelJob, retryJob } from './job-control.js';
import { listJobPage, parseJobQuery, parseTime } from './job-query.js';
import { liveView, recordView } from './job-view.js';
import { handleParams, ref, replies } from './schemas.js';
import { toWire } from '../protocol/wire-text.js';

const PRIORITY: Record<string, Priority> = { high: Priority.HIGH, normal: Priority.NORMAL, low: Priority.LOW };

const submitSchema = {
  summary: 'Submit a background job', tags: ['jobs'], operationId: 'submitJob',
  body: ref('JobSubmission'),
  response: replies({ 201: { description: 'The job, once it is stored.', ...ref('Job') } }, 400, 413, 429, 503),
};

const oneJob = (summary: string, operationId: string, ...errors: (400 | 404 | 409)[]) => ({
  summary, tags: ['jobs'], operationId, params: handleParams,
  response: replies({ 200: { description: 'The job as it is now.', ...ref('Job') } }, ...errors),
});

/** The list's filters; the route checks them itself first (with messages bulk operations share). */
const listQuery = {
  type: 'object',
  properties: {
    function: { type: 'string' },
    state: { type: 'string', enum: [...JOB_STATES] },
    unique: { type: 'string' },
    q: { type: 'string', minLength: 1, maxLength: 200, description: 'Text in the payload, result or error.' },
    since: { type: 'string', description: 'Submitted at or after (ISO-8601).' },
    until: { type: 'string', description: 'Submitted before (ISO-8601).' },
    limit: { type: 'string', description: '1 to 1000; 50 by default.' },
    cursor: { type: 'string', description: 'The previous page\'s nextCursor.' },
  },
};

interface SubmitBody {
  function: string; payload?: string; payloadBase64?: string; unique?: string;
  priority?: 'high' | 'normal' | 'low'; runAt?: string; delayMs?: number;
}

export function registerJobRoutes(app: FastifyInstance, deps: HttpDeps): void {
  const { engine, store, journal } = deps;

  /** The stored record with its timeline, after pending changes reach the store; else the live job. */
  async function view(handle: string) {
    if (journal !== null) {
      await journal.commitAndWait(false);
      const rec = await store.findJob(handle);
      if (rec !== null) return recordView(rec, await store.jobEvents(rec.id), deps.previewBytes);
    }
    const live = engine.jobs.get(handle);
    if (live !== undefined) return liveView(live, deps.previewBytes);
    throw new ApiError('JOB_NOT_FOUND', `no job ${handle}`);
  }

  /** For a queued job, when it should start (see job-forecast.ts); null otherwise. */
  function startForecast(handle: string) {
    const job = engine.jobs.get(handle);
    const rate = job === undefined ? null : deps.stats?.serviceRate?.(job.fn.name) ?? null;
    const f = job === undefined ? null : forecastJobStart(job, rate, engine.clock.now());
    if (f === null) return null;
    return {
      position: f.position, ahead: f.ahead, exact: f.exact,
      startsAt: f.startsAt === null ? null : new Date(f.startsAt).toISOString(),
      basis: rate === null ? null : { ...rate, perSecond: rate.perSecond === null ? null : Math.round(rate.perSecond * 1000) / 1000 },
    };
  }

  app.post<{ Body: SubmitBody }>('/api/v1/jobs', { schema: submitSchema }, async (req, reply) => {
    const b = req.body;
    if (b.payload !== undefined && b.payloadBase64 !== undefined) {
      return sendError(reply, 'BAD_REQUEST', 'give payload or payloadBase64, not both');
    }
    if (b.runAt !== undefined && b.delayMs !== undefined) return sendError(reply, 'BAD_REQUEST', 'give runAt or delayMs, not both');
    const now = engine.clock.now();
    const dueAt = b.runAt !== undefined ? parseTime(b.runAt, 'runAt') : b.delayMs !== undefined ? now + b.delayMs : 0;
    const payload = payloadText(b.payloadBase64 !== undefined ? Buffer.from(b.payloadBase64, 'base64') : Buffer.from(b.payload ?? '', 'utf8'));
    const result = engine.submit(null, {
      fn: toWire(b.function), unique: toWire(b.unique ?? ''), payload, priority: PRIORITY[b.priority ?? 'normal']!,
      background: true, dueAt, reducer: '',
    });
    if (typeof result === 'string') return sendError(reply, result, ERRORS[result].description);
    // 201 only once the job is durable, like JOB_CREATED.
    if (journal !== null) {
      try {
        await journal.commitAndWait();
      } catch (e) {
        return sendError(reply, 'STORE_FAILED', `Job could not be stored: ${(e as Error).message}`);
      }
    }
    return reply.code(201).send(await view(result.handle));
  });

  app.get<{ Params: { handle: string } }>('/api/v1/jobs/:handle', { schema: oneJob('One job with its timeline', 'getJob', 404) },
    async (req) => ({ ...(await view(req.params.handle)), forecast: startForecast(req.params.handle) }));

  app.get<{ Querystring: Record<string, string | undefined> }>('/api/v1/jobs', {
    schema: {
      summary: 'Jobs, newest first, a page at a time', tags: ['jobs'], operationId: 'listJobs', querystring: listQuery,
      response: replies({ 200: { description: 'One page.', ...ref('JobPage') } }, 400),
    },
    attachValidation: true,
  }, async (req) => {
    const q = req.query;
    const limit = q.limit === undefined ? 50 : Number(q.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new ApiError('BAD_REQUEST', 'limit must be 1 to 1000');
    const query = parseJobQuery(q);
    refuseSchemaErrors(req);
    if (journal === null) throw new ApiError('BAD_REQUEST', 'this server keeps no job history (--store memory)');
    await journal.commitAndWait(false);
    const page = await listJobPage(deps, query, q.cursor ?? null, limit);
    return { jobs: page.jobs.map((r) => recordView(r, [], deps.previewBytes)), nextCursor: page.nextCursor };
  });

  app.post<{ Params: { handle: string } }>('/api/v1/jobs/:handle/cancel', {
    schema: oneJob('Cancel a job that has not finished', 'cancelJob', 404, 409),
  }, async (req) => {
    const { handle } = req.params;
    const r = cancelJob(engine, handle);
    if (!r.ok) {
      await view(handle); // 404 when unknown
      throw new ApiError('CONFLICT', r.reason);
    }
    return view(handle);
  });

  app.post<{ Params: { handle: string } }>('/api/v1/jobs/:handle/retry', {
    schema: oneJob('Run a finished job again under its handle', 'retryJob', 404, 409),
  }, async (req) => {
    const { handle } = req.params;
    if (engine.jobs.has(handle)) throw new ApiError('CONFLICT', `job ${handle} has not finished; nothing to retry`);
    const rec = journal !== null ? (await journal.commitAndWait(false), await store.findJob(handle)) : null;
    if (rec === null) throw new ApiError('JOB_NOT_FOUND', `no job ${handle}`);
    const r = retryJob(engine, rec);
    if (!r.ok) throw new ApiError('CONFLICT', r.reason);
    return view(handle);
  });

  app.post<{ Params: { handle: string }; Body: { runAt?: string; delayMs?: number } }>('/api/v1/jobs/:handle/reschedule', {
    schema: {
      ...oneJob('Move a waiting job to another time', 'rescheduleJob', 400, 404, 409),
      body: {
        type: 'object', additionalProperties: false, description: 'runAt or delayMs.',
        properties: { runAt: { type: 'string', description: 'ISO-8601.' }, delayMs: { type: 'integer', minimum: 0 } },
      },
    },
  }, async (req) => {
    const { handle } = req.params;
    const b = req.body ?? {};
    if ((b.runAt === undefined) === (b.delayMs === undefined)) throw new ApiError('BAD_REQUEST', 'give runAt or delayMs');
    const at = b.runAt !== undefined ? parseTime(b.runAt, 'runAt') : engine.clock.now() + b.delayMs!;
    const r = engine.rescheduleWaiting(handle, at);
    if (r === 'running') throw new ApiError('CONFLICT', `job ${handle} is running; a worker can reschedule it (gearhq:reschedule)`);
    if (r === 'not-found') {
      await view(handle); // 404 when unknown
      throw new ApiError('CONFLICT', `job ${handle} has finished; retry it instead`);
    }
    return view((r as Job).handle);
  });
}
