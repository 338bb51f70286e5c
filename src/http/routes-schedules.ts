/**
 * /api/v1/schedules: cron schedules. Those made through the API are stored as settings and come
 * back after a restart; those from the config file can be paused and resumed but not changed here.
 * Create and change take `?dryRun=true`: checked exactly as for real, answered with the schedule
 * as it would be (its next runs included), and nothing saved — the dashboard's live preview.
 */
import type { FastifyInstance } from 'fastify';
import { parseScheduleDef, ScheduleError, type ScheduleDef } from '../schedule/cron-schedule.js';
import type { ScheduleRun, ScheduleView } from '../schedule/scheduler.js';
import { ApiError, parsedOr400, refuseSchemaErrors, type HttpDeps } from './http-server.js';
import { listOf, nameParams, ref, replies } from './schemas.js';
import { isoTime } from './iso-time.js';

function dryRunOf(query: { dryRun?: string }): boolean {
  const v = query.dryRun;
  if (v === undefined || v === 'false') return false;
  if (v === 'true') return true;
  throw new ApiError('BAD_REQUEST', `dryRun must be true or false, got ${JSON.stringify(v)}`);
}

const scheduleParams = nameParams('The schedule\'s name.');
const oneSchedule = (status: 200 | 201, description: string) => ({ [status]: { description, ...ref('Schedule') } });
const dryRunQuery = {
  type: 'object',
  properties: { dryRun: { type: 'string', enum: ['true', 'false'], description: 'true: check and preview only; nothing is saved.' } },
};

export function registerScheduleRoutes(app: FastifyInstance, deps: HttpDeps): void {
  const { scheduler, store, engine, journal } = deps;

  /**
   * A run's outcome is its job's state now: live in the engine, else as stored. Null when neither
   * knows the job (no history kept with --store memory, or pruned since).
   */
  const stateOf = async (handle: string): Promise<string | null> => {
    const live = engine.jobs.get(handle);
    if (live !== undefined) return live.state;
    if (journal === null) return null;
    return (await store.findJob(handle))?.state ?? null;
  };
  /**
   * Runs are remembered since the process started; after a restart the last stored tick of a
   * schedule with the default unique (`schedule:<name>:<tick>`) still finds its job.
   */
  const runsOf = async (v: ScheduleView): Promise<ScheduleRun[]> => {
    if (v.recentRuns.length > 0 || v.lastRunAt === null || v.unique !== null || journal === null) return v.recentRuns;
    const [job] = await store.findByUnique(`schedule:${v.name}:${v.lastRunAt}`, 1);
    return job === undefined ? [] : [{ at: v.lastRunAt, handle: job.handle, error: null }];
  };
  const out = async (v: ScheduleView) => {
    const runs = await runsOf(v);
    const recentRuns = await Promise.all(runs.map(async (r) => ({
      at: isoTime(r.at), handle: r.handle, state: r.handle === null ? null : await stateOf(r.handle), error: r.error,
    })));
    return {
      ...v, source: deps.configSchedules.has(v.name) ? 'config' : 'api', lastRunAt: isoTime(v.lastRunAt),
      nextRuns: v.nextRuns.map((t) => isoTime(t)), recentRuns,
    };
  };
  /** Finished jobs' states are read from the store: let what the engine did reach it first. */
  const settled = async (): Promise<void> => {
    await journal?.commitAndWait(false);
  };
  const parse = (raw: unknown): ScheduleDef => parsedOr400(ScheduleError, () => parseScheduleDef(raw));
  const existing = (name: string): ScheduleView => {
    const v = scheduler.get(name);
    if (v === null) throw new ApiError('SCHEDULE_NOT_FOUND', `no schedule ${JSON.stringify(name)}`);
    return v;
  };
  const editable = (name: string): void => {
    if (deps.configSchedules.has(name)) {
      throw new ApiError('CONFLICT', `schedule ${name} comes from the config file; change it there (pause/resume work here)`);
    }
  };
  const save = async (def: ScheduleDef): Promise<void> => {
    await store.putSetting(`schedule:${def.name}`, JSON.stringify(def));
    scheduler.put(def);
  };
  const definitionOf = (v: ScheduleView): ScheduleDef => ({
    name: v.name, cron: v.cron, timezone: v.timezone, function: v.function, payload: v.payload, unique: v.unique,
    priority: v.priority, enabled: v.enabled, missed: v.missed,
  });

  app.get('/api/v1/schedules', {
    schema: {
      summary: 'Every schedule, with its next runs', tags: ['schedules'], operationId: 'listSchedules',
      response: replies({ 200: listOf('schedules', ref('Schedule'), 'Config-file and API schedules.') }),
    },
  }, async () => {
    await settled();
    return { schedules: await Promise.all(scheduler.list().map(out)) };
  });

  // The schedule parser (shared with the config file) speaks first; see refuseSchemaErrors.
  app.post<{ Body: unknown; Querystring: { dryRun?: string } }>('/api/v1/schedules', {
    schema: {
      summary: 'Add a schedule (stored)', tags: ['schedules'], operationId: 'createSchedule', body: ref('ScheduleInput'),
      querystring: dryRunQuery,
      response: replies({ ...oneSchedule(201, 'The new schedule.'), ...oneSchedule(200, 'With dryRun: the schedule as it would be.') }, 400, 409),
    },
    attachValidation: true,
  }, async (req, reply) => {
    const dryRun = dryRunOf(req.query);
    const def = parse(req.body);
    refuseSchemaErrors(req);
    if (scheduler.get(def.name) !== null) throw new ApiError('CONFLICT', `a schedule named ${def.name} exists`);
    if (dryRun) return out(scheduler.preview(def));
    await save(def);
    return reply.code(201).send(await out(existing(def.name)));
  });

  app.get<{ Params: { name: string } }>('/api/v1/schedules/:name', {
    schema: {
      summary: 'One schedule', tags: ['schedules'], operationId: 'getSchedule', params: scheduleParams,
      response: replies(oneSchedule(200, 'The schedule.'), 404),
    },
  }, async (req) => {
    await settled();
    return out(existing(req.params.name));
  });

  app.patch<{ Params: { name: string }; Body: Record<string, unknown>; Querystring: { dryRun?: string } }>('/api/v1/schedules/:name', {
    schema: {
      summary: 'Change a schedule, or pause and resume it (`enabled`)', tags: ['schedules'], operationId: 'updateSchedule',
      params: scheduleParams, body: ref('ScheduleChange'), querystring: dryRunQuery,
      response: replies(oneSchedule(200, 'The schedule as changed.'), 400, 404, 409),
    },
    attachValidation: true,
  }, async (req) => {
    const dryRun = dryRunOf(req.query);
    const name = req.params.name;
    const current = definitionOf(existing(name));
    const body = req.body ?? {};
    if (typeof body !== 'object' || Array.isArray(body)) throw new ApiError('BAD_REQUEST', 'expected an object');
    if (body.name !== undefined && body.name !== name) throw new ApiError('BAD_REQUEST', 'a schedule cannot be renamed');
    const onlyEnabled = Object.keys(body).every((k) => k === 'enabled' || k === 'name');
    if (!onlyEnabled) editable(name);
    const def = parse({ ...current, ...body });
    refuseSchemaErrors(req);
    if (dryRun) return out(scheduler.preview(def));
    if (deps.configSchedules.has(name)) {
      scheduler.setEnabled(name, def.enabled);
      await store.putSetting(`schedule-enabled:${name}`, def.enabled ? null : 'false');
    } else {
      await save(def);
    }
    return out(existing(name));
  });

  app.delete<{ Params: { name: string } }>('/api/v1/schedules/:name', {
    schema: {
      summary: 'Remove a schedule made through the API', tags: ['schedules'], operationId: 'deleteSchedule', params: scheduleParams,
      response: replies({ 204: { description: 'Removed.', type: 'null' } }, 404, 409),
    },
  }, async (req, reply) => {
    const name = req.params.name;
    existing(name);
    editable(name);
    await store.putSetting(`schedule:${name}`, null);
    scheduler.remove(name);
    return reply.code(204).send();
  });
}
