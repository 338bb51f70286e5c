/**
 * `gearhq jobs cancel` and `gearhq jobs retry`: start a bulk operation on the server for every job
 * matching the filter flags (POST /api/v1/jobs/bulk), then follow it to the end — a progress bar
 * on a terminal, plain lines otherwise, the final operation with --json. Ctrl-C asks the server
 * to stop the operation (what it already changed stays changed).
 */
import type { Command } from 'commander';
import { clientAction, clientOptions, UsageError, type ClientContext } from './client-command.js';
import type { BulkAction } from '../http/bulk-actions.js';
import type { operationView } from '../http/bulk-operations.js';
import { addJobFilterOptions, jobFilterFrom } from './job-filter-options.js';
import { bar, ProgressLine } from './progress-bar.js';

/** An operation as /api/v1/operations/{id} returns it (the server's view, as JSON). */
export type OperationJson = ReturnType<typeof operationView>;

const PAST: Record<BulkAction, string> = { cancel: 'cancelled', retry: 'retried' };
const POLL_MS = 200;

function progressTexts(op: OperationJson): [tty: string, plain: string] {
  // Counting is quick next to the walk: a plain line for it would only be noise.
  if (op.total === null) return [`${op.action}: counting matching jobs…`, ''];
  const total = Math.max(op.total, op.matched);
  const fraction = total === 0 ? 1 : op.matched / total;
  const skipped = op.skipped > 0 ? `  ${op.skipped} skipped` : '';
  return [
    `${op.action} ${bar(fraction)} ${op.matched}/${total}  ${Math.floor(fraction * 100)}%${skipped}`,
    `${PAST[op.action]} ${op.done} of ${total}${op.skipped > 0 ? ` (${op.skipped} skipped)` : ''}`,
  ];
}

function summary(op: OperationJson): string {
  const seconds = op.finishedAt === null ? null : (Date.parse(op.finishedAt) - Date.parse(op.startedAt)) / 1000;
  const took = seconds === null ? '' : ` in ${seconds.toFixed(1)}s`;
  const total = op.total ?? op.matched;
  let text = total === 0 && op.state === 'done'
    ? `no jobs match${took}\n`
    : `${PAST[op.action]} ${op.done} of ${total} matching jobs (${op.skipped} skipped, ${op.errors} errors)${took}\n`;
  for (const s of op.skippedJobs) text += `  skipped ${s.handle}: ${s.reason}\n`;
  if (op.skipped > op.skippedJobs.length) text += `  … and ${op.skipped - op.skippedJobs.length} more skipped\n`;
  return text;
}

/** Flags that narrow the walk; the server refuses an operation without one unless told --all. */
const NARROWING = ['function', 'unique', 'q', 'since', 'until'] as const;

async function runBulk(action: BulkAction, ctx: ClientContext, opts: Record<string, unknown>): Promise<void> {
  const filter = jobFilterFrom(opts);
  if (opts.all !== true && NARROWING.every((k) => filter[k] === undefined)) {
    const states = filter.state ?? (action === 'cancel' ? 'running, queued and scheduled' : 'failed and abandoned');
    throw new UsageError(`this would ${action} every ${states} job: narrow it with --function, --unique, --search, `
      + '--since or --until, or say --all');
  }
  const body = { action, filter, ...(opts.all === true ? { all: true } : {}) };
  let { operation: op } = await ctx.api.post<{ operation: OperationJson }>('/api/v1/jobs/bulk', body);
  const line = ctx.json ? null : new ProgressLine(ctx.out, process.stdout.isTTY === true);
  let interrupted = false;
  const onInterrupt = () => { interrupted = true; };
  process.on('SIGINT', onInterrupt);
  try {
    while (op.state === 'running') {
      line?.update(...progressTexts(op));
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      const path = `/api/v1/operations/${encodeURIComponent(op.id)}${interrupted ? '/stop' : ''}`;
      op = (interrupted
        ? await ctx.api.post<{ operation: OperationJson }>(path)
        : await ctx.api.get<{ operation: OperationJson }>(path)).operation;
    }
  } finally {
    process.off('SIGINT', onInterrupt);
  }
  if (line !== null) {
    // On a terminal the bar ends as it finished; a log gets the summary only.
    if (process.stdout.isTTY === true && op.total !== null) line.update(...progressTexts(op));
    line.done();
  }
  if (ctx.json) ctx.printJson(op);
  else ctx.out(summary(op));
  if (op.state !== 'done') {
    process.stderr.write(`gearhq: operation ${op.id} ${op.state}${op.message !== null ? `: ${op.message}` : ''}\n`);
    process.exitCode = interrupted ? 130 : 1;
  } else if (op.errors > 0) {
    process.stderr.write(`gearhq: ${op.errors} jobs failed: ${op.message ?? ''}\n`);
    process.exitCode = 1;
  }
}

export function registerBulkCommands(jobs: Command): void {
  const help: Record<BulkAction, [string, string]> = {
    cancel: [
      'cancel every job matching the filter (on the server, with progress); Ctrl-C stops it',
      'only jobs in this state (default: running, queued and scheduled)',
    ],
    retry: [
      'run every finished job matching the filter again under its handle (on the server, with progress)',
      'only jobs in this state (default: failed and abandoned)',
    ],
  };
  for (const action of ['cancel', 'retry'] as const) {
    const cmd = jobs.command(action).description(help[action][0]);
    addJobFilterOptions(cmd, help[action][1])
      .option('--all', 'confirm that no filter but --state is meant: every such job');
    clientOptions(cmd).action(clientAction((ctx, opts) => runBulk(action, ctx, opts)));
  }
}
