/**
 * Connected workers: who (id, client id, address), what they serve, what they run now and for how
 * long (ticking), since when they are connected. Follows worker joins and leaves and jobs starting
 * and ending; a slow poll covers a broken stream. Filter and sort live in the URL.
 */
import { useEffect, useState } from 'preact/hooks';
import { useApi } from '../api';
import { ErrorBox, Loading, PageHeader, QueryFilter, StateBadge } from '../components/bits';
import { Table, type Column } from '../components/table';
import { fmtAgo, fmtDuration, fmtTime } from '../format';
import { useLiveReload } from '../live';
import { useRoute } from '../router';
import './stats-pages.css';

/** One connection as GET /api/v1/workers gives it. */
export interface Worker {
  id: number;
  clientId: string;
  address: string;
  connectedAt: string;
  functions: string[];
  /** Sent PRE_SLEEP and waits for a NOOP. */
  sleeping: boolean;
  jobs: { handle: string; function: string; startedAt: string }[];
}

/** Events that change who is connected or what they run. */
// Joins and leaves as they happen; job starts and ends through the once-a-second `activity` summary
// (every job event of a busy server would be far more than this page needs).
const WORKER_EVENTS = ['worker', 'activity'];

/** The current time, re-read every `ms` so durations tick. */
function useNow(ms: number): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const id = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(id);
  }, [ms]);
  return now;
}

const fnLinks = (fns: string[]) => fns.map((f, i) => (
  <span key={f}>{i > 0 ? ', ' : ''}<a href={`/functions/${encodeURIComponent(f)}`}>{f}</a></span>
));

function columns(now: number): Column<Worker>[] {
  const oldestStart = (w: Worker) => (w.jobs.length === 0 ? null : Math.min(...w.jobs.map((j) => Date.parse(j.startedAt))));
  return [
    { key: 'id', label: 'Id', numeric: true, value: (w) => w.id, render: (w) => <span class="mono">#{w.id}</span> },
    { key: 'client', label: 'Client id', value: (w) => w.clientId, render: (w) => (w.clientId && w.clientId !== '-' ? <span class="mono">{w.clientId}</span> : <span class="muted" title="gearmand's placeholder: the worker set no id">–</span>) },
    { key: 'address', label: 'Address', value: (w) => w.address, render: (w) => <span class="mono">{w.address}</span> },
    { key: 'functions', label: 'Functions', value: (w) => w.functions.join(','), render: (w) => <span class="fn-list">{fnLinks(w.functions)}</span> },
    {
      key: 'state', label: 'State', value: (w) => (w.jobs.length > 0 ? 0 : w.sleeping ? 2 : 1),
      render: (w) => (w.jobs.length > 0 ? <StateBadge state="running" /> : <span class="badge">{w.sleeping ? 'sleeping' : 'idle'}</span>),
    },
    {
      key: 'job', label: 'Current job', value: (w) => w.jobs[0]?.handle ?? null,
      render: (w) => (w.jobs.length === 0 ? <span class="muted">–</span> : (
        <span class="job-list">
          {w.jobs.map((j) => (
            <span key={j.handle}>
              <a class="mono" href={`/jobs/${encodeURIComponent(j.handle)}`}>{j.handle}</a> <span class="muted">{j.function}</span>
            </span>
          ))}
        </span>
      )),
    },
    {
      key: 'runningFor', label: 'Running for', numeric: true, value: (w) => { const s = oldestStart(w); return s === null ? null : -s; },
      render: (w) => (w.jobs.length === 0 ? '–' : (
        <span class="job-list">
          {w.jobs.map((j) => <span key={j.handle} data-testid="running-for">{fmtDuration(Math.max(0, now - Date.parse(j.startedAt)))}</span>)}
        </span>
      )),
    },
    {
      key: 'connected', label: 'Connected', value: (w) => w.connectedAt,
      render: (w) => <span title={fmtTime(w.connectedAt)}>{fmtAgo(w.connectedAt, now)}</span>,
    },
  ];
}

function matches(w: Worker, needle: string): boolean {
  if (!needle) return true;
  const hay = [String(w.id), w.clientId, w.address, ...w.functions, ...w.jobs.map((j) => j.handle)].join('\n').toLowerCase();
  return hay.includes(needle.toLowerCase());
}

export function WorkersPage() {
  const route = useRoute();
  const filter = route.query.get('q') ?? '';
  const { data, error, reload } = useApi<{ workers: Worker[] }>('/api/v1/workers', 15_000);
  useLiveReload(WORKER_EVENTS, reload, 500);
  const now = useNow(1000);
  const workers = data?.workers ?? null;
  const rows = workers?.filter((w) => matches(w, filter)) ?? [];
  const busy = workers?.filter((w) => w.jobs.length > 0).length ?? 0;
  return (
    <section>
      <PageHeader title="Workers">
        <span class="muted" data-testid="workers-summary">{workers ? `${workers.length} connected, ${busy} busy` : ''}</span>
      </PageHeader>
      <div class="filters">
        <QueryFilter value={filter} placeholder="client id, address, function, handle" testId="worker-filter" />
      </div>
      <ErrorBox error={error} />
      {workers === null ? (error ? null : <Loading />) : (
        <Table rows={rows} columns={columns(now)} rowKey={(w) => String(w.id)} sortParam="sort" defaultSort="id" testId="workers-table"
          empty={workers.length === 0 ? (
            <>No workers connected. Start one with any Gearman worker library pointed at this server's Gearman port
              (4730 unless --port says otherwise), e.g. <code>gearman -w -h {location.hostname} -p 4730 -f resize -- cat</code>.</>
          ) : `No worker matches "${filter}".`} />
      )}
    </section>
  );
}
