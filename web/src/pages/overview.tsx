/**
 * The overview: live throughput and queue depth, totals over a window, alerts that need someone,
 * workers online, this server, and the busiest functions. Polls the stats snapshot every few
 * seconds (cheap on a busy server, unlike following every job event) and follows worker and alert
 * events, which are rare.
 */
import { useApi } from '../api';
import { ErrorBox, Loading, PageHeader, Stat, StateBadge } from '../components/bits';
import { CHART_RANGES, StatsCharts, useStatsSeries } from '../components/stats-charts';
import { RangePicker, WindowPicker } from '../components/stats-pickers';
import { Table, type Column } from '../components/table';
import { fmtAgo, fmtCount, fmtDuration, fmtPercent, fmtRate } from '../format';
import { useLiveReload } from '../live';
import { useRoute } from '../router';
import { isStatsWindow, queuedTotal, type FunctionStats, type StatsSnapshot } from '../stats-data';
import type { Worker } from './workers';
import './stats-pages.css';

const TOP_FUNCTIONS = 8;

interface Alert {
  rule: string;
  metric: string;
  function: string | null;
  op: string;
  threshold: number;
  state: 'inactive' | 'pending' | 'firing' | 'resolved';
  value: number | null;
  since: string | null;
}

/** What has happened most: finished and submitted in the window, then what waits. */
function activity(f: FunctionStats): number {
  return f.completed + f.failed + f.submitted + queuedTotal(f.queued) + f.running;
}

const topColumns: Column<FunctionStats>[] = [
  { key: 'function', label: 'Function', render: (f) => <a href={`/functions/${encodeURIComponent(f.function)}`}>{f.function}</a> },
  { key: 'queued', label: 'Queued', numeric: true, render: (f) => fmtCount(queuedTotal(f.queued)) },
  { key: 'running', label: 'Running', numeric: true, render: (f) => fmtCount(f.running) },
  { key: 'workers', label: 'Workers', numeric: true, render: (f) => fmtCount(f.workers) },
  { key: 'completed', label: 'Completed', numeric: true, render: (f) => fmtCount(f.completed) },
  { key: 'failed', label: 'Failed', numeric: true, render: (f) => fmtCount(f.failed) },
  { key: 'throughput', label: 'Throughput', numeric: true, render: (f) => fmtRate(f.throughput) },
  { key: 'failure', label: 'Failure', numeric: true, render: (f) => fmtPercent(f.failureRate) },
];

function AlertsPanel() {
  const { data, error, reload } = useApi<{ alerts: Alert[] }>('/api/v1/alerts', 15_000);
  useLiveReload(['alert'], reload, 500);
  const urgent = (data?.alerts ?? []).filter((a) => a.state === 'firing' || a.state === 'pending')
    .sort((a, b) => (a.state === b.state ? a.rule.localeCompare(b.rule) : a.state === 'firing' ? -1 : 1));
  return (
    <section class="panel" data-testid="alerts-panel">
      <h2 class="panel-title"><a href="/alerts">Alerts</a></h2>
      <ErrorBox error={error} />
      {data === null && !error ? <Loading /> : urgent.length === 0 ? (
        <p class="muted">Nothing firing. {data && data.alerts.length === 0 ? <>No alert rules yet: <a href="/alerts">add one</a>.</> : `${data?.alerts.length ?? 0} rules watching.`}</p>
      ) : (
        <ul class="plain-list">
          {urgent.map((a) => (
            <li key={a.rule}>
              <StateBadge state={a.state} /> <a href="/alerts">{a.rule}</a>{' '}
              <span class="muted">
                {a.metric}{a.function ? ` of ${a.function}` : ''} {a.op} {a.threshold} (now {a.value === null ? '–' : fmtCount(a.value)}), {fmtAgo(a.since)}
              </span>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

function WorkersPanel(props: { workers: Worker[] | null; error: Error | null }) {
  const { workers } = props;
  const busy = workers?.filter((w) => w.jobs.length > 0).length ?? 0;
  return (
    <section class="panel" data-testid="workers-panel">
      <h2 class="panel-title"><a href="/workers">Workers online</a></h2>
      <ErrorBox error={props.error} />
      {workers === null ? (props.error ? null : <Loading />) : workers.length === 0 ? (
        <p class="muted">No workers connected. Jobs queue until a worker registers their function on the Gearman port.</p>
      ) : (
        <>
          <p>{workers.length} connected, {busy} busy.</p>
          <ul class="plain-list">
            {workers.slice(0, 6).map((w) => (
              <li key={w.id}>
                <span class="mono">{w.clientId && w.clientId !== '-' ? w.clientId : `#${w.id}`}</span> <span class="muted">{w.address}</span>{' '}
                {w.jobs.length > 0 ? <StateBadge state="running" /> : <span class="muted">idle</span>}{' '}
                <span class="muted">{w.functions.slice(0, 4).join(', ')}{w.functions.length > 4 ? ` +${w.functions.length - 4}` : ''}</span>
              </li>
            ))}
          </ul>
          {workers.length > 6 ? <a href="/workers">All {workers.length} workers</a> : null}
        </>
      )}
    </section>
  );
}

/** The API has no notion of cluster nodes: this shows the server the dashboard talks to. */
function ServerPanel(props: { snapshot: StatsSnapshot | null }) {
  const health = useApi<{ status: string; version: string }>('/healthz', 30_000);
  const ready = useApi<{ status: string; store: string }>('/readyz', 30_000);
  return (
    <section class="panel" data-testid="server-panel">
      <h2 class="panel-title">This server</h2>
      <dl class="facts">
        <dt>Address</dt><dd class="mono">{location.host}</dd>
        <dt>Version</dt><dd>{health.data?.version ?? '–'}</dd>
        <dt>Store</dt><dd>{ready.data?.store ?? '–'}</dd>
        <dt>Ready</dt>
        <dd>{ready.data ? <span class="badge state-enabled">{ready.data.status}</span> : ready.error ? <span class="action-error">{ready.error.message}</span> : '–'}</dd>
        <dt>Stats as of</dt><dd>{props.snapshot ? new Date(props.snapshot.at).toLocaleTimeString() : '–'}</dd>
      </dl>
    </section>
  );
}

export function OverviewPage() {
  const route = useRoute();
  const win = isStatsWindow(route.query.get('window')) ? route.query.get('window')! : '5m';
  const range = route.query.get('range') ?? '1h';
  const rangeMs = CHART_RANGES[range] ?? CHART_RANGES['1h']!;
  const stats = useApi<StatsSnapshot>(`/api/v1/stats?window=${win}`, 3000);
  const workers = useApi<{ workers: Worker[] }>('/api/v1/workers', 15_000);
  useLiveReload(['worker'], workers.reload, 500);
  const series = useStatsSeries(null, rangeMs);

  const snap = stats.data;
  const t = snap?.totals;
  const top = (snap?.functions ?? []).filter((f) => activity(f) > 0 || f.workers > 0)
    .sort((a, b) => activity(b) - activity(a) || a.function.localeCompare(b.function)).slice(0, TOP_FUNCTIONS);
  return (
    <section>
      <PageHeader title="Overview">
        <div class="filters">
          <WindowPicker value={win} label="Totals" />
          <RangePicker value={range} />
        </div>
      </PageHeader>
      <ErrorBox error={stats.error} />
      {t ? (
        <div class="stats" data-testid="totals">
          <Stat label="queued" value={fmtCount(queuedTotal(t.queued))} hint={`high ${t.queued.high} · normal ${t.queued.normal} · low ${t.queued.low}`} testId="total-queued" />
          <Stat label="running" value={fmtCount(t.running)} testId="total-running" />
          <Stat label="scheduled" value={fmtCount(t.scheduled)} testId="total-scheduled" />
          <Stat label="workers online" value={workers.data ? fmtCount(workers.data.workers.length) : '–'} testId="total-workers" />
          <Stat label={`completed (${win})`} value={fmtCount(t.completed)} tone={t.completed > 0 ? 'good' : undefined} testId="total-completed" />
          <Stat label={`failed (${win})`} value={fmtCount(t.failed)} tone={t.failed > 0 ? 'bad' : undefined} testId="total-failed" />
          <Stat label="failure rate" value={fmtPercent(t.failureRate)} tone={(t.failureRate ?? 0) > 0.05 ? 'bad' : undefined} testId="total-failure-rate" />
          <Stat label="throughput" value={fmtRate(t.throughput)} hint="completions per second over the window" testId="total-throughput" />
          <Stat label="runtime p95" value={fmtDuration(t.runtime.p95)} testId="total-runtime-p95" />
        </div>
      ) : stats.error ? null : <Loading />}
      <ErrorBox error={series.error} />
      <StatsCharts points={series.points} rangeMs={rangeMs} testIdPrefix="overview-chart" />
      <div class="grid overview-panels">
        <AlertsPanel />
        <WorkersPanel workers={workers.data?.workers ?? null} error={workers.error} />
        <ServerPanel snapshot={snap} />
      </div>
      <h2>Busiest functions <a class="small-link" href="/functions">all functions</a></h2>
      {snap ? (
        <Table rows={top} columns={topColumns} rowKey={(f) => f.function} testId="top-functions"
          empty="No functions yet. Submit a job (gearhq submit, POST /api/v1/jobs, any Gearman client) or start a worker." />
      ) : null}
    </section>
  );
}
