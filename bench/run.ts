// Benchmark runner: gearhq vs gearmand under the same libgearman load generator.
//
//   npm run bench -- [--rounds N] [--scenario NAME]... [--only gearmand|gearhq] [--scale F]
//                    [--timeout S] [--out FILE] [--no-write]
//
// Every scenario runs against both servers in alternation (A B, then B A in the next round), each
// run on a fresh server on an ephemeral port. Medians go to stdout and to bench/RESULTS.md.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureLoadgen, runLoadgen } from './loadgen.js';
import { cpuModel, loadAverage, waitForQuiet } from './machine.js';
import { consoleTable, markdownReport, summarize, type MachineFacts, type RunRecord } from './report.js';
import { selectScenarios, type Scenario } from './scenarios.js';
import {
  gearhqEntry,
  snapshotGearhq,
  gearmandVersion,
  processCpuSeconds,
  processStatusKb,
  SERVER_NAMES,
  startServer,
  stopServer,
  type RunningServer,
  type ServerName,
} from './servers.js';

// dist/bench/run.js → repository root is two levels up.
const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

interface Options {
  rounds: number;
  scenarios: string[];
  servers: ServerName[];
  scale: number;
  timeoutS: number;
  out: string | null;
  write: boolean;
  maxOther: number;
  retries: number;
  warmup: boolean;
  quietWaitS: number;
  live: boolean;
  /** Where dist/src/cli/main.js is taken from (set in main). */
  gearhqRoot: string;
  gearmandExtra: string[];
}

function usage(msg?: string): never {
  if (msg) process.stderr.write(`bench: ${msg}\n`);
  process.stderr.write(
    'usage: node dist/bench/run.js [--rounds N] [--scenario NAME]... [--only gearmand|gearhq]\n' +
      '                            [--scale F] [--timeout S] [--out FILE] [--no-write]\n' +
      '                            [--max-other CORES] [--retries N] [--quiet-wait S] [--no-warmup] [--live]\n' +
      '                            [--gearmand-arg ARG]...\n' +
      '  scenarios: bg-submit, drain, fg-echo (= fg-echo-100B + fg-echo-10KiB), fg-echo-100B, fg-echo-10KiB\n',
  );
  process.exit(2);
}

function parseOptions(argv: string[]): Options {
  const o: Options = { rounds: 3, scenarios: [], servers: [...SERVER_NAMES], scale: 1, timeoutS: 180, out: null, write: true, maxOther: 0.5, retries: 2, warmup: true, quietWaitS: 30, live: false, gearhqRoot: REPO, gearmandExtra: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const next = () => argv[++i] ?? usage(`${a} needs a value`);
    if (a === '--rounds') o.rounds = Number(next());
    else if (a === '--scenario') o.scenarios.push(...next().split(','));
    else if (a === '--only') {
      const v = next();
      if (v !== 'gearmand' && v !== 'gearhq') usage(`--only takes gearmand or gearhq, not ${v}`);
      o.servers = [v];
    } else if (a === '--scale') o.scale = Number(next());
    else if (a === '--timeout') o.timeoutS = Number(next());
    else if (a === '--out') o.out = path.resolve(next());
    else if (a === '--no-write') o.write = false;
    else if (a === '--max-other') o.maxOther = Number(next());
    else if (a === '--retries') o.retries = Number(next());
    else if (a === '--no-warmup') o.warmup = false;
    else if (a === '--live') o.live = true;
    else if (a === '--gearmand-arg') o.gearmandExtra.push(next());
    else if (a === '--quiet-wait') o.quietWaitS = Number(next());
    else if (a === '--help' || a === '-h') usage();
    else usage(`unknown option ${a}`);
  }
  if (!Number.isInteger(o.rounds) || o.rounds < 1 || o.rounds > 50) usage('--rounds must be an integer 1..50');
  if (!(o.scale > 0 && o.scale <= 10)) usage('--scale must be in (0, 10]');
  if (!(o.quietWaitS >= 0 && o.quietWaitS <= 300)) usage('--quiet-wait must be 0..300 seconds');
  if (!(o.maxOther > 0)) usage('--max-other must be > 0 (cores)');
  if (!Number.isInteger(o.retries) || o.retries < 0 || o.retries > 10) usage('--retries must be 0..10');
  if (!(o.timeoutS >= 10 && o.timeoutS <= 590)) usage('--timeout must be 10..590 seconds');
  return o;
}

const running = new Set<RunningServer>();
/** Warm-up load before every measured run: generator scenario and job count. */
const WARMUP: readonly [string, number][] = [
  ['drain', 10000],
  ['fg-echo', 2000],
];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function stopAll(): Promise<void> {
  await Promise.all([...running].map((s) => stopServer(s)));
  running.clear();
}

for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    process.stderr.write(`\nbench: ${sig}, stopping servers\n`);
    void stopAll().finally(() => process.exit(130));
  });
}

async function runOnce(
  scenario: Scenario,
  server: ServerName,
  round: number,
  seq: number,
  loadgen: string,
  o: Options,
): Promise<RunRecord> {
  const rec: RunRecord = {
    scenario: scenario.id,
    server,
    round,
    seq,
    ok: false,
    error: null,
    result: null,
    peakRssKb: null,
    serverCpuWholeRunS: null,
    retries: 0,
    disturbed: false,
    loopDelay: null,
  };
  let srv: RunningServer;
  try {
    // cwd is git-ignored, so nothing a server writes to its working directory lands in the repository.
    srv = await startServer(server, { gearhqRoot: o.gearhqRoot, cwd: path.join(REPO, 'bench/bin'), gearmandExtra: o.gearmandExtra });
  } catch (err) {
    rec.error = `start failed: ${(err as Error).message}`;
    return rec;
  }
  running.add(srv);
  try {
    await sleep(200); // let the process settle after start-up
    if (o.warmup) {
      // Untimed, on its own function names, leaving no job behind: every server gets the same
      // chance to reach steady state (JIT, allocator, buffers) before the measured run.
      for (const [kind, jobs] of WARMUP) {
        const w = await runLoadgen(
          loadgen,
          ['--scenario', kind, '--port', String(srv.port), '--jobs', String(jobs), '--fn', `warmup_${kind}_${Date.now().toString(36)}`.replace(/-/g, '_'), '--timeout', '60'],
          70000,
        );
        if (!w.result || w.result.errors > 0 || w.exitCode !== 0) {
          rec.error = `warm-up ${kind} failed: ${w.result?.last_error ?? w.stderr.trim().split('\n').slice(-3).join(' | ')}`;
          return rec;
        }
      }
    }
    const jobs = Math.max(1, Math.round(scenario.jobs * o.scale));
    const fn = `bench_${scenario.id}_${server}_r${round}_${Date.now().toString(36)}`.replace(/[^A-Za-z0-9_]/g, '_');
    const args = [
      '--scenario', scenario.kind,
      '--host', '127.0.0.1',
      '--port', String(srv.port),
      '--server-pid', String(srv.pid),
      '--jobs', String(jobs),
      '--fn', fn,
      '--timeout', String(o.timeoutS - 5),
      ...scenario.args,
    ];
    const cpu0 = processCpuSeconds(srv.pid);
    const run = await runLoadgen(loadgen, args, o.timeoutS * 1000);
    const cpu1 = processCpuSeconds(srv.pid);
    rec.serverCpuWholeRunS = cpu0 !== null && cpu1 !== null ? cpu1 - cpu0 : null;
    rec.peakRssKb = processStatusKb(srv.pid, 'VmHWM');
    rec.result = run.result;
    const problems: string[] = [];
    if (run.timedOut) problems.push(`load generator killed after ${o.timeoutS} s`);
    if (!run.result) problems.push('no result line from the load generator');
    else {
      if (run.result.errors > 0) problems.push(`${run.result.errors} errors, last: ${run.result.last_error ?? '?'}`);
      if (run.result.ok !== run.result.jobs) problems.push(`${run.result.ok}/${run.result.jobs} jobs completed`);
    }
    if (run.exitCode !== 0 && !run.timedOut) problems.push(`load generator exit ${run.exitCode ?? run.signal}`);
    if (srv.exited()) problems.push(`server died during the run (${srv.exitDescription()})`);
    if (problems.length) {
      const tailErr = run.stderr.trim().split('\n').slice(-5).join(' | ');
      const tailSrv = srv.output().trim().split('\n').slice(-5).join(' | ');
      rec.error = problems.join('; ') + (tailErr ? `; loadgen stderr: ${tailErr}` : '') + (tailSrv ? `; server output: ${tailSrv}` : '');
    } else {
      rec.ok = true;
    }
  } finally {
    await stopServer(srv);
    running.delete(srv);
  }
  rec.loopDelay = loopDelayAtStop(srv.output());
  return rec;
}

/** gearhq logs its event-loop delay (p99 and max over its life) when it stops; null if absent. */
function loopDelayAtStop(output: string): { p99Ms: number; maxMs: number } | null {
  for (const line of output.split('\n').reverse()) {
    if (!line.includes('loopDelayP99Ms')) continue;
    try {
      const o = JSON.parse(line) as { loopDelayP99Ms?: unknown; loopDelayMaxMs?: unknown };
      if (typeof o.loopDelayP99Ms === 'number' && typeof o.loopDelayMaxMs === 'number') {
        return { p99Ms: o.loopDelayP99Ms, maxMs: o.loopDelayMaxMs };
      }
    } catch {
      /* not a JSON log line */
    }
  }
  return null;
}

function describe(rec: RunRecord): string {
  const r = rec.result;
  const head = `round ${rec.round} ${rec.scenario.padEnd(13)} ${rec.server.padEnd(8)}`;
  if (!rec.ok || !r) return `${head} FAILED: ${rec.error}`;
  const lat = r.p99_ms !== undefined ? ` p50 ${r.p50_ms!.toFixed(2)} ms p99 ${r.p99_ms.toFixed(2)} ms` : '';
  const cpu = r.server_cpu_s_per_100k === null ? '?' : r.server_cpu_s_per_100k.toFixed(2);
  const rss = rec.peakRssKb === null ? '?' : (rec.peakRssKb / 1024).toFixed(0);
  const loop = rec.loopDelay ? ` loop p99/max ${rec.loopDelay.p99Ms}/${rec.loopDelay.maxMs} ms` : '';
  return `${head} ${Math.round(r.jobs_per_s).toLocaleString('en-US').padStart(9)} jobs/s${lat} cpu ${cpu} s/100k rss ${rss} MiB loadgen ${r.gen_cpu_share.toFixed(2)} other ${r.other_cpu_share === null ? '?' : r.other_cpu_share.toFixed(2)} cores${loop}`;
}

/** Which gearhq code ran: the last commit touching src/, and whether src/ differed from it. */
function describeGearhqBuild(o: Options): string {
  if (!o.servers.includes('gearhq')) return 'not run';
  const git = (args: string[]) => execFileSync('git', args, { cwd: REPO, encoding: 'utf8', timeout: 10000 }).trim();
  let head = 'unknown';
  let dirty = '';
  try {
    head = git(['log', '-1', '--format=%h %s', '--', 'src']);
    dirty = git(['status', '--porcelain', '--', 'src']) ? ' + uncommitted changes in src/' : '';
  } catch {
    /* not a git checkout */
  }
  return `${o.live ? 'dist/src' : 'snapshot of dist/src'} built from git ${head}${dirty}`;
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const o = parseOptions(argv);
  let scenarios: Scenario[];
  try {
    scenarios = selectScenarios(o.scenarios);
  } catch (err) {
    usage((err as Error).message);
  }
  if (o.servers.includes('gearhq') && !existsSync(gearhqEntry(REPO))) {
    usage(`${path.relative(REPO, gearhqEntry(REPO))} is missing (build first, or use --only gearmand)`);
  }
  const loadgen = ensureLoadgen(REPO);
  mkdirSync(path.join(REPO, 'bench/bin'), { recursive: true });
  if (o.servers.includes('gearhq') && !o.live) {
    o.gearhqRoot = snapshotGearhq(REPO);
    process.stderr.write(`bench: gearhq runs from a snapshot of dist/src in ${path.relative(REPO, o.gearhqRoot)} (--live to use dist/ directly)\n`);
  }
  const facts: Omit<MachineFacts, 'loadAvgEnd'> = {
    date: new Date().toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC'),
    nproc: os.availableParallelism(),
    cpuModel: cpuModel(),
    kernel: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    gearmand: gearmandVersion(),
    gearmandCommand: ['gearmand -t 1', ...o.gearmandExtra].join(' '),
    loadAvgStart: loadAverage(),
    rounds: o.rounds,
    maxOther: o.maxOther,
    retries: o.retries,
    quietWaitS: o.quietWaitS,
    gearhqBuild: describeGearhqBuild(o),
    warmup: o.warmup ? WARMUP.map(([k, n]) => `${n} ${k}`).join(' + ') : 'none',
    command: `npm run bench${argv.length ? ` -- ${argv.join(' ')}` : ''}`,
  };
  process.stderr.write(
    `bench: ${scenarios.map((s) => s.id).join(', ')} × ${o.servers.join(', ')} × ${o.rounds} rounds ` +
      `(nproc ${facts.nproc}, node ${facts.node}, ${facts.gearmand})\n`,
  );

  const records: RunRecord[] = [];
  const attempts: RunRecord[] = []; // every attempt, incl. repeated ones, for bench/bin/last-run.json
  let seq = 0;
  const total = o.rounds * scenarios.length * o.servers.length;
  for (let round = 1; round <= o.rounds; round++) {
    for (const scenario of scenarios) {
      // Alternate which server goes first so drift on a noisy machine hits both equally.
      const order = (round + scenarios.indexOf(scenario)) % 2 === 1 ? o.servers : [...o.servers].reverse();
      for (const server of order) {
        seq++;
        // A run during which other processes took more than --max-other cores is repeated (at most
        // --retries times). The first undisturbed attempt counts; if none was, the least disturbed.
        const tries: RunRecord[] = [];
        for (let attempt = 0; attempt <= o.retries; attempt++) {
          const quiet = await waitForQuiet(o.maxOther, o.quietWaitS * 1000);
          if (quiet.waitedMs > 1500) {
            process.stderr.write(`bench: waited ${(quiet.waitedMs / 1000).toFixed(1)} s for other load to drop (now ${quiet.cores?.toFixed(2) ?? '?'} cores)\n`);
          }
          const rec = await runOnce(scenario, server, round, seq, loadgen, o);
          rec.retries = attempt;
          rec.disturbed = rec.ok && (rec.result?.other_cpu_share ?? 0) > o.maxOther;
          tries.push(rec);
          attempts.push(rec);
          process.stderr.write(`[${seq}/${total}] ${describe(rec)}${rec.disturbed ? ' (disturbed)' : ''}\n`);
          if (!rec.disturbed) break;
        }
        const counted = tries.reduce((best, r) =>
          (r.result?.other_cpu_share ?? Infinity) < (best.result?.other_cpu_share ?? Infinity) ? r : best,
        );
        counted.retries = tries.length - 1; // how many repeats this run needed
        records.push(counted);
      }
    }
  }

  const summaries = summarize(scenarios, o.servers, records, o.rounds);
  process.stdout.write(`\nMedians of ${o.rounds} rounds\n${consoleTable(summaries, o.servers)}\n`);

  const rawDir = path.join(REPO, 'bench/bin');
  mkdirSync(rawDir, { recursive: true });
  writeFileSync(path.join(rawDir, 'last-run.json'), JSON.stringify({ facts, records, attempts }, null, 2));

  const both = o.servers.length === 2;
  const out = o.out ?? (both ? path.join(REPO, 'bench/RESULTS.md') : null);
  if (o.write && out) {
    const md = markdownReport(summaries, o.servers, records, { ...facts, loadAvgEnd: loadAverage() });
    writeFileSync(out, md + '\n');
    process.stderr.write(`bench: wrote ${path.relative(REPO, out)} (raw runs in bench/bin/last-run.json)\n`);
  } else {
    process.stderr.write('bench: RESULTS.md not written (needs both servers, or --out FILE)\n');
  }
  process.exitCode = records.some((r) => !r.ok) ? 1 : 0;
}

main().catch(async (err) => {
  process.stderr.write(`bench: ${(err as Error).stack ?? String(err)}\n`);
  await stopAll();
  process.exit(1);
});
