/**
 * `gearhq top`: the `status` table and a totals line (throughput, queued, running, workers,
 * firing alerts), fetched again every --interval seconds. On a terminal it takes the alternate
 * screen and redraws in place, like top, until q, Ctrl-C or SIGTERM, and then gives the terminal
 * back as it was; elsewhere it prints one snapshot per interval (one JSON line each with --json),
 * or a single one with --once.
 */
import type { Command } from 'commander';
import { Option } from 'commander';
import { clientAction, clientOptions, UsageError, type ClientContext } from './client-command.js';
import { fetchStatus, rate, statusTable, type StatusData } from './commands-status.js';
import { unlessMissing } from './http-client.js';
import { paint } from './table.js';
import { localTime } from './times.js';
import { STATS_WINDOWS, type StatsWindow } from '../stats/stats-types.js';

export interface TopSnapshot extends StatusData {
  at: string;
  /** Connected workers (each counted once, whatever it can do); null if the server would not say. */
  workers: number | null;
  /** Names of the alert rules firing; null when the server evaluates no alerts. */
  firing: string[] | null;
}

async function fetchSnapshot(ctx: ClientContext, window: StatsWindow): Promise<TopSnapshot> {
  const [status, workers, alerts] = await Promise.all([
    fetchStatus(ctx, window),
    unlessMissing(ctx.api.get<{ workers: unknown[] }>('/api/v1/workers')),
    unlessMissing(ctx.api.get<{ alerts: { rule: string }[] }>('/api/v1/alerts?state=firing')),
  ]);
  return {
    at: new Date().toISOString(), ...status,
    workers: workers === null ? null : workers.workers.length,
    firing: alerts === null ? null : alerts.alerts.map((a) => a.rule),
  };
}

/** `jobs/s 12.5  queued 340 (high 0, normal 340, low 0)  scheduled 2  running 8  workers 3  alerts firing 0`. */
export function totalsLine(s: TopSnapshot): string {
  const sum = (pick: (f: StatusData['functions'][number]) => number) => s.functions.reduce((n, f) => n + pick(f), 0);
  const high = sum((f) => f.queued.high);
  const normal = sum((f) => f.queued.normal);
  const low = sum((f) => f.queued.low);
  const parts = [
    `jobs/s ${s.stats === null ? '-' : rate(s.stats.totals.throughput)}`,
    `queued ${high + normal + low} (high ${high}, normal ${normal}, low ${low})`,
    `scheduled ${sum((f) => f.scheduled)}`,
    `running ${sum((f) => f.running)}`,
    `workers ${s.workers ?? '-'}`,
  ];
  if (s.firing === null) parts.push('alerts off');
  else if (s.firing.length === 0) parts.push(`alerts firing ${paint('green', '0')}`);
  else parts.push(`alerts firing ${paint('red', `${s.firing.length} (${s.firing.join(', ')})`)}`);
  return parts.join('  ');
}

function snapshotText(s: TopSnapshot, header: string): string {
  return `${header}\n${totalsLine(s)}\n\n${statusTable(s)}`;
}

const ANSI = /\u001b\[[0-9;?]*[A-Za-z]/g;

/** Lines cut to the terminal: wider ones lose their colours and are cut; taller ones are dropped. */
function fitScreen(text: string, columns: number, rows: number): string[] {
  let lines = text.replace(/\n$/, '').split('\n');
  if (lines.length > rows) lines = [...lines.slice(0, rows - 1), `… ${lines.length - rows + 1} more lines`];
  return lines.map((l) => {
    const plain = l.replace(ANSI, '');
    return [...plain].length <= columns ? l : [...plain].slice(0, Math.max(1, columns - 1)).join('') + '…';
  });
}

const SCREEN = {
  enter: '\u001b[?1049h\u001b[?25l', // alternate screen, cursor hidden
  leave: '\u001b[?25h\u001b[?1049l', // cursor shown, normal screen back
  home: '\u001b[H',
  eraseLine: '\u001b[K',
  eraseBelow: '\u001b[J',
};

interface TopOptions {
  intervalMs: number;
  window: StatsWindow;
}

/** Resolves when the user or the system asks top to end: q, Ctrl-C, SIGINT, SIGTERM. */
function stopSignal(keys: boolean): { stopped: Promise<void>; readonly done: boolean; stop(): void; dispose(): void } {
  let done = false;
  let wake!: () => void;
  const stopped = new Promise<void>((r) => { wake = r; });
  const resolve = () => { done = true; wake(); };
  const onSignal = () => resolve();
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const stdin = process.stdin;
  const onKey = (d: Buffer) => {
    const k = d.toString('latin1');
    if (k === 'q' || k === 'Q' || k.includes('\u0003')) resolve();
  };
  if (keys) {
    stdin.setRawMode(true);
    stdin.on('data', onKey);
    stdin.resume();
  }
  return {
    stopped,
    get done() { return done; },
    stop: resolve,
    dispose() {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      if (keys) {
        stdin.off('data', onKey);
        stdin.setRawMode(false);
        stdin.pause();
      }
    },
  };
}

function waitOrStop(ms: number, stopped: Promise<void>): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([new Promise<void>((r) => { timer = setTimeout(r, ms); }), stopped]).finally(() => clearTimeout(timer));
}

/** Redraws in place on the alternate screen until stopped; the terminal is restored whatever happens. */
async function liveScreen(ctx: ClientContext, o: TopOptions, first: TopSnapshot): Promise<void> {
  const out = process.stdout;
  const signal = stopSignal(process.stdin.isTTY === true);
  let last = first;
  let problem: string | null = null;
  const draw = () => {
    const header = `${paint('bold', 'gearhq top')}  ${ctx.api.baseUrl}  ${localTime(new Date(last.at))}  `
      + `every ${o.intervalMs / 1000}s, stats over ${o.window}  ${paint('dim', 'q quits')}`
      + (problem === null ? '' : `\n${paint('red', problem)}`);
    // A pseudo-terminal nobody sized reports 0 × 0.
    const lines = fitScreen(snapshotText(last, header), out.columns > 0 ? out.columns : 120, out.rows > 0 ? out.rows : 40);
    // No newline after the last line: on a full screen it would scroll the header away.
    out.write(`${SCREEN.home}${lines.map((l) => l + SCREEN.eraseLine).join('\n')}${SCREEN.eraseBelow}`);
  };
  out.write(SCREEN.enter);
  out.on('resize', draw);
  try {
    draw();
    for (;;) {
      await waitOrStop(o.intervalMs, signal.stopped);
      if (signal.done) break;
      try {
        last = await fetchSnapshot(ctx, o.window);
        problem = null;
      } catch (e) {
        // Keep showing the last good figures; say why they are not fresh.
        problem = `not refreshed: ${(e as Error).message}`;
      }
      draw();
    }
  } finally {
    out.off('resize', draw);
    signal.dispose();
    out.write(SCREEN.leave);
  }
}

/** One snapshot per interval on stdout (a pipe, a file, a log), until SIGINT or SIGTERM. */
async function printedSnapshots(ctx: ClientContext, o: TopOptions, first: TopSnapshot): Promise<void> {
  const signal = stopSignal(false);
  // The reader went away (`gearhq top | head`): that is the end, not an error.
  const onOutputError = () => signal.stop();
  process.stdout.on('error', onOutputError);
  const print = (s: TopSnapshot) => {
    if (ctx.json) ctx.out(`${JSON.stringify(s)}\n`);
    else ctx.out(`${snapshotText(s, `${localTime(new Date(s.at))}  stats over ${o.window}`)}\n`);
  };
  try {
    print(first);
    for (;;) {
      await waitOrStop(o.intervalMs, signal.stopped);
      if (signal.done) break;
      try {
        const s = await fetchSnapshot(ctx, o.window);
        if (!signal.done) print(s);
      } catch (e) {
        process.stderr.write(`gearhq: not refreshed: ${(e as Error).message}\n`);
      }
    }
  } finally {
    signal.dispose();
    process.stdout.off('error', onOutputError);
  }
}

async function top(ctx: ClientContext, opts: Record<string, unknown>): Promise<void> {
  const seconds = Number(opts.interval ?? 2);
  if (!Number.isFinite(seconds) || seconds < 0.1 || seconds > 3600) {
    throw new UsageError(`--interval must be 0.1 to 3600 seconds, got ${JSON.stringify(opts.interval)}`);
  }
  const o: TopOptions = { intervalMs: Math.round(seconds * 1000), window: (opts.window ?? '1m') as StatsWindow };
  // The first snapshot fails the command (exit 1) when the server is not there, as `status` does.
  const first = await fetchSnapshot(ctx, o.window);
  if (opts.once === true) {
    if (ctx.json) ctx.printJson(first);
    else ctx.out(`${snapshotText(first, `${localTime(new Date(first.at))}  stats over ${o.window}`)}`);
    return;
  }
  if (process.stdout.isTTY === true && !ctx.json) await liveScreen(ctx, o, first);
  else await printedSnapshots(ctx, o, first);
}

export function registerTopCommand(program: Command): void {
  clientOptions(program.command('top')
    .description('a live view: the status table and totals (jobs/s, queued, running, workers, firing alerts), '
      + 'redrawn in place on a terminal; q or Ctrl-C quits')
    .option('-i, --interval <seconds>', 'refresh every this many seconds', '2')
    .addOption(new Option('-w, --window <window>', 'stats window for jobs/s, p95 and failure %').choices([...STATS_WINDOWS]).default('1m'))
    .option('--once', 'print one snapshot and exit'))
    .action(clientAction(top));
}
