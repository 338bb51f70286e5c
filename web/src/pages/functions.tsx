/**
 * Every function: what waits by priority, what runs, who serves it, how fast and how well, and
 * when its queue would be empty. Queues come from GET /api/v1/functions, rates and percentiles
 * from the stats snapshot; a function known to only one of them still gets a row. Sort, filter and
 * window live in the URL. Follows job and worker events (at most a refetch a second) and polls
 * slowly in case the stream is down.
 */
import { useApi } from '../api';
import { ErrorBox, Loading, PageHeader, QueryFilter } from '../components/bits';
import { Table, type Column } from '../components/table';
import { fmtCount, fmtDuration, fmtPercent, fmtRate } from '../format';
import { useLiveReload } from '../live';
import { useRoute } from '../router';
import { isStatsWindow, queuedTotal, type FunctionStats, type FunctionView, type StatsSnapshot } from '../stats-data';
import { WindowPicker } from '../components/stats-pickers';
import './stats-pages.css';

export interface FunctionRow {
  name: string;
  /** Null when the server's engine no longer holds the function (it only has recent stats). */
  view: FunctionView | null;
  /** Null when the stats engine has nothing on it. */
  stats: FunctionStats | null;
}

export function mergeFunctions(views: FunctionView[], stats: FunctionStats[]): FunctionRow[] {
  const rows = new Map<string, FunctionRow>();
  for (const v of views) rows.set(v.name, { name: v.name, view: v, stats: null });
  for (const s of stats) {
    const r = rows.get(s.function);
    if (r) r.stats = s;
    else rows.set(s.function, { name: s.function, view: null, stats: s });
  }
  return [...rows.values()];
}

/** The drain forecast as a person reads it. */
export function drainText(queued: number, etaMs: number | null, paused: boolean, workers: number): string {
  if (queued === 0) return 'empty';
  if (paused) return 'paused';
  if (workers === 0) return 'no workers';
  if (etaMs === null) return 'not draining';
  return fmtDuration(etaMs);
}

const q = (r: FunctionRow) => r.view?.queued ?? r.stats?.queued ?? null;
const num = (v: number | null | undefined) => (v === undefined ? null : v);

const columns: Column<FunctionRow>[] = [
  {
    key: 'function', label: 'Function', value: (r) => r.name.toLowerCase(),
    render: (r) => (
      <span class="fn-name">
        <a href={`/functions/${encodeURIComponent(r.name)}`}>{r.name}</a>
        {(r.view?.paused ?? r.stats?.paused) ? <> <span class="badge state-paused">paused</span></> : null}
      </span>
    ),
  },
  { key: 'high', label: 'High', numeric: true, title: 'Queued at high priority', value: (r) => num(q(r)?.high), render: (r) => fmtCount(q(r)?.high) },
  { key: 'normal', label: 'Normal', numeric: true, title: 'Queued at normal priority', value: (r) => num(q(r)?.normal), render: (r) => fmtCount(q(r)?.normal) },
  { key: 'low', label: 'Low', numeric: true, title: 'Queued at low priority', value: (r) => num(q(r)?.low), render: (r) => fmtCount(q(r)?.low) },
  { key: 'scheduled', label: 'Scheduled', numeric: true, title: 'Waiting for their run time', value: (r) => num(r.view?.scheduled ?? r.stats?.scheduled), render: (r) => fmtCount(r.view?.scheduled ?? r.stats?.scheduled) },
  { key: 'running', label: 'Running', numeric: true, value: (r) => num(r.view?.running ?? r.stats?.running), render: (r) => fmtCount(r.view?.running ?? r.stats?.running) },
  { key: 'workers', label: 'Workers', numeric: true, value: (r) => num(r.view?.workers ?? r.stats?.workers), render: (r) => fmtCount(r.view?.workers ?? r.stats?.workers) },
  { key: 'throughput', label: 'Throughput', numeric: true, title: 'Completions per second over the window', value: (r) => num(r.stats?.throughput), render: (r) => fmtRate(r.stats?.throughput) },
  { key: 'runtime50', label: 'Run p50', numeric: true, title: 'Runtime, median', value: (r) => num(r.stats?.runtime.p50), render: (r) => fmtDuration(r.stats?.runtime.p50) },
  { key: 'runtime95', label: 'Run p95', numeric: true, title: 'Runtime, 95th percentile', value: (r) => num(r.stats?.runtime.p95), render: (r) => fmtDuration(r.stats?.runtime.p95) },
  { key: 'ttc50', label: 'Done p50', numeric: true, title: 'Time from submission to completion, median', value: (r) => num(r.stats?.timeToCompletion.p50), render: (r) => fmtDuration(r.stats?.timeToCompletion.p50) },
  { key: 'ttc95', label: 'Done p95', numeric: true, title: 'Time from submission to completion, 95th percentile', value: (r) => num(r.stats?.timeToCompletion.p95), render: (r) => fmtDuration(r.stats?.timeToCompletion.p95) },
  {
    key: 'failure', label: 'Failed %', numeric: true, title: 'failed / (completed + failed) over the window',
    value: (r) => num(r.stats?.failureRate),
    render: (r) => <span class={(r.stats?.failureRate ?? 0) > 0 ? 'bad-text' : ''}>{fmtPercent(r.stats?.failureRate)}</span>,
  },
  {
    key: 'drain', label: 'Drains in', numeric: true, title: 'Forecast: queued jobs at the rate jobs finished over the last minute',
    value: (r) => (r.stats ? (r.stats.drainEtaMs ?? Number.MAX_SAFE_INTEGER) : null),
    render: (r) => {
      const queued = q(r);
      if (!r.stats || !queued) return '–';
      return drainText(queuedTotal(queued), r.stats.drainEtaMs, r.view?.paused ?? r.stats.paused, r.view?.workers ?? r.stats.workers);
    },
  },
];

export function FunctionsPage() {
  const route = useRoute();
  const win = isStatsWindow(route.query.get('window')) ? route.query.get('window')! : '5m';
  const filter = route.query.get('q') ?? '';
  const fns = useApi<{ functions: FunctionView[] }>('/api/v1/functions', 10_000);
  const stats = useApi<StatsSnapshot>(`/api/v1/stats?window=${win}`, 10_000);
  const reload = () => {
    fns.reload();
    stats.reload();
  };
  // The once-a-second `activity` summary rather than every job event of a busy server.
  useLiveReload(['activity', 'worker'], reload, 1000);

  const all = fns.data || stats.data ? mergeFunctions(fns.data?.functions ?? [], stats.data?.functions ?? []) : null;
  const needle = filter.toLowerCase();
  const rows = all?.filter((r) => r.name.toLowerCase().includes(needle)) ?? [];
  return (
    <section class="functions-page">
      <PageHeader title="Functions">
        <span class="muted">{all ? `${all.length} function${all.length === 1 ? '' : 's'}` : ''}</span>
      </PageHeader>
      <div class="filters">
        <QueryFilter value={filter} placeholder="function name" testId="function-filter" />
        <WindowPicker value={win} />
      </div>
      <ErrorBox error={fns.error ?? stats.error} />
      {all === null ? (fns.error || stats.error ? null : <Loading />) : (
        <Table rows={rows} columns={columns} rowKey={(r) => r.name} sortParam="sort" defaultSort="function" testId="functions-table"
          empty={all.length === 0
            ? 'No functions yet. A function appears when a job is submitted for it or a worker registers it (CAN_DO).'
            : `No function matches "${filter}".`} />
      )}
    </section>
  );
}
