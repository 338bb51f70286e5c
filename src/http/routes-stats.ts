/**
 * /api/v1/stats: the stats engine's snapshot over a sliding window, and the minute roll-ups the
 * store keeps for charts. Durations are in ms, instants ISO-8601.
 */
import type { FastifyInstance } from 'fastify';
import { STATS_WINDOWS, type StatsWindow } from '../stats/stats-types.js';
import type { RollupRecord } from '../store/store.js';
import { ApiError, refuseSchemaErrors, type HttpDeps } from './http-server.js';
import { toWire, wireText } from '../protocol/wire-text.js';
import { ref, replies } from './schemas.js';
import { parseTime } from './job-query.js';

const HOUR = 3_600_000;
/** Most roll-up rows one history request returns (a day of one function is 1440). */
const MAX_HISTORY_ROWS = 10_000;

function rollupView(r: RollupRecord) {
  const { fn, at, ...rest } = r;
  return { function: wireText(fn), at: new Date(at).toISOString(), ...rest };
}

export function registerStatsRoutes(app: FastifyInstance, deps: HttpDeps): void {
  const notCollected = () => new ApiError('NOT_FOUND', 'stats are not collected (the stats engine is off)');

  app.get<{ Querystring: Record<string, string | undefined> }>('/api/v1/stats', {
    schema: {
      summary: 'Totals and per-function figures over a sliding window', tags: ['stats'], operationId: 'getStats',
      querystring: { type: 'object', properties: { window: { type: 'string', enum: [...STATS_WINDOWS], description: '5m by default.' } } },
      response: replies({ 200: { description: 'The snapshot.', ...ref('Stats') } }, 400, 404),
    },
    attachValidation: true,
  }, async (req) => {
    if (deps.stats === null) throw notCollected();
    const window = req.query.window ?? '5m';
    if (!(STATS_WINDOWS as readonly string[]).includes(window)) {
      throw new ApiError('BAD_REQUEST', `window must be one of ${STATS_WINDOWS.join(', ')}, got ${JSON.stringify(window)}`);
    }
    refuseSchemaErrors(req);
    const snap = deps.stats.snapshot(window as StatsWindow);
    return { ...snap, at: new Date(snap.at).toISOString() };
  });

  app.get<{ Querystring: Record<string, string | undefined> }>('/api/v1/stats/history', {
    schema: {
      summary: 'Stored minute roll-ups, for charts', tags: ['stats'], operationId: 'getStatsHistory',
      querystring: {
        type: 'object',
        properties: {
          function: { type: 'string', description: 'One function; all when left out.' },
          since: { type: 'string', description: 'ISO-8601; 24 hours before `until` by default.' },
          until: { type: 'string', description: 'ISO-8601; now by default.' },
          limit: { type: 'string', description: `Rows, 1 to ${MAX_HISTORY_ROWS} (the default).` },
        },
      },
      response: replies({ 200: { description: 'The minutes in the range.', ...ref('StatsHistory') } }, 400),
    },
  }, async (req) => {
    const q = req.query;
    const until = q.until !== undefined ? parseTime(q.until, 'until') : deps.engine.clock.now();
    const since = q.since !== undefined ? parseTime(q.since, 'since') : until - 24 * HOUR;
    if (since > until) throw new ApiError('BAD_REQUEST', 'since must not be after until');
    const limit = q.limit === undefined ? MAX_HISTORY_ROWS : Number(q.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_HISTORY_ROWS) {
      throw new ApiError('BAD_REQUEST', `limit must be 1 to ${MAX_HISTORY_ROWS}`);
    }
    const fn = q.function !== undefined && q.function !== '' ? toWire(q.function) : null;
    // One more than asked tells whether the range held more.
    const rows = await deps.store.rollupsRange({ fn, since, until, limit: limit + 1 });
    return {
      since: new Date(since).toISOString(),
      until: new Date(until).toISOString(),
      truncated: rows.length > limit,
      rollups: rows.slice(0, limit).map(rollupView),
    };
  });
}
