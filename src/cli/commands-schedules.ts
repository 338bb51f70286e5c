/**
 * `gearhq schedules list|add|rm|pause|resume`: cron schedules through the HTTP API, with next
 * runs shown in the user's zone and in UTC.
 */
import { Option, type Command } from 'commander';
import { clientAction, clientOptions, type ClientContext } from './client-command.js';
import { bothTimes, localTime, localZone, relative, utcTime } from './times.js';
import { paint, renderTable } from './table.js';
import type { ScheduleDef } from '../schedule/cron-schedule.js';

/** A schedule as /api/v1/schedules returns it: its definition plus state, times as ISO text. */
interface ScheduleJson extends ScheduleDef {
  source: 'api' | 'config';
  lastRunAt: string | null;
  lastJob: string | null;
  lastError: string | null;
  nextRuns: string[];
  /** The last ticks, newest first: the job each submitted and its state now, or why none was. */
  recentRuns: { at: string; handle: string | null; state: string | null; error: string | null }[];
}

const OUTCOME_COLOUR: Record<string, Parameters<typeof paint>[0]> = {
  completed: 'green', failed: 'red', cancelled: 'yellow', abandoned: 'red',
};

/** "3 min ago · completed" for the newest run, coloured by how it went. */
function lastRunText(s: ScheduleJson): string {
  const run = s.recentRuns?.[0];
  if (run === undefined) return s.lastRunAt === null ? '-' : relative(s.lastRunAt);
  const outcome = run.error ?? run.state ?? '';
  const colour = run.error !== null ? 'red' : OUTCOME_COLOUR[outcome];
  return `${relative(run.at)} · ${colour === undefined ? outcome : paint(colour, outcome)}`;
}

const schedulePath = (name: string) => `/api/v1/schedules/${encodeURIComponent(name)}`;

function nextRunsText(s: ScheduleJson, n: number): string {
  if (!s.enabled) return '  paused: no runs until resumed\n';
  if (s.nextRuns.length === 0) return '  no further runs\n';
  return s.nextRuns.slice(0, n).map((at) => `  ${bothTimes(at)}  ${relative(at)}\n`).join('');
}

async function list(ctx: ClientContext): Promise<void> {
  const { schedules } = await ctx.api.get<{ schedules: ScheduleJson[] }>('/api/v1/schedules');
  if (ctx.json) {
    ctx.printJson({ schedules });
    return;
  }
  if (schedules.length === 0) {
    ctx.out('no schedules\n');
    return;
  }
  const rows = schedules.map((s) => {
    const next = s.enabled && s.nextRuns.length > 0 ? new Date(s.nextRuns[0]!) : null;
    return [
      s.name, s.cron, s.timezone, s.function,
      s.enabled ? paint('green', 'active') : paint('yellow', 'paused'),
      next === null ? '-' : localTime(next),
      next === null ? '-' : utcTime(next),
      lastRunText(s),
      s.source,
    ];
  });
  ctx.out(renderTable([
    { header: 'NAME' }, { header: 'CRON' }, { header: 'TIMEZONE' }, { header: 'FUNCTION' }, { header: 'STATE' },
    { header: `NEXT RUN (${localZone()})` }, { header: 'NEXT RUN (UTC)' }, { header: 'LAST RUN' }, { header: 'FROM' },
  ], rows));
}

async function add(ctx: ClientContext, opts: Record<string, unknown>): Promise<void> {
  const body: Record<string, unknown> = { name: opts.name, cron: opts.cron, function: opts.function };
  for (const k of ['timezone', 'payload', 'priority', 'missed', 'unique'] as const) if (opts[k] !== undefined) body[k] = opts[k];
  if (opts.paused === true) body.enabled = false;
  const s = await ctx.api.post<ScheduleJson>('/api/v1/schedules', body);
  if (ctx.json) {
    ctx.printJson(s);
    return;
  }
  ctx.out(`added schedule ${paint('bold', s.name)} (${s.cron}, ${s.timezone}) → ${s.function}\nnext runs:\n${nextRunsText(s, 3)}`);
}

async function remove(ctx: ClientContext, _opts: Record<string, unknown>, name: string): Promise<void> {
  await ctx.api.delete(schedulePath(name));
  if (ctx.json) ctx.printJson({ removed: name });
  else ctx.out(`removed schedule ${name}\n`);
}

function setEnabled(enabled: boolean) {
  return async (ctx: ClientContext, _opts: Record<string, unknown>, name: string): Promise<void> => {
    const s = await ctx.api.patch<ScheduleJson>(schedulePath(name), { enabled });
    if (ctx.json) {
      ctx.printJson(s);
      return;
    }
    if (!enabled) ctx.out(`paused schedule ${s.name}\n`);
    else ctx.out(`resumed schedule ${s.name}; next runs:\n${nextRunsText(s, 3)}`);
  };
}

export function registerScheduleCommands(program: Command): void {
  const schedules = program.command('schedules').description('cron schedules: list, add, rm, pause, resume');
  clientOptions(schedules.command('list', { isDefault: true }).description('list schedules with their next run (your zone and UTC)'))
    .action(clientAction(list));
  clientOptions(schedules.command('add').description('add a cron schedule')
    .requiredOption('--name <name>', 'its name (letters, digits, . _ : -)')
    .requiredOption('--cron <expr>', 'cron fields: 5 (minute precision) or 6 (seconds first), e.g. "30 2 * * *"')
    .requiredOption('--function <name>', 'the function each run submits a job to')
    .option('--timezone <zone>', 'IANA zone the cron fields are read in (default UTC)')
    .option('--payload <text>', 'payload of each job')
    .option('--unique <unique>', 'unique of each job (default: one per tick)')
    .addOption(new Option('--priority <priority>', 'priority of each job').choices(['high', 'normal', 'low']))
    .addOption(new Option('--missed <what>', 'after downtime: skip missed runs or run once').choices(['skip', 'run-once']))
    .option('--paused', 'add it paused'))
    .action(clientAction(add));
  clientOptions(schedules.command('rm').alias('remove').argument('<name>').description('delete a schedule'))
    .action(clientAction(remove));
  clientOptions(schedules.command('pause').argument('<name>').description('stop a schedule from firing'))
    .action(clientAction(setEnabled(false)));
  clientOptions(schedules.command('resume').argument('<name>').description('let a paused schedule fire again'))
    .action(clientAction(setEnabled(true)));
}
