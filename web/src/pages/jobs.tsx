/**
 * /jobs: search the job history. Filters and the page's cursor live in the URL (function, state,
 * unique, q, since, until, limit, cursor), so /jobs?function=resize&state=failed is a link other
 * pages and people can share. Pages are the API's keyset pages, newest first; nothing is counted.
 */
import type { ComponentChildren } from 'preact';
import { useMemo, useState } from 'preact/hooks';
import { ErrorBox, Loading, PageHeader, StateBadge } from '../components/bits';
import { BulkActions } from '../components/bulk-actions';
import { JobFilters } from '../components/job-filters';
import { bytesPreview, fmtAgo, fmtDuration, fmtTime } from '../format';
import { prefetchJobsPage, useJobSearch } from '../job-search';
import { jobHref, pageFromQuery, type JobFilter, type JobView } from '../jobs-api';
import { useLiveEvents, useLiveReload, type LiveEvent } from '../live';
import { setQuery, useRoute } from '../router';
import './jobs.css';

// Opened directly at /jobs…: ask for the rows while the shell is still starting (see prefetchJobsPage).
prefetchJobsPage();

export function JobsPage(props: { canAct: boolean }) {
  const route = useRoute();
  const { filter, cursor, limit } = useMemo(() => pageFromQuery(route.query), [route.query.toString()]);
  const search = useJobSearch(filter, cursor, limit);
  const trail = usePageTrail(JSON.stringify([filter, limit]), cursor);

  return (
    <section>
      <PageHeader title="Jobs">
        {cursor === null ? <LiveFollow filter={filter} reload={search.reload} /> : <span class="muted">older page: not live</span>}
      </PageHeader>
      <JobFilters filter={filter} limit={limit} />
      {props.canAct ? <BulkActions filter={filter} onFinished={search.reload} /> : null}
      <ErrorBox error={search.error} />
      {search.loading ? <Loading /> : <JobRows rows={search.rows} filter={filter} scanning={search.scanning} more={search.nextCursor !== null} />}
      <nav class="pager" aria-label="Pages">
        {search.scanning ? <span class="muted">searching older jobs…</span> : null}
        {trail.page ? <span class="muted">page {trail.page + 1}</span> : null}
        {cursor !== null ? (
          <button onClick={() => setQuery({ cursor: trail.previous ?? undefined }, { push: true })} data-testid="page-newer">
            {trail.previous === undefined ? '« Newest' : '‹ Newer'}
          </button>
        ) : null}
        <button disabled={search.nextCursor === null || search.loading} data-testid="page-next"
          onClick={() => {
            trail.advance(search.nextCursor!);
            setQuery({ cursor: search.nextCursor! }, { push: true });
          }}>
          Older ›
        </button>
      </nav>
    </section>
  );
}

/**
 * The cursors of the pages walked from the newest one, so "Newer" can step back without the API
 * paging backwards. Back/forward in the browser move the URL's cursor; the trail still finds it.
 * A shared link that starts deep in the history has no trail: "Newest" goes to the first page.
 */
function usePageTrail(filterKey: string, cursor: string | null) {
  const [state, setState] = useState<{ key: string; cursors: (string | null)[] }>({ key: filterKey, cursors: [null] });
  let cursors = state.key === filterKey ? state.cursors : [null];
  if (!cursors.includes(cursor)) cursors = [cursor];
  const position = cursors.indexOf(cursor);
  return {
    /** The page before this one: null = the newest; undefined = not known (a deep link). */
    previous: position > 0 ? cursors[position - 1] : undefined,
    /** 0-based page number, when the trail starts at the newest page. */
    page: cursors[0] === null ? position : null,
    advance(next: string) {
      setState({ key: filterKey, cursors: [...cursors.slice(0, position + 1), next] });
    },
  };
}

/**
 * Live updates on the first page only (older pages are history and do not move).
 *
 * The page follows the server's once-a-second `activity` summary (events per function), not every
 * job event: a busy server makes tens of thousands of those a second, which an open tab would
 * otherwise receive and the server serialise. The first page of a keyset listing is one cheap
 * indexed query, so it is simply fetched again when its function (or, without a function filter,
 * any function) had activity — at most once a second, so new rows appear at the top on their own
 * and state changes show. A text search is different: each fetch scans a window of payloads, so
 * it is not repeated on its own; it shows how many jobs were submitted since ("N new — refresh",
 * some may not match the text) and waits for a click.
 */
interface ActivityCounts {
  events: number;
  submitted: number;
}

function LiveFollow(props: { filter: JobFilter; reload: () => void }) {
  const f = props.filter;
  const [pending, setPending] = useState(0);
  const text = f.q !== undefined;
  const counts = (e: LiveEvent): ActivityCounts[] => {
    const fns = (e.data?.functions ?? {}) as Record<string, ActivityCounts>;
    if (f.function) return fns[f.function] ? [fns[f.function]!] : [];
    return Object.values(fns);
  };
  useLiveReload(['activity'], props.reload, 1000, (e) => !text && counts(e).length > 0);
  useLiveEvents(['activity'], (e) => {
    if (!text) return;
    const submitted = counts(e).reduce((n, c) => n + c.submitted, 0);
    if (submitted > 0) setPending((n) => n + submitted);
  });
  if (text && pending > 0) {
    return (
      <button class="link" data-testid="live-pending" onClick={() => {
        setPending(0);
        props.reload();
      }}>
        {pending} new — refresh
      </button>
    );
  }
  return <span class="muted" title="the newest page follows new jobs and state changes">live</span>;
}

function runtimeCell(j: JobView, now: number) {
  const started = j.startedAt ? Date.parse(j.startedAt) : null;
  if (j.finishedAt) {
    const ranMs = started !== null ? Date.parse(j.finishedAt) - started : null;
    const ran = ranMs === null ? <span class="muted">never ran</span> : ranMs < 1 ? '<1 ms' : fmtDuration(ranMs);
    return <span title={`finished ${fmtTime(j.finishedAt)}`}>{ran} <span class="muted">· {fmtAgo(j.finishedAt, now)}</span></span>;
  }
  if (j.state === 'running' && started !== null) return <span>running {fmtDuration(now - started)}</span>;
  if (j.state === 'scheduled' && j.dueAt) return <span title={fmtTime(j.dueAt)}>due {fmtAgo(j.dueAt, now)}</span>;
  if (j.submittedAt) return <span class="muted">waiting {fmtDuration(now - Date.parse(j.submittedAt))}</span>;
  return '–';
}

function previewCell(j: JobView) {
  if (j.error) return <span class="bad-text">{bytesPreview(j.error, 80)}</span>;
  if (j.state === 'failed' || j.state === 'abandoned') return <span class="bad-text">{j.outcome ?? j.state}</span>;
  if (j.result) return bytesPreview(j.result, 80);
  return <span class="muted">{bytesPreview(j.payload, 80)}</span>;
}

function JobRows(props: { rows: JobView[]; filter: JobFilter; scanning: boolean; more: boolean }) {
  const now = Date.now();
  const { rows } = props;
  let empty: ComponentChildren = null;
  if (rows.length === 0) {
    if (props.scanning) empty = 'Searching…';
    else if (props.filter.q !== undefined && props.more) empty = 'No matches among the newest jobs searched so far. "Older ›" searches further back.';
    else if (Object.keys(props.filter).length > 0) empty = 'No jobs match these filters.';
    else empty = <>No jobs yet. Submit one with <code>gearman -f reverse -b hello</code> or <code>POST /api/v1/jobs</code>.</>;
  }
  return (
    <div class="table-wrap">
      <table class="jobs-table" data-testid="jobs-table">
        <thead>
          <tr>
            <th>Handle</th>
            <th>Function</th>
            <th>State</th>
            <th class="col-unique">Unique</th>
            <th>Submitted</th>
            <th>Runtime · finished</th>
            <th class="num col-attempts" title="attempts">Att.</th>
            <th class="col-preview">Result, error or payload</th>
          </tr>
        </thead>
        <tbody>
          {empty !== null ? (
            <tr><td colSpan={8} class="empty" data-testid="jobs-empty">{empty}</td></tr>
          ) : rows.map((j) => (
            <tr key={j.handle} data-testid="job-row" data-handle={j.handle} data-state={j.state}>
              <td class="mono nowrap"><a href={jobHref(j.handle)}>{j.handle}</a></td>
              <td><a href={`/functions/${encodeURIComponent(j.function)}`}>{j.function}</a></td>
              <td><StateBadge state={j.state} /></td>
              <td class="col-unique mono clip">{j.unique}</td>
              <td class="nowrap" title={fmtTime(j.submittedAt)}>{fmtAgo(j.submittedAt, now)}</td>
              <td class="nowrap">{runtimeCell(j, now)}</td>
              <td class="num col-attempts">{j.attempts}</td>
              <td class="col-preview clip">{previewCell(j)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
