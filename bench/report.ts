// Turning per-run records into medians, ratios, a console table and bench/RESULTS.md.
import type { LoadgenResult } from './loadgen.js';
import { targetFor, type Scenario } from './scenarios.js';
import { BASELINE, SERVER_DESCRIPTIONS, isGearhq, type ServerName } from './servers.js';

/** One scenario run against one fresh server. */
export interface RunRecord {
  scenario: string;
  server: ServerName;
  round: number;
  /** Position in the whole session (1-based), to show the alternation. */
  seq: number;
  ok: boolean;
  error: string | null;
  result: LoadgenResult | null;
  /** VmHWM of the server after the run, KiB. */
  peakRssKb: number | null;
  /** Server CPU over the whole generator process (incl. connect, warm-up, pre-queue), s. */
  serverCpuWholeRunS: number | null;
  /** Repeats of this run because other processes were busy (see --max-other). */
  retries: number;
  /** True if this attempt saw more than --max-other cores of other load. */
  disturbed: boolean;
  /** Event-loop delay gearhq logged at stop (whole life of the server, incl. warm-up). */
  loopDelay: { p99Ms: number; maxMs: number } | null;
  /** Jobs the measured run was asked for (after --scale and --server-scale). */
  jobs: number;
  /** How the server ended after the run's SIGTERM ("exit code 0", "killed by SIGKILL"), null if it was gone already. */
  stopExit: string | null;
  /** Set when a gearhq run did not stop cleanly (not code 0 after SIGTERM). */
  stopNote?: string;
}

export interface MachineFacts {
  date: string;
  nproc: number;
  cpuModel: string;
  kernel: string;
  node: string;
  gearmand: string;
  gearmandCommand: string;
  loadAvgStart: string;
  loadAvgEnd: string;
  rounds: number;
  command: string;
  maxOther: number;
  retries: number;
  warmup: string;
  quietWaitS: number;
  gearhqBuild: string;
  /** The selected servers and their command lines (with PORT/DIR/URL placeholders). */
  servers: { name: ServerName; command: string }[];
  /** PostgreSQL behind gearhq-postgres: version and source, or 'not run'. */
  postgres: string;
  scale: number;
  /** Per-server job-count factors in effect ("SERVER" or "SERVER:KIND" → factor). */
  serverScales: Record<string, number>;
}

export interface ServerSummary {
  runs: number;
  failed: number;
  /** Jobs per measured run (the median, they are all the same unless options changed). */
  jobs: number | null;
  jobsPerS: number | null;
  p50Ms: number | null;
  p99Ms: number | null;
  cpuPer100kS: number | null;
  /** CPU of the database server (PostgreSQL) per 100k jobs over the timed window, when measured. */
  dbCpuPer100kS: number | null;
  peakRssMiB: number | null;
  genCpuShare: number | null;
  otherCpuShare: number | null;
  rssPerQueuedJobB: number | null;
  perRoundJobsPerS: (number | null)[];
}

export interface Ratio {
  jobsPerS: number | null;
  p50: number | null;
  p99: number | null;
  cpu: number | null;
  rss: number | null;
}

export interface ScenarioSummary {
  scenario: Scenario;
  servers: Partial<Record<ServerName, ServerSummary>>;
  /** Each other server against the baseline (gearmand in memory). */
  ratios: Partial<Record<ServerName, Ratio>>;
  verdicts: string[];
}

export function median(xs: number[]): number | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

function med(records: RunRecord[], pick: (r: RunRecord) => number | null | undefined): number | null {
  const xs: number[] = [];
  for (const r of records) {
    const v = pick(r);
    if (typeof v === 'number' && Number.isFinite(v)) xs.push(v);
  }
  return median(xs);
}

function div(a: number | null, b: number | null): number | null {
  return a === null || b === null || b === 0 ? null : a / b;
}

export function summarize(scenarios: Scenario[], servers: ServerName[], records: RunRecord[], rounds: number): ScenarioSummary[] {
  return scenarios.map((scenario) => {
    const out: ScenarioSummary = { scenario, servers: {}, ratios: {}, verdicts: [] };
    for (const server of servers) {
      const mine = records.filter((r) => r.scenario === scenario.id && r.server === server);
      const good = mine.filter((r) => r.ok && r.result);
      const perRound: (number | null)[] = [];
      for (let round = 1; round <= rounds; round++) {
        const r = mine.find((x) => x.round === round);
        perRound.push(r && r.ok && r.result ? r.result.jobs_per_s : null);
      }
      out.servers[server] = {
        runs: mine.length,
        failed: mine.length - good.length,
        jobs: med(mine, (r) => r.jobs),
        jobsPerS: med(good, (r) => r.result?.jobs_per_s),
        p50Ms: med(good, (r) => r.result?.p50_ms),
        p99Ms: med(good, (r) => r.result?.p99_ms),
        cpuPer100kS: med(good, (r) => r.result?.server_cpu_s_per_100k),
        dbCpuPer100kS: med(good, (r) => r.result?.helper_cpu_s_per_100k as number | null | undefined),
        peakRssMiB: med(good, (r) => (r.peakRssKb === null ? null : r.peakRssKb / 1024)),
        genCpuShare: med(good, (r) => r.result?.gen_cpu_share),
        otherCpuShare: med(good, (r) => r.result?.other_cpu_share),
        rssPerQueuedJobB: med(good, (r) => r.result?.rss_per_queued_job_b),
        perRoundJobsPerS: perRound,
      };
    }
    const b = out.servers[BASELINE];
    for (const server of servers) {
      const a = out.servers[server];
      if (server === BASELINE || !a || !b) continue;
      const ratio: Ratio = {
        jobsPerS: div(a.jobsPerS, b.jobsPerS),
        p50: div(a.p50Ms, b.p50Ms),
        p99: div(a.p99Ms, b.p99Ms),
        cpu: div(a.cpuPer100kS, b.cpuPer100kS),
        rss: div(a.peakRssMiB, b.peakRssMiB),
      };
      out.ratios[server] = ratio;
      const target = targetFor(scenario, server);
      if (!target) continue;
      const t = ratio.jobsPerS;
      out.verdicts.push(
        `${server} ${scenario.id} throughput ${fmtRatio(t)} (target ≥${target.throughput}×): ` +
          (t === null ? 'NO DATA' : t >= target.throughput ? 'PASS' : 'FAIL'),
      );
      if (target.p99 !== null) {
        const p = ratio.p99;
        out.verdicts.push(
          `${server} ${scenario.id} p99 ${fmtRatio(p)} (target ≤${target.p99}×): ` +
            (p === null ? 'NO DATA' : p <= target.p99 ? 'PASS' : 'FAIL'),
        );
      }
    }
    return out;
  });
}

function fmt(v: number | null | undefined, digits: number): string {
  return v === null || v === undefined ? '—' : v.toFixed(digits);
}
function fmtInt(v: number | null | undefined): string {
  return v === null || v === undefined ? '—' : Math.round(v).toLocaleString('en-US');
}
function fmtRatio(v: number | null | undefined): string {
  return v === null || v === undefined ? '—' : `${v.toFixed(2)}×`;
}

const HEADER = ['scenario', 'server', 'jobs', 'jobs/s', 'p50 ms', 'p99 ms', 'srv CPU s/100k', 'db CPU s/100k', 'peak RSS MiB', 'loadgen cores', 'other cores', 'runs ok'];
/** Columns left-aligned in the console table. */
const TEXT_COLUMNS = 2;

function rows(summaries: ScenarioSummary[], servers: ServerName[]): string[][] {
  const out: string[][] = [];
  for (const s of summaries) {
    for (const name of servers) {
      const v = s.servers[name];
      if (!v) continue;
      out.push([
        s.scenario.id,
        name,
        fmtInt(v.jobs),
        fmtInt(v.jobsPerS),
        fmt(v.p50Ms, 3),
        fmt(v.p99Ms, 3),
        fmt(v.cpuPer100kS, 2),
        fmt(v.dbCpuPer100kS, 2),
        fmt(v.peakRssMiB, 1),
        fmt(v.genCpuShare, 2),
        fmt(v.otherCpuShare, 2),
        `${v.runs - v.failed}/${v.runs}`,
      ]);
    }
    const lat = s.scenario.p99Target === null;
    for (const name of servers) {
      const r = s.ratios[name];
      if (!r) continue;
      out.push([
        s.scenario.id,
        `${name}/${BASELINE}`,
        '',
        fmtRatio(r.jobsPerS),
        lat ? '—' : fmtRatio(r.p50),
        lat ? '—' : fmtRatio(r.p99),
        fmtRatio(r.cpu),
        '',
        fmtRatio(r.rss),
        '',
        '',
        '',
      ]);
    }
  }
  return out;
}

export function consoleTable(summaries: ScenarioSummary[], servers: ServerName[]): string {
  const body = rows(summaries, servers);
  const all = [HEADER, ...body];
  const widths = HEADER.map((_, i) => Math.max(...all.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((c, i) => (i < TEXT_COLUMNS ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  const lines = [line(HEADER), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)];
  const verdicts = summaries.flatMap((s) => s.verdicts);
  if (verdicts.length) lines.push('', ...verdicts);
  return lines.join('\n');
}

/** Which job counts differ from the scenario's: "gearmand-sqlite: 10,000 jobs in bg-submit, drain". */
function scaledNotes(summaries: ScenarioSummary[], servers: ServerName[]): string[] {
  const notes: string[] = [];
  for (const name of servers) {
    const odd = summaries
      .map((s) => ({ id: s.scenario.id, full: s.scenario.jobs, jobs: s.servers[name]?.jobs ?? null }))
      .filter((x) => x.jobs !== null && x.jobs !== x.full);
    if (odd.length) notes.push(`${name}: ${odd.map((x) => `${fmtInt(x.jobs)} jobs in ${x.id} (of ${fmtInt(x.full)})`).join(', ')}`);
  }
  return notes;
}

export function markdownReport(
  summaries: ScenarioSummary[],
  servers: ServerName[],
  records: RunRecord[],
  facts: MachineFacts,
): string {
  const md: string[] = [];
  const mdRow = (r: string[]) => `| ${r.join(' | ')} |`;
  md.push(`# Benchmark results: ${servers.join(', ')}`, '');
  md.push(`Generated by \`${facts.command}\` on ${facts.date}. See [README.md](README.md) for the method.`, '');
  md.push('## Machine and servers', '');
  md.push(`- nproc: ${facts.nproc} (${facts.cpuModel})`);
  md.push(`- kernel: ${facts.kernel}`);
  md.push(`- node: ${facts.node}`);
  md.push(`- gearmand: ${facts.gearmand}`);
  md.push(`- gearhq: ${facts.gearhqBuild}`);
  if (servers.includes('gearhq-postgres')) md.push(`- PostgreSQL: ${facts.postgres}`);
  md.push(`- load average (1/5/15 min) at start: ${facts.loadAvgStart}; at end: ${facts.loadAvgEnd}`);
  md.push(`- rounds: ${facts.rounds}; every server once per round, the order reversed from one run to the next; a fresh server (and fresh storage) for every run`);
  md.push(`- untimed warm-up on every fresh server before the measured run: ${facts.warmup} jobs (own function names, drained)`);
  md.push('- data directories and SQLite files are made under the system temp directory (ext4 on the same disk here, not tmpfs), so fsync reaches the disk', '');
  md.push(mdRow(['server', 'what', 'command']), mdRow(['---', '---', '---']));
  for (const { name, command } of facts.servers) md.push(mdRow([name, SERVER_DESCRIPTIONS[name], `\`${command}\``]));
  md.push('');
  const scaled = scaledNotes(summaries, servers);
  if (scaled.length || facts.scale !== 1) {
    md.push('**Fewer jobs for some servers.** ' +
      (facts.scale !== 1 ? `Every job count was scaled by ${facts.scale} (--scale). ` : '') +
      (scaled.length ? `Runs with other job counts than the scenario's (see the "jobs" column): ${scaled.join('; ')}. ` : '') +
      'gearmand\'s SQLite queue commits every background job on its own (about 1–1.5k jobs/s here), so its background ' +
      'runs are cut to keep a session short; the rates are still jobs per second, but a smaller queue is also easier ' +
      'on gearmand\'s hash tables, so they flatter it slightly if anything. Its warm-up drain is scaled alike (at least 1,000 jobs).', '');
  }
  md.push('## Targets', '');
  md.push('All ratios are against gearmand -t 1 with its jobs in memory, measured in the same session.', '');
  if (servers.includes('gearhq')) md.push('- gearhq in memory (protocol core): bg-submit ≥1.5× jobs/s, drain ≥1.0×, foreground echo ≥0.9×, p99 ≤1.5×.');
  if (servers.includes('gearhq-sqlite')) md.push('- gearhq on SQLite with `--durability fsync` (persistence): bg-submit ≥0.8×, drain ≥0.8×, foreground echo ≥0.7×.');
  md.push('- gearhq on PostgreSQL and gearmand with its SQLite queue: measured, no target.', '');
  md.push(`## Medians of ${facts.rounds} rounds`, '');
  md.push(
    'jobs/s and latencies are measured by the load generator; "jobs" is the number of jobs in each measured run; server ' +
      'CPU is utime+stime of the server process over the timed window only, per 100k jobs; "db CPU" is the same for the ' +
      'PostgreSQL server behind gearhq-postgres (the postmaster and all its processes) and is not included in srv CPU; ' +
      'peak RSS is the server\'s VmHWM after the run (for gearhq-postgres without PostgreSQL\'s own memory); "loadgen cores" is ' +
      'the generator\'s own CPU seconds per wall second during the timed window; "other cores" is the rest of the ' +
      'machine\'s busy time in that window (other processes, steal; not the database), a measure of disturbance. ' +
      `The machine has ${facts.nproc} cores in total. Rows "X/${BASELINE}" are ratios to ${BASELINE}.`,
    '',
  );
  md.push(mdRow(HEADER), mdRow(HEADER.map((_, i) => (i < TEXT_COLUMNS ? '---' : '---:'))));
  for (const r of rows(summaries, servers)) md.push(mdRow(r));
  md.push('');
  const verdicts = summaries.flatMap((s) => s.verdicts);
  if (verdicts.length) {
    md.push('## Target check', '');
    const ofServer = (name: ServerName) => verdicts.filter((v) => v.startsWith(`${name} `));
    for (const name of servers) {
      const mine = ofServer(name);
      if (!mine.length) continue;
      md.push(`${name === 'gearhq-sqlite' ? 'Durable (SQLite, fsync)' : name === 'gearhq' ? 'In memory' : name}:`, '');
      for (const v of mine) md.push(`- ${v}`);
      md.push('');
    }
  }
  if (servers.includes(BASELINE) && !facts.gearmandCommand.includes('hashtable-buckets')) {
    md.push('## Note on gearmand\'s configuration', '');
    md.push(
      'gearmand runs with its default `--hashtable-buckets=991` (the buckets of its job hash tables). Its ' +
        'per-job cost grows with the number of queued jobs, so with 100k jobs queued `bg-submit` and `drain` ' +
        'measure that too; with more buckets gearmand is several times faster there. See README.md ' +
        '("Reading the figures"), RESULTS-gearmand-tuned.md and `--gearmand-arg`.',
      '',
    );
  }
  md.push('## Scenarios', '');
  for (const s of summaries) md.push(`- **${s.scenario.id}**: ${s.scenario.description}`);
  md.push('');
  const drain = summaries.find((s) => s.scenario.kind === 'drain');
  if (drain) {
    md.push('## Memory per queued job (drain pre-queue)', '');
    md.push('Server VmRSS after queueing the jobs minus VmRSS before, divided by the number of jobs.', '');
    for (const name of servers) {
      const v = drain.servers[name];
      if (v) md.push(`- ${name}: ${fmtInt(v.rssPerQueuedJobB)} B/job`);
    }
    md.push('');
  }
  const withLoop = servers.filter(isGearhq).flatMap((name) =>
    summaries.filter((s) => records.some((r) => r.server === name && r.scenario === s.scenario.id && r.loopDelay)).map((s) => ({ name, s })),
  );
  if (withLoop.length) {
    md.push('## gearhq event-loop delay', '');
    md.push('How late the event loop ran a 5 ms timer, as logged by gearhq when it stopped (while it served peers: warm-up',
      'and the measured run, not the closing of its store); medians over rounds. The max is the longest stall, to within',
      'the 5 ms of sampling.', '');
    md.push(mdRow(['server', 'scenario', 'loop delay p99 ms', 'loop delay max ms']), mdRow(['---', '---', '---:', '---:']));
    for (const { name, s } of withLoop) {
      const mine = records.filter((r) => r.server === name && r.scenario === s.scenario.id && r.ok && r.loopDelay);
      md.push(mdRow([name, s.scenario.id, fmt(med(mine, (r) => r.loopDelay?.p99Ms), 2), fmt(med(mine, (r) => r.loopDelay?.maxMs), 2)]));
    }
    md.push('');
  }
  md.push('## jobs/s per round', '');
  md.push('\\* the counted run was still disturbed (more than the quiet threshold of other load) after all repeats.', '');
  const roundHeader = ['scenario', 'server', ...Array.from({ length: facts.rounds }, (_, i) => `round ${i + 1}`)];
  md.push(mdRow(roundHeader), mdRow(roundHeader.map((_, i) => (i < 2 ? '---' : '---:'))));
  for (const s of summaries) {
    for (const name of servers) {
      const v = s.servers[name];
      if (!v) continue;
      const cells = v.perRoundJobsPerS.map((x, i) => {
        if (x === null) return 'failed';
        const rec = records.find((r) => r.scenario === s.scenario.id && r.server === name && r.round === i + 1);
        return `${fmtInt(x)}${rec?.disturbed ? ' *' : ''}`;
      });
      md.push(mdRow([s.scenario.id, name, ...cells]));
    }
  }
  md.push('');
  md.push('## Run order', '');
  md.push(
    records
      .map((r) => {
        const notes = [r.ok ? '' : 'failed', r.retries ? `${r.retries} repeat${r.retries > 1 ? 's' : ''}` : '', r.disturbed ? 'disturbed' : '']
          .filter(Boolean)
          .join(', ');
        return `${r.seq}. ${r.scenario}/${r.server}${notes ? ` (${notes})` : ''}`;
      })
      .join(' · '),
    '',
  );
  const repeats = records.reduce((n, r) => n + r.retries, 0);
  md.push(
    `Before every run the runner waited (up to ${facts.quietWaitS} s) until other processes used less than ` +
      `${facts.maxOther} cores; runs during which they used more than that were repeated ` +
      `(at most ${facts.retries} times) and the first undisturbed attempt, else the least disturbed one, counted: ` +
      `${repeats} repeat(s); ${records.filter((r) => r.disturbed).length} counted run(s) still disturbed.`,
    '',
  );
  const unclean = records.filter((r) => r.stopNote);
  if (unclean.length) {
    md.push('## gearhq runs that did not stop cleanly', '');
    for (const r of unclean) md.push(`- round ${r.round}, ${r.scenario} on ${r.server}: ${r.stopNote!.replace(/\s+/g, ' ').slice(0, 600)}`);
    md.push('');
  }
  const failures = records.filter((r) => !r.ok);
  if (failures.length) {
    md.push('## Failures', '');
    for (const f of failures) {
      md.push(`- round ${f.round}, ${f.scenario} on ${f.server}: ${(f.error ?? 'unknown').replace(/\s+/g, ' ').slice(0, 600)}`);
    }
    md.push('');
  }
  return md.join('\n');
}
