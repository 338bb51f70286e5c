/**
 * Named cron schedules: what they are, how they are checked, and when they fire next. Next runs
 * come from croner, which handles time zones and daylight-saving transitions.
 */
import { Cron } from 'croner';
import { Priority } from '../engine/job.js';

export interface ScheduleDef {
  name: string;
  /** 5 fields (minute precision) or 6 (with seconds first). */
  cron: string;
  /** IANA zone the cron fields are read in; default UTC. */
  timezone: string;
  function: string;
  payload: string;
  /** Unique for each job; default `schedule:<name>:<tick ms>` (one job per tick). */
  unique: string | null;
  priority: 'high' | 'normal' | 'low';
  enabled: boolean;
  /** After downtime: skip the missed ticks, or run one job for them. */
  missed: 'skip' | 'run-once';
}

export class ScheduleError extends Error {
  override name = 'ScheduleError';
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

export function priorityOf(def: ScheduleDef): Priority {
  return def.priority === 'high' ? Priority.HIGH : def.priority === 'low' ? Priority.LOW : Priority.NORMAL;
}

/** Validates a schedule given as JSON and fills in defaults. */
export function parseScheduleDef(raw: unknown, where = 'schedule'): ScheduleDef {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new ScheduleError(`${where}: expected an object`);
  const o = raw as Record<string, unknown>;
  const allowed = ['name', 'cron', 'timezone', 'function', 'payload', 'unique', 'priority', 'enabled', 'missed'];
  for (const k of Object.keys(o)) if (!allowed.includes(k)) throw new ScheduleError(`${where}: unknown field ${JSON.stringify(k)}`);
  const str = (k: string, required: boolean): string | undefined => {
    const v = o[k];
    if (v === undefined || v === null) {
      if (required) throw new ScheduleError(`${where}: ${k} is required`);
      return undefined;
    }
    if (typeof v !== 'string') throw new ScheduleError(`${where}: ${k} must be a string`);
    return v;
  };
  const name = str('name', true)!;
  if (!NAME.test(name)) throw new ScheduleError(`${where}: name must be 1-128 letters, digits or . _ : - (got ${JSON.stringify(name)})`);
  const at = `${where} ${name}`;
  const fn = str('function', true)!;
  if (fn.length === 0 || Buffer.byteLength(fn) > 512) throw new ScheduleError(`${at}: function must be 1 to 512 bytes`);
  const unique = str('unique', false) ?? null;
  if (unique !== null && Buffer.byteLength(unique) > 64) throw new ScheduleError(`${at}: unique must be at most 64 bytes`);
  const priority = (str('priority', false) ?? 'normal') as ScheduleDef['priority'];
  if (!['high', 'normal', 'low'].includes(priority)) throw new ScheduleError(`${at}: priority must be high, normal or low`);
  const missed = (str('missed', false) ?? 'skip') as ScheduleDef['missed'];
  if (!['skip', 'run-once'].includes(missed)) throw new ScheduleError(`${at}: missed must be skip or run-once`);
  if (o.enabled !== undefined && typeof o.enabled !== 'boolean') throw new ScheduleError(`${at}: enabled must be true or false`);
  const def: ScheduleDef = {
    name, cron: str('cron', true)!.trim(), timezone: str('timezone', false) ?? 'UTC', function: fn,
    payload: str('payload', false) ?? '', unique, priority, enabled: o.enabled !== false, missed,
  };
  const fields = def.cron.split(/\s+/).length;
  if (fields !== 5 && fields !== 6) throw new ScheduleError(`${at}: cron must have 5 or 6 fields, got ${fields}`);
  try {
    cronOf(def).nextRun(new Date());
  } catch (e) {
    throw new ScheduleError(`${at}: ${(e as Error).message}`);
  }
  return def;
}

function cronOf(def: ScheduleDef): Cron {
  return new Cron(def.cron, { paused: true, timezone: def.timezone, mode: def.cron.split(/\s+/).length === 6 ? '6-part' : '5-part' });
}

/** The first tick strictly after `after` (ms), or null when the schedule has no more. */
export function nextTick(def: ScheduleDef, after: number): number | null {
  const next = cronOf(def).nextRun(new Date(after));
  return next === null ? null : next.getTime();
}

/** The next `n` ticks after `after`, for previews. */
export function nextTicks(def: ScheduleDef, after: number, n: number): number[] {
  return cronOf(def).nextRuns(n, new Date(after)).map((d) => d.getTime());
}

/** The latest tick at or before `at` and after `after`, or null (for missed runs). */
export function lastTickBetween(def: ScheduleDef, after: number, at: number): number | null {
  let last: number | null = null;
  let t = nextTick(def, after);
  // Walk forward; bounded so a every-second schedule after a long outage stays cheap.
  for (let i = 0; t !== null && t <= at && i < 100000; i++) {
    last = t;
    t = nextTick(def, t);
  }
  return last;
}
