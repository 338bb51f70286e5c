import { Cron } from 'croner';

/**
 * SUBMIT_JOB_SCHED carries minute, hour, day-of-month, month and day-of-week fields. A job is due
 * at the next time (server time zone) matching all of them; an empty field matches anything.
 * Fields may use cron syntax (`*`, lists, ranges, steps). Returns ms since the epoch, or null
 * when the fields do not form a valid schedule.
 */
export function nextSchedTime(fields: readonly string[], now: number, timezone?: string): number | null {
  if (fields.length !== 5) return null;
  const parts = fields.map((f) => (f.trim() === '' ? '*' : f.trim()));
  if (parts.some((p) => !/^[0-9*,\-/A-Za-z?]+$/.test(p))) return null;
  try {
    const cron = new Cron(parts.join(' '), { paused: true, domAndDow: true, ...(timezone ? { timezone } : {}) });
    const next = cron.nextRun(new Date(now));
    return next === null ? null : next.getTime();
  } catch {
    return null;
  }
}

/**
 * Parses SUBMIT_JOB_EPOCH's time like C `strtoll`: leading digits count, anything else means 0
 * (run now). Returns ms since the epoch (0 = now), or null when the number is out of range.
 */
export function parseEpochSeconds(text: string): number | null {
  const m = /^\s*([+-]?)(\d+)/.exec(text);
  if (m === null) return 0;
  const digits = m[2]!.replace(/^0+(?=\d)/, '');
  if (digits.length > 18) return null;
  const seconds = Number(digits);
  if (m[1] === '-') return 0;
  const ms = seconds * 1000;
  return ms > 8.64e15 ? null : ms;
}
