/**
 * /api/v1/schedules: cron schedules. Those made through the API are stored as settings and come
 * back after a restart; those from the config file can be paused and resumed but not changed here.
 */
import type { FastifyInstance } from 'fastify';
import { parseScheduleDef, ScheduleError, type ScheduleDef } from '../schedule/cron-schedule.js';
import type { ScheduleView } from '../schedule/scheduler.js';
import { ApiError, type HttpDeps } from './http-server.js';

function out(v: ScheduleView, fromConfig: boolean) {
  const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
  return { ...v, source: fromConfig ? 'config' : 'api', lastRunAt: iso(v.lastRunAt), nextRuns: v.nextRuns.map((t) => iso(t)) };
}

export function registerScheduleRoutes(app: FastifyInstance, deps: HttpDeps): void {
  const { scheduler, store } = deps;
  const parse = (raw: unknown): ScheduleDef => {
    try {
      return parseScheduleDef(raw);
    } catch (e) {
      if (e instanceof ScheduleError) throw new ApiError('BAD_REQUEST', e.message);
      throw e;
    }
  };
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

  app.get('/api/v1/schedules', async () => ({
    schedules: scheduler.list().map((v) => out(v, deps.configSchedules.has(v.name))),
  }));

  app.post<{ Body: unknown }>('/api/v1/schedules', async (req, reply) => {
    const def = parse(req.body);
    if (scheduler.get(def.name) !== null) throw new ApiError('CONFLICT', `a schedule named ${def.name} exists`);
    await save(def);
    return reply.code(201).send(out(existing(def.name), false));
  });

  app.get<{ Params: { name: string } }>('/api/v1/schedules/:name', async (req) =>
    out(existing(req.params.name), deps.configSchedules.has(req.params.name)));

  app.patch<{ Params: { name: string }; Body: Record<string, unknown> }>('/api/v1/schedules/:name', async (req) => {
    const name = req.params.name;
    const current = definitionOf(existing(name));
    const body = req.body ?? {};
    if (typeof body !== 'object' || Array.isArray(body)) throw new ApiError('BAD_REQUEST', 'expected an object');
    if (body.name !== undefined && body.name !== name) throw new ApiError('BAD_REQUEST', 'a schedule cannot be renamed');
    const onlyEnabled = Object.keys(body).every((k) => k === 'enabled' || k === 'name');
    if (!onlyEnabled) editable(name);
    const def = parse({ ...current, ...body });
    if (deps.configSchedules.has(name)) {
      scheduler.setEnabled(name, def.enabled);
      await store.putSetting(`schedule-enabled:${name}`, def.enabled ? null : 'false');
    } else {
      await save(def);
    }
    return out(existing(name), deps.configSchedules.has(name));
  });

  app.delete<{ Params: { name: string } }>('/api/v1/schedules/:name', async (req, reply) => {
    const name = req.params.name;
    existing(name);
    editable(name);
    await store.putSetting(`schedule:${name}`, null);
    scheduler.remove(name);
    return reply.code(204).send();
  });
}
