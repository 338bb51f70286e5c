/**
 * `gearhq status`: every function's queue (by priority), scheduled, running, workers and whether
 * it is paused — the HTTP API's view of what the admin protocol's `status` shows — with the
 * stats engine's throughput, p95 runtime and failure share over the last 5 minutes.
 */
import type { Command } from 'commander';
import type { FunctionStats, StatsSnapshot, StatsWindow } from '../stats/stats-types.js';
import { clientAction, clientOptions, type ClientContext } from './client-command.js';
import { unlessMissing } from './http-client.js';
import { paint, renderTable } from './table.js';

export interface FunctionJson {
  name: string;
  queued: { high: number; normal: number; low: number };
  scheduled: number;
  running: number;
  workers: number;
  paused: boolean;
}

/** Milliseconds as a short duration: 850ms, 12.5s, 3.2m, 1.5h. */
export function duration(ms: number | null): string {
  if (ms === null) return '-';
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  if (ms < 3_600_000) return `${(ms / 60_000).toFixed(1)}m`;
  return `${(ms / 3_600_000).toFixed(1)}h`;
}

export function rate(perSecond: number): string {
  return perSecond >= 100 ? String(Math.round(perSecond)) : String(Math.round(perSecond * 100) / 100);
}

/** The window's stats, or null from a server that does not collect them (HTTP 404). */
function fetchStats(ctx: ClientContext, window: StatsWindow): Promise<StatsSnapshot | null> {
  return unlessMissing(ctx.api.get<StatsSnapshot>(`/api/v1/stats?window=${window}`));
}

export interface StatusData {
  functions: FunctionJson[];
  stats: StatsSnapshot | null;
}

/** What `status` shows: the functions and the stats over `window`, fetched together. */
export async function fetchStatus(ctx: ClientContext, window: StatsWindow = '5m'): Promise<StatusData> {
  const [{ functions }, stats] = await Promise.all([
    ctx.api.get<{ functions: FunctionJson[] }>('/api/v1/functions'), fetchStats(ctx, window),
  ]);
  return { functions, stats };
}

/** The table of functions (`no functions yet` when there are none). */
export function statusTable({ functions, stats }: StatusData): string {
  const byName = new Map<string, FunctionStats>((stats?.functions ?? []).map((f) => [f.function, f]));
  if (functions.length === 0) return 'no functions yet\n';
  const rows = functions.map((f) => {
    const queued = f.queued.high + f.queued.normal + f.queued.low;
    const st = byName.get(f.name);
    const failure = st?.failureRate ?? null;
    return [
      f.name, String(queued), String(f.queued.high), String(f.queued.normal), String(f.queued.low),
      String(f.scheduled), String(f.running),
      f.workers === 0 && queued > 0 ? paint('red', '0') : String(f.workers),
      st === undefined ? '-' : rate(st.throughput),
      duration(st?.runtime.p95 ?? null),
      failure === null ? '-' : paint(failure > 0 ? 'red' : 'green', `${(failure * 100).toFixed(1)}%`),
      f.paused ? paint('yellow', 'paused') : '-',
    ];
  });
  const right = { align: 'right' as const };
  return renderTable([
    { header: 'FUNCTION' }, { header: 'QUEUED', ...right }, { header: 'HIGH', ...right }, { header: 'NORMAL', ...right },
    { header: 'LOW', ...right }, { header: 'SCHEDULED', ...right }, { header: 'RUNNING', ...right },
    { header: 'WORKERS', ...right }, { header: 'JOBS/S', ...right }, { header: 'P95 RUNTIME', ...right },
    { header: 'FAIL %', ...right }, { header: 'PAUSED' },
  ], rows);
}

async function status(ctx: ClientContext): Promise<void> {
  const data = await fetchStatus(ctx);
  if (ctx.json) ctx.printJson(data);
  else ctx.out(statusTable(data));
}

export function registerStatusCommand(program: Command): void {
  clientOptions(program.command('status').description(
    'a table of functions: queued by priority, scheduled, running, workers, jobs/s, p95 runtime and failure % over 5 minutes, paused'))
    .action(clientAction(status));
}
