/**
 * `gearhq status`: every function's queue (by priority), scheduled, running, workers and whether
 * it is paused — the HTTP API's view of what the admin protocol's `status` shows.
 */
import type { Command } from 'commander';
import { clientAction, clientOptions, type ClientContext } from './client-command.js';
import { paint, renderTable } from './table.js';

interface FunctionJson {
  name: string;
  queued: { high: number; normal: number; low: number };
  scheduled: number;
  running: number;
  workers: number;
  paused: boolean;
}

async function status(ctx: ClientContext): Promise<void> {
  const { functions } = await ctx.api.get<{ functions: FunctionJson[] }>('/api/v1/functions');
  if (ctx.json) {
    ctx.printJson({ functions });
    return;
  }
  if (functions.length === 0) {
    ctx.out('no functions yet\n');
    return;
  }
  const rows = functions.map((f) => {
    const queued = f.queued.high + f.queued.normal + f.queued.low;
    return [
      f.name, String(queued), String(f.queued.high), String(f.queued.normal), String(f.queued.low),
      String(f.scheduled), String(f.running),
      f.workers === 0 && queued > 0 ? paint('red', '0') : String(f.workers),
      f.paused ? paint('yellow', 'paused') : '-',
    ];
  });
  const right = { align: 'right' as const };
  ctx.out(renderTable([
    { header: 'FUNCTION' }, { header: 'QUEUED', ...right }, { header: 'HIGH', ...right }, { header: 'NORMAL', ...right },
    { header: 'LOW', ...right }, { header: 'SCHEDULED', ...right }, { header: 'RUNNING', ...right },
    { header: 'WORKERS', ...right }, { header: 'PAUSED' },
  ], rows));
}

export function registerStatusCommand(program: Command): void {
  clientOptions(program.command('status').description('a table of functions: queued by priority, scheduled, running, workers, paused'))
    .action(clientAction(status));
}
