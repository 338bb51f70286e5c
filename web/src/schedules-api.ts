/**
 * Schedules as GET /api/v1/schedules returns them (src/http/routes-schedules.ts), and the calls
 * the schedules pages make. `?dryRun=true` on create and change checks a schedule exactly as
 * saving would and answers with its next runs, without saving: the form's live preview.
 */
import { api } from './api';

export type Priority = 'high' | 'normal' | 'low';
export type Missed = 'skip' | 'run-once';

/** What a schedule is: the fields POST takes (and PATCH changes). */
export interface ScheduleDef {
  name: string;
  cron: string;
  timezone: string;
  function: string;
  payload: string;
  unique: string | null;
  priority: Priority;
  enabled: boolean;
  missed: Missed;
}

/** One tick that fired: its job (state now; null when the server no longer knows it) or the refusal. */
export interface ScheduleRun {
  at: string;
  handle: string | null;
  state: string | null;
  error: string | null;
}

export interface Schedule extends ScheduleDef {
  /** 'config': from the config file; only pause/resume work through the API. */
  source: 'api' | 'config';
  lastRunAt: string | null;
  lastJob: string | null;
  lastError: string | null;
  nextRuns: string[];
  /** Newest first, since the server started (the last tick survives a restart). */
  recentRuns?: ScheduleRun[];
}

export const schedulePath = (name: string): string => `/api/v1/schedules/${encodeURIComponent(name)}`;
export const scheduleHref = (name: string): string => `/schedules/${encodeURIComponent(name)}`;
export const jobHref = (handle: string): string => `/jobs/${encodeURIComponent(handle)}`;

export function createSchedule(def: Partial<ScheduleDef>, dryRun = false): Promise<Schedule> {
  return api<Schedule>(`/api/v1/schedules${dryRun ? '?dryRun=true' : ''}`, { method: 'POST', body: def });
}

export function changeSchedule(name: string, change: Partial<ScheduleDef>, dryRun = false): Promise<Schedule> {
  return api<Schedule>(`${schedulePath(name)}${dryRun ? '?dryRun=true' : ''}`, { method: 'PATCH', body: change });
}

export function deleteSchedule(name: string): Promise<void> {
  return api<void>(schedulePath(name), { method: 'DELETE' });
}
