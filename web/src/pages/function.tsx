/**
 * One function: its queues and figures, charts over time (its own minute roll-ups, then live
 * samples), its retry policy (editable with the full token), its recent failures with their error
 * text, and pause/resume. Links to the jobs page filtered on it.
 */
import { api, ApiFailure, useApi, withQuery } from '../api';
import { ActionButton, ErrorBox, Loading, PageHeader, Stat } from '../components/bits';
import { CHART_RANGES, StatsCharts, useStatsSeries } from '../components/stats-charts';
import { RangePicker, WindowPicker } from '../components/stats-pickers';
import { Table, type Column } from '../components/table';
import { bytesPreview, fmtAgo, fmtCount, fmtDuration, fmtPercent, fmtRate, fmtTime, type Bytes } from '../format';
import { useLiveReload, type LiveEvent } from '../live';
import { useRoute } from '../router';
import { isStatsWindow, queuedTotal, type FunctionView, type StatsSnapshot } from '../stats-data';
import { drainText } from './functions';
import { PolicyPanel } from './function-policy';
import './stats-pages.css';

interface FailedJob {
  handle: string;
  unique: string;
  state: string;
  finishedAt: string | null;
  attempts: number;
  outcome: string | null;
  worker: string | null;
  error: Bytes | null;
}

const FAILURES_SHOWN = 20;

const failureColumns: Column<FailedJob>[] = [
  { key: 'handle', label: 'Job', render: (j) => <a class="mono" href={`/jobs/${encodeURIComponent(j.handle)}`}>{j.handle}</a> },
  { key: 'finished', label: 'Failed', render: (j) => <span title={fmtTime(j.finishedAt)}>{fmtAgo(j.finishedAt)}</span> },
  { key: 'attempts', label: 'Attempts', numeric: true, render: (j) => j.attempts },
  { key: 'outcome', label: 'How', render: (j) => j.outcome ?? '–' },
  {
    key: 'error', label: 'Error',
    render: (j) => (j.error && j.error.size > 0
      ? <code class="error-text" title={bytesPreview(j.error, 2000)}>{bytesPreview(j.error, 300)}</code>
      : <span class="muted">{j.outcome === 'fail' ? 'WORK_FAIL (no error text)' : 'no error text'}</span>),
  },
];

function Failures(props: { name: string }) {
  const path = withQuery('/api/v1/jobs', { function: props.name, state: 'failed', limit: FAILURES_SHOWN });
  const { data, error, reload } = useApi<{ jobs: FailedJob[] }>(path, 30_000);
  useLiveReload(['activity'], reload, 1000, (e) => props.name in (e.data?.functions ?? {}));
  const all = withQuery('/jobs', { function: props.name, state: 'failed' });
  return (
    <section data-testid="failures">
      <h2>Recent failures <a class="small-link" href={all}>all failed jobs</a></h2>
      <ErrorBox error={error} />
      {data === null ? (error ? null : <Loading />) : (
        <Table rows={data.jobs} columns={failureColumns} rowKey={(j) => j.handle} testId="failures-table"
          empty="No failed jobs of this function are stored." />
      )}
    </section>
  );
}

export function FunctionPage(props: { name: string; canAct: boolean }) {
  const { name, canAct } = props;
  const route = useRoute();
  const win = isStatsWindow(route.query.get('window')) ? route.query.get('window')! : '5m';
  const range = route.query.get('range') ?? '1h';
  const fn = useApi<FunctionView>(`/api/v1/functions/${encodeURIComponent(name)}`, 10_000);
  const stats = useApi<StatsSnapshot>(`/api/v1/stats?window=${win}`, 10_000);
  const reload = () => {
    fn.reload();
    stats.reload();
  };
  // Activity of this function (the once-a-second summary, not every job event), and every worker
  // event (a leaving worker does not list its functions).
  useLiveReload(['activity', 'worker'], reload, 1000,
    (e: LiveEvent) => e.type.startsWith('worker.') || name in (e.data?.functions ?? {}));
  const rangeMs = CHART_RANGES[range] ?? CHART_RANGES['1h']!;
  const series = useStatsSeries(name, rangeMs);

  const unknown = fn.error instanceof ApiFailure && fn.error.status === 404;
  const view = fn.data;
  const st = stats.data?.functions.find((f) => f.function === name) ?? null;
  const queued = view?.queued ?? st?.queued ?? null;
  const paused = view?.paused ?? st?.paused ?? false;
  const workers = view?.workers ?? st?.workers ?? 0;
  const enc = encodeURIComponent(name);
  const act = (action: 'pause' | 'resume') => () => api(`/api/v1/functions/${enc}/${action}`, { method: 'POST' });

  return (
    <section>
      <PageHeader title={<>{name} {paused ? <span class="badge state-paused" data-testid="paused-badge">paused</span> : null}</>}>
        <a href={withQuery('/jobs', { function: name })}>Jobs</a>
        <a href={withQuery('/jobs', { function: name, state: 'failed' })}>Failed jobs</a>
        {canAct ? (paused
          ? <ActionButton label="Resume" run={act('resume')} onDone={reload} testId="resume" />
          : <ActionButton label="Pause" run={act('pause')} confirm="Pause: stop handing out its jobs?" onDone={reload} testId="pause" />) : null}
      </PageHeader>
      <p class="muted breadcrumbs"><a href="/functions">Functions</a> / {name}</p>
      {unknown ? (
        <p class="notice">The server holds no function named <code>{name}</code> now: one appears when a job is submitted for it or a
          worker registers it. What is stored about it is below.</p>
      ) : <ErrorBox error={fn.error} />}
      <div class="filters">
        <WindowPicker value={win} />
        <RangePicker value={range} />
      </div>
      <ErrorBox error={stats.error} />
      {view || st ? (
        <div class="stats" data-testid="function-stats">
          <Stat label="queued" value={queued ? fmtCount(queuedTotal(queued)) : '–'} testId="stat-queued" />
          <Stat label="queued high" value={fmtCount(queued?.high)} />
          <Stat label="queued normal" value={fmtCount(queued?.normal)} />
          <Stat label="queued low" value={fmtCount(queued?.low)} />
          <Stat label="scheduled" value={fmtCount(view?.scheduled ?? st?.scheduled)} />
          <Stat label="running" value={fmtCount(view?.running ?? st?.running)} testId="stat-running" />
          <Stat label="workers" value={fmtCount(workers)} tone={workers === 0 && queued && queuedTotal(queued) > 0 ? 'warn' : undefined} testId="stat-workers" />
          <Stat label={`completed (${win})`} value={fmtCount(st?.completed)} testId="stat-completed" />
          <Stat label={`failed (${win})`} value={fmtCount(st?.failed)} tone={(st?.failed ?? 0) > 0 ? 'bad' : undefined} testId="stat-failed" />
          <Stat label="failure rate" value={fmtPercent(st?.failureRate)} />
          <Stat label="throughput" value={fmtRate(st?.throughput)} />
          <Stat label="runtime p50 / p95" value={<>{fmtDuration(st?.runtime.p50)} <span class="muted">/</span> {fmtDuration(st?.runtime.p95)}</>} />
          <Stat label="done p50 / p95" hint="time from submission to completion" value={<>{fmtDuration(st?.timeToCompletion.p50)} <span class="muted">/</span> {fmtDuration(st?.timeToCompletion.p95)}</>} />
          <Stat label="wait p95" hint="from when a job could run to when a worker took it" value={fmtDuration(st?.wait.p95)} />
          <Stat label="oldest waiting" value={fmtDuration(st?.oldestWaitingMs)} />
          <Stat label="drains in" hint="queued jobs at the rate jobs finished over the last minute"
            value={queued && st ? drainText(queuedTotal(queued), st.drainEtaMs, paused, workers) : '–'} />
        </div>
      ) : fn.loading || stats.loading ? <Loading /> : null}
      <ErrorBox error={series.error} />
      <StatsCharts points={series.points} rangeMs={rangeMs} latency testIdPrefix="function-chart" />
      <PolicyPanel name={name} view={view ?? null} canAct={canAct} onChanged={reload} />
      <Failures name={name} />
    </section>
  );
}
