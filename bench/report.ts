// Turning per-run records into medians, ratios, a console table and bench/RESULTS.md.
import type { LoadgenResult } from './loadgen.js';
import type { Scenario } from './scenarios.js';
import type { ServerName } from './servers.js';

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
}

export interface ServerSummary {
  runs: number;
  failed: number;
  jobsPerS: number | null;
  p50Ms: number | null;
  p99Ms: number | null;
  cpuPer100kS: number | null;
  peakRssMiB: number | null;
  genCpuShare: number | null;
  otherCpuShare: number | null;
  rssPerQueuedJobB: number | null;
  perRoundJobsPerS: (number | null)[];
}

export interface ScenarioSummary {
  scenario: Scenario;
  servers: Partial<Record<ServerName, ServerSummary>>;
  ratio: {
    jobsPerS: number | null;
    p50: number | null;
    p99: number | null;
    cpu: number | null;
    rss: number | null;
  } | null;
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
    const out: ScenarioSummary = { scenario, servers: {}, ratio: null, verdicts: [] };
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
        jobsPerS: med(good, (r) => r.result?.jobs_per_s),
        p50Ms: med(good, (r) => r.result?.p50_ms),
        p99Ms: med(good, (r) => r.result?.p99_ms),
        cpuPer100kS: med(good, (r) => r.result?.server_cpu_s_per_100k),
        peakRssMiB: med(good, (r) => (r.peakRssKb === null ? null : r.peakRssKb / 1024)),
        genCpuShare: med(good, (r) => r.result?.gen_cpu_share),
        otherCpuShare: med(good, (r) => r.result?.other_cpu_share),
        rssPerQueuedJobB: med(good, (r) => r.result?.rss_per_queued_job_b),
        perRoundJobsPerS: perRound,
      };
    }
    const a = out.servers.gearhq;
    const b = out.servers.gearmand;
    if (a && b) {
      out.ratio = {
        jobsPerS: div(a.jobsPerS, b.jobsPerS),
        p50: div(a.p50Ms, b.p50Ms),
        p99: div(a.p99Ms, b.p99Ms),
        cpu: div(a.cpuPer100kS, b.cpuPer100kS),
        rss: div(a.peakRssMiB, b.peakRssMiB),
      };
      const t = out.ratio.jobsPerS;
      out.verdicts.push(
        `${scenario.id} throughput ${fmtRatio(t)} (target ≥${scenario.throughputTarget}×): ` +
          (t === null ? 'NO DATA' : t >= scenario.throughputTarget ? 'PASS' : 'FAIL'),
      );
      if (scenario.p99Target !== null) {
        const p = out.ratio.p99;
        out.verdicts.push(
          `${scenario.id} p99 ${fmtRatio(p)} (target ≤${scenario.p99Target}×): ` +
            (p === null ? 'NO DATA' : p <= scenario.p99Target ? 'PASS' : 'FAIL'),
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

const HEADER = ['scenario', 'server', 'jobs/s', 'p50 ms', 'p99 ms', 'srv CPU s/100k', 'peak RSS MiB', 'loadgen cores', 'other cores', 'runs ok'];

function rows(summaries: ScenarioSummary[], servers: ServerName[]): string[][] {
  const out: string[][] = [];
  for (const s of summaries) {
    for (const name of servers) {
      const v = s.servers[name];
      if (!v) continue;
      out.push([
        s.scenario.id,
        name,
        fmtInt(v.jobsPerS),
        fmt(v.p50Ms, 3),
        fmt(v.p99Ms, 3),
        fmt(v.cpuPer100kS, 2),
        fmt(v.peakRssMiB, 1),
        fmt(v.genCpuShare, 2),
        fmt(v.otherCpuShare, 2),
        `${v.runs - v.failed}/${v.runs}`,
      ]);
    }
    if (s.ratio) {
      const r = s.ratio;
      const lat = s.scenario.p99Target === null;
      out.push([
        s.scenario.id,
        'gearhq/gearmand',
        fmtRatio(r.jobsPerS),
        lat ? '—' : fmtRatio(r.p50),
        lat ? '—' : fmtRatio(r.p99),
        fmtRatio(r.cpu),
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
  const line = (r: string[]) => r.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  const lines = [line(HEADER), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)];
  const verdicts = summaries.flatMap((s) => s.verdicts);
  if (verdicts.length) lines.push('', ...verdicts);
  return lines.join('\n');
}

export function markdownReport(
  summaries: ScenarioSummary[],
  servers: ServerName[],
  records: RunRecord[],
  facts: MachineFacts,
): string {
  const md: string[] = [];
  const mdRow = (r: string[]) => `| ${r.join(' | ')} |`;
  md.push('# Benchmark results: gearhq vs gearmand', '');
  md.push(`Generated by \`${facts.command}\` on ${facts.date}. See [README.md](README.md) for the method.`, '');
  md.push('## Machine', '');
  md.push(`- nproc: ${facts.nproc} (${facts.cpuModel})`);
  md.push(`- kernel: ${facts.kernel}`);
  md.push(`- node: ${facts.node}`);
  md.push(`- gearmand: ${facts.gearmand}, run as \`${facts.gearmandCommand}\``);
  md.push(`- gearhq: ${facts.gearhqBuild}, run with \`--store memory\``);
  md.push(`- load average (1/5/15 min) at start: ${facts.loadAvgStart}; at end: ${facts.loadAvgEnd}`);
  md.push(`- rounds: ${facts.rounds}, servers alternated run by run, a fresh server for every run`);
  md.push(`- untimed warm-up on every fresh server before the measured run: ${facts.warmup} jobs (own function names, drained)`, '');
  md.push('## Targets', '');
  md.push('gearhq/gearmand: bg-submit ≥1.5× jobs/s, drain ≥1.0×, foreground echo ≥0.9×, p99 ≤1.5× gearmand.', '');
  md.push(`## Medians of ${facts.rounds} rounds`, '');
  md.push(
    'jobs/s and latencies are measured by the load generator; server CPU is utime+stime of the server process ' +
      'over the timed window only, per 100k jobs; peak RSS is the server\'s VmHWM after the run; "loadgen cores" is ' +
      'the generator\'s own CPU seconds per wall second during the timed window; "other cores" is the rest of the ' +
      'machine\'s busy time in that window (other processes, steal), a measure of disturbance. The machine has ' +
      `${facts.nproc} cores in total.`,
    '',
  );
  md.push(mdRow(HEADER), mdRow(HEADER.map((_, i) => (i < 2 ? '---' : '---:'))));
  for (const r of rows(summaries, servers)) md.push(mdRow(r));
  md.push('');
  const verdicts = summaries.flatMap((s) => s.verdicts);
  if (verdicts.length) {
    md.push('## Target check', '');
    for (const v of verdicts) md.push(`- ${v}`);
    md.push('');
  }
  if (!facts.gearmandCommand.includes('hashtable-buckets')) {
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
    md.push('Server VmRSS after queueing 100k jobs minus VmRSS before, divided by the number of jobs.', '');
    for (const name of servers) {
      const v = drain.servers[name];
      if (v) md.push(`- ${name}: ${fmtInt(v.rssPerQueuedJobB)} B/job`);
    }
    md.push('');
  }
  const withLoop = summaries.filter((s) => records.some((r) => r.scenario === s.scenario.id && r.loopDelay));
  if (withLoop.length) {
    md.push('## gearhq event-loop delay', '');
    md.push('As logged by gearhq when it stopped (its whole life: warm-up and the measured run); medians over rounds.', '');
    md.push(mdRow(['scenario', 'loop delay p99 ms', 'loop delay max ms']), mdRow(['---', '---:', '---:']));
    for (const s of withLoop) {
      const mine = records.filter((r) => r.scenario === s.scenario.id && r.ok && r.loopDelay);
      md.push(mdRow([s.scenario.id, fmt(med(mine, (r) => r.loopDelay?.p99Ms), 2), fmt(med(mine, (r) => r.loopDelay?.maxMs), 2)]));
    }
    md.push('');
  }
  md.push('## jobs/s per round', '');
  const roundHeader = ['scenario', 'server', ...Array.from({ length: facts.rounds }, (_, i) => `round ${i + 1}`)];
  md.push(mdRow(roundHeader), mdRow(roundHeader.map((_, i) => (i < 2 ? '---' : '---:'))));
  for (const s of summaries) {
    for (const name of servers) {
      const v = s.servers[name];
      if (v) md.push(mdRow([s.scenario.id, name, ...v.perRoundJobsPerS.map((x) => (x === null ? 'failed' : fmtInt(x)))]));
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
