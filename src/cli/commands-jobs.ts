/**
 * `gearhq job <handle>`, `gearhq jobs` and `gearhq submit`: one job with its timeline, a list of
 * jobs, and submitting a background job — all through the HTTP API.
 */
import { Option, type Command } from 'commander';
import { clientAction, clientOptions, UsageError, type ClientContext } from './client-command.js';
import { registerBulkCommands } from './commands-bulk.js';
import { addJobFilterOptions, jobFilterFrom, timeFlag } from './job-filter-options.js';
import { bothTimes, localTime, localZone, relative, utcTime } from './times.js';
import { bytesLine, paint, renderFields, renderTable, stateStyle } from './table.js';

interface BytesJson { size: number; text?: string; base64?: string; truncated: boolean }

/** A job as GET /api/v1/jobs/{handle} returns it (API.md). */
export interface JobJson {
  handle: string;
  function: string;
  unique: string;
  priority: string;
  background: boolean;
  state: string;
  submittedAt: string;
  dueAt: string | null;
  startedAt: string | null;
  finishedAt: string | null;
  attempts: number;
  worker: string | null;
  progress: { numerator: number; denominator: number };
  payload: BytesJson | null;
  result: BytesJson | null;
  error: BytesJson | null;
  outcome: string | null;
  events: { at: string | null; type: string; detail: string | null }[];
}

const jobPath = (handle: string) => `/api/v1/jobs/${encodeURIComponent(handle)}`;

function describeJob(job: JobJson): string {
  const fields: [string, string][] = [
    ['function', job.function],
    ['unique', job.unique === '' ? '-' : job.unique],
    ['priority', `${job.priority}${job.background ? ' (background)' : ' (foreground)'}`],
    ['attempts', String(job.attempts)],
  ];
  if (job.worker !== null) fields.push(['worker', job.worker]);
  if (job.progress.denominator > 0) fields.push(['progress', `${job.progress.numerator}/${job.progress.denominator}`]);
  fields.push(['submitted', bothTimes(job.submittedAt)]);
  if (job.dueAt !== null) fields.push(['due', `${bothTimes(job.dueAt)}  ${relative(job.dueAt)}`]);
  if (job.startedAt !== null) fields.push(['started', bothTimes(job.startedAt)]);
  if (job.finishedAt !== null) fields.push(['finished', bothTimes(job.finishedAt)]);
  if (job.outcome !== null) fields.push(['outcome', job.outcome]);
  fields.push(['payload', bytesLine(job.payload)]);
  if (job.result !== null) fields.push(['result', bytesLine(job.result)]);
  if (job.error !== null) fields.push(['error', bytesLine(job.error)]);
  let text = `Job ${paint('bold', job.handle)}  ${paint(stateStyle(job.state), job.state)}\n${renderFields(fields)}`;
  text += `\nTimeline\n`;
  const rows = job.events.map((e) => {
    const d = e.at === null ? null : new Date(e.at);
    return [d === null ? '-' : localTime(d, true), d === null ? '-' : utcTime(d, true), e.type, e.detail ?? ''];
  });
  text += renderTable(
    [{ header: `LOCAL (${localZone()})` }, { header: 'UTC' }, { header: 'EVENT' }, { header: 'DETAIL' }],
    rows,
  ).replace(/^(?=.)/gm, '  ');
  return text;
}

async function showJob(ctx: ClientContext, _opts: Record<string, unknown>, handle: string): Promise<void> {
  const job = await ctx.api.get<JobJson>(jobPath(handle));
  if (ctx.json) ctx.printJson(job);
  else ctx.out(describeJob(job));
}

async function listJobs(ctx: ClientContext, opts: Record<string, unknown>): Promise<void> {
  const q = new URLSearchParams(Object.entries(jobFilterFrom(opts)));
  if (opts.cursor !== undefined) q.set('cursor', String(opts.cursor));
  const limit = Number(opts.limit ?? 20);
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new UsageError(`--limit must be 1 to 1000, got ${JSON.stringify(opts.limit)}`);
  q.set('limit', String(limit));
  const page = await ctx.api.get<{ jobs: JobJson[]; nextCursor: string | null }>(`/api/v1/jobs?${q}`);
  if (ctx.json) {
    ctx.printJson(page);
    return;
  }
  if (page.jobs.length === 0) {
    ctx.out('no jobs match\n');
    return;
  }
  const rows = page.jobs.map((j) => [
    j.handle, j.function, paint(stateStyle(j.state), j.state), j.priority,
    localTime(new Date(j.submittedAt)),
    j.state === 'scheduled' && j.dueAt !== null ? `due ${relative(j.dueAt)}` : j.finishedAt !== null ? `ended ${relative(j.finishedAt)}` : '',
    j.unique,
  ]);
  ctx.out(renderTable([
    { header: 'HANDLE' }, { header: 'FUNCTION' }, { header: 'STATE' }, { header: 'PRIORITY' },
    { header: `SUBMITTED (${localZone()})` }, { header: 'WHEN' }, { header: 'UNIQUE' },
  ], rows));
  if (page.nextCursor !== null) ctx.out(paint('dim', `more: add --cursor ${page.nextCursor}\n`));
}

async function readStdin(): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** `--delay`: milliseconds, or a number with a unit (90s, 5m, 2h, 1d). */
export function parseDelay(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$/i.exec(text);
  if (m === null) throw new UsageError(`--delay must be milliseconds or a duration like 90s, 5m, 2h; got ${JSON.stringify(text)}`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3600_000, d: 86400_000 }[(m[2] ?? 'ms').toLowerCase() as 'ms'];
  return Math.round(Number(m[1]) * unit);
}

async function submit(ctx: ClientContext, opts: Record<string, unknown>, fn: string, payload?: string): Promise<void> {
  const body: Record<string, unknown> = { function: fn };
  if (payload === '-') {
    const bytes = await readStdin();
    body.payloadBase64 = bytes.toString('base64');
  } else if (payload !== undefined) {
    body.payload = payload;
  }
  if (opts.unique !== undefined) body.unique = opts.unique;
  if (opts.priority !== undefined) body.priority = opts.priority;
  if (opts.runAt !== undefined) body.runAt = timeFlag(opts.runAt, '--run-at');
  if (opts.delay !== undefined) body.delayMs = parseDelay(String(opts.delay));
  const job = await ctx.api.post<JobJson>('/api/v1/jobs', body);
  if (ctx.json) {
    ctx.printJson(job);
    return;
  }
  let line = `${job.handle}  ${paint(stateStyle(job.state), job.state)}`;
  if (job.state === 'scheduled' && job.dueAt !== null) line += `  due ${bothTimes(job.dueAt)}  ${relative(job.dueAt)}`;
  ctx.out(`${line}\n`);
}

export function registerJobCommands(program: Command): void {
  clientOptions(program.command('job')
    .argument('<handle>', 'the job handle, e.g. H:host:42')
    .description('show one job and its timeline (times in your zone and in UTC)'))
    .action(clientAction(showJob));

  const jobs = clientOptions(addJobFilterOptions(program.command('jobs')
    .description('list jobs, newest first; `jobs cancel` and `jobs retry` act on every job matching the same filters'))
    .option('-n, --limit <n>', 'at most this many (1-1000)', '20')
    .option('--cursor <cursor>', 'continue after a previous page'))
    .action(clientAction(listJobs));
  registerBulkCommands(jobs);

  clientOptions(program.command('submit')
    .description('submit a background job')
    .argument('<function>', 'the function to run')
    .argument('[payload]', 'the payload as text; - reads bytes from stdin')
    .option('-u, --unique <unique>', 'unique id (an active job with the same one is joined)')
    .addOption(new Option('-p, --priority <priority>', 'high, normal or low').choices(['high', 'normal', 'low']))
    .addOption(new Option('--run-at <time>', 'run at this time (ISO-8601; without a zone it is your local time)').conflicts('delay'))
    .addOption(new Option('--delay <ms>', 'run after this many milliseconds (or 90s, 5m, 2h)').conflicts('runAt')))
    .action(clientAction(submit));
}
