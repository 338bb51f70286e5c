/**
 * /api/v1/jobs: submit, look up, list, and control one job (cancel, retry, reschedule).
 */
import type { FastifyInstance } from 'fastify';
import { Job, Priority } from '../engine/job.js';
import { ERRORS } from '../errors/catalogue.js';
import { decodeCursor, encodeCursor, FINISHED_STATES } from '../store/job-filter.js';
import { JOB_STATES, type StoredState } from '../store/store.js';
import { ApiError, sendError, type HttpDeps } from './http-server.js';
import { liveView, recordView } from './job-view.js';

/** Ids one text-search request scans (newest first, below its cursor). */
export const TEXT_SCAN_WINDOW = 100_000;

function decodeCursorOr400(cursor: string): number {
  try {
    return decodeCursor(cursor) ?? 1;
  } catch (e) {
    throw new ApiError('BAD_REQUEST', (e as Error).message);
  }
}

const PRIORITY: Record<string, Priority> = { high: Priority.HIGH, normal: Priority.NORMAL, low: Priority.LOW };
const latin1 = (s: string): string => Buffer.from(s, 'utf8').toString('latin1');

const submitSchema = {
  body: {
    type: 'object',
    required: ['function'],
    additionalProperties: false,
    properties: {
      function: { type: 'string', minLength: 1 },
      payload: { type: 'string' },
      payloadBase64: { type: 'string' },
      unique: { type: 'string' },
      priority: { enum: ['high', 'normal', 'low'] },
      runAt: { type: 'string' },
      delayMs: { type: 'integer', minimum: 0 },
    },
  },
} as const;

interface SubmitBody {
  function: string; payload?: string; payloadBase64?: string; unique?: string;
  priority?: 'high' | 'normal' | 'low'; runAt?: string; delayMs?: number;
}

function parseTime(text: string, field: string): number {
  const at = Date.parse(text);
  if (!Number.isFinite(at)) throw new ApiError('BAD_REQUEST', `${field} must be an ISO-8601 time, got ${JSON.stringify(text)}`);
  return at;
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

  app.post<{ Body: SubmitBody }>('/api/v1/jobs', { schema: submitSchema }, async (req, reply) => {
    const b = req.body;
    if (b.payload !== undefined && b.payloadBase64 !== undefined) {
      return sendError(reply, 'BAD_REQUEST', 'give payload or payloadBase64, not both');
    }
    if (b.runAt !== undefined && b.delayMs !== undefined) return sendError(reply, 'BAD_REQUEST', 'give runAt or delayMs, not both');
    const now = engine.clock.now();
    const dueAt = b.runAt !== undefined ? parseTime(b.runAt, 'runAt') : b.delayMs !== undefined ? now + b.delayMs : 0;
    const payload = b.payloadBase64 !== undefined ? Buffer.from(b.payloadBase64, 'base64') : Buffer.from(b.payload ?? '', 'utf8');
    const result = engine.submit(null, {
      fn: latin1(b.function), unique: latin1(b.unique ?? ''), payload, priority: PRIORITY[b.priority ?? 'normal']!,
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

  app.get<{ Params: { handle: string } }>('/api/v1/jobs/:handle', async (req) => view(req.params.handle));

  app.get<{ Querystring: Record<string, string | undefined> }>('/api/v1/jobs', async (req) => {
    const q = req.query;
    const limit = q.limit === undefined ? 50 : Number(q.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new ApiError('BAD_REQUEST', 'limit must be 1 to 1000');
    if (q.state !== undefined && !(JOB_STATES as readonly string[]).includes(q.state)) {
      throw new ApiError('BAD_REQUEST', `state must be one of ${JOB_STATES.join(', ')}`);
    }
    if (q.q !== undefined && (q.q.length === 0 || q.q.length > 200)) throw new ApiError('BAD_REQUEST', 'q must be 1 to 200 characters');
    if (journal === null) throw new ApiError('BAD_REQUEST', 'this server keeps no job history (--store memory)');
    await journal.commitAndWait(false);
    // Text search scans payloads, results and errors: each request looks at one window of ids
    // below the cursor, so it answers in bounded time however large the history; when the window
    // yields fewer than `limit` matches, nextCursor continues below it.
    let window: { text: Buffer; minId: number } | null = null;
    if (q.q !== undefined) {
      const below = q.cursor !== undefined ? decodeCursorOr400(q.cursor) : engine.handleCounter;
      window = { text: Buffer.from(q.q, 'utf8'), minId: Math.max(1, below - (deps.textScanWindow ?? TEXT_SCAN_WINDOW)) };
    }
    let page;
    try {
      page = await store.listJobs({
        ...(window !== null ? window : {}),
        ...(q.function !== undefined ? { fn: latin1(q.function) } : {}),
        ...(q.state !== undefined ? { state: q.state as StoredState } : {}),
        ...(q.unique !== undefined ? { unique: latin1(q.unique) } : {}),
        ...(q.since !== undefined ? { since: parseTime(q.since, 'since') } : {}),
        ...(q.until !== undefined ? { until: parseTime(q.until, 'until') } : {}),
        limit, cursor: q.cursor ?? null,
      });
    } catch (e) {
      if (e instanceof RangeError) throw new ApiError('BAD_REQUEST', e.message);
      throw e;
    }
    let nextCursor = page.nextCursor;
    if (window !== null && nextCursor === null && window.minId > 1) nextCursor = encodeCursor(window.minId);
    return { jobs: page.jobs.map((r) => recordView(r, [], deps.previewBytes)), nextCursor };
  });

  app.post<{ Params: { handle: string } }>('/api/v1/jobs/:handle/cancel', async (req) => {
    const { handle } = req.params;
    if (!engine.cancel(handle)) {
      await view(handle); // 404 when unknown
      throw new ApiError('CONFLICT', `job ${handle} has already finished`);
    }
    return view(handle);
  });

  app.post<{ Params: { handle: string } }>('/api/v1/jobs/:handle/retry', async (req) => {
    const { handle } = req.params;
    if (engine.jobs.has(handle)) throw new ApiError('CONFLICT', `job ${handle} has not finished; nothing to retry`);
    const rec = journal !== null ? (await journal.commitAndWait(false), await store.findJob(handle)) : null;
    if (rec === null) throw new ApiError('JOB_NOT_FOUND', `no job ${handle}`);
    if (!(FINISHED_STATES as readonly string[]).includes(rec.state)) throw new ApiError('CONFLICT', `job ${handle} is ${rec.state}`);
    if (rec.payload.length < rec.payloadSize) {
      throw new ApiError('CONFLICT', `job ${handle}'s payload was stored cut (${rec.payloadSize} bytes); it cannot run again`);
    }
    const job = engine.revive({
      id: rec.id, handle: rec.handle, fn: rec.fn, unique: rec.unique, payload: rec.payload, priority: rec.priority,
      background: true, dueAt: 0, reducer: rec.reducer, submittedAt: rec.submittedAt, retries: rec.retries,
      attempts: rec.attempts,
    });
    if (job === null) throw new ApiError('CONFLICT', `an active job already holds unique ${JSON.stringify(rec.unique)}`);
    return view(handle);
  });

  app.post<{ Params: { handle: string }; Body: { runAt?: string; delayMs?: number } }>('/api/v1/jobs/:handle/reschedule', {
    schema: {
      body: {
        type: 'object', additionalProperties: false,
        properties: { runAt: { type: 'string' }, delayMs: { type: 'integer', minimum: 0 } },
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
