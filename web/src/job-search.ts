/**
 * One page of GET /api/v1/jobs for a filter and a cursor, shown as it arrives.
 *
 * The API never counts: it answers keyset pages, newest first. A text search (`q`) scans one
 * window of ids per request, so its pages can come back short, or empty, with a nextCursor that
 * continues below; this hook keeps asking (up to MAX_REQUESTS) until the page is full, rendering
 * what each answer brings at once, so the first rows appear as soon as the first window has them.
 */
import { useCallback, useLayoutEffect, useRef, useState } from 'preact/hooks';
import { api } from './api';
import { jobsListPath, pageFromQuery, type JobFilter, type JobView } from './jobs-api';

/** Requests one page may take to fill (with text search: 10 windows of ids). */
const MAX_REQUESTS = 10;

interface ListAnswer {
  jobs: JobView[];
  nextCursor: string | null;
}

/**
 * The first request of a /jobs page opened directly (a link, a reload), started as soon as the
 * script runs instead of after the shell's access check and the page's first render: the two
 * round trips then overlap, which is most of the page's time to first rows. Used only by the
 * page it was made for, only soon after, and only if it succeeded (without a token it fails
 * with 401 and the page asks again once signed in).
 */
let early: { path: string; at: number; answer: Promise<ListAnswer> } | null = null;
const EARLY_MAX_AGE_MS = 5000;

export function prefetchJobsPage(): void {
  if (location.pathname !== '/jobs') return;
  const { filter, cursor, limit } = pageFromQuery(new URLSearchParams(location.search));
  const path = jobsListPath(filter, cursor, limit);
  const answer = api<ListAnswer>(path);
  answer.catch(() => undefined);
  early = { path, at: Date.now(), answer };
}

function request(path: string, signal: AbortSignal): Promise<ListAnswer> {
  const e = early;
  early = null;
  if (e !== null && e.path === path && Date.now() - e.at < EARLY_MAX_AGE_MS) return e.answer.catch(() => api<ListAnswer>(path, { signal }));
  return api<ListAnswer>(path, { signal });
}

export interface JobSearch {
  rows: JobView[];
  /** Cursor of the page after this one; null = nothing older. */
  nextCursor: string | null;
  /** True until the first answer for this filter and cursor arrived. */
  loading: boolean;
  /** True while more requests for this page are under way (text search filling a page). */
  scanning: boolean;
  error: Error | null;
  reload: () => void;
}

interface State {
  key: string;
  rows: JobView[];
  nextCursor: string | null;
  loading: boolean;
  scanning: boolean;
  error: Error | null;
}

export function useJobSearch(filter: JobFilter, cursor: string | null, limit: number): JobSearch {
  const key = JSON.stringify([filter, cursor, limit]);
  const [tick, setTick] = useState(0);
  const reload = useCallback(() => setTick((n) => n + 1), []);
  const [state, setState] = useState<State>({ key, rows: [], nextCursor: null, loading: true, scanning: false, error: null });
  const shownKey = useRef(key);

  // A layout effect: the request leaves on this render's commit, not a frame later.
  useLayoutEffect(() => {
    const ctl = new AbortController();
    // A new filter or cursor starts empty; a reload of the same page keeps its rows until the
    // answer replaces them, so a live page does not flicker.
    const fresh = shownKey.current !== key;
    shownKey.current = key;
    if (fresh) setState({ key, rows: [], nextCursor: null, loading: true, scanning: false, error: null });
    (async () => {
      let rows: JobView[] = [];
      let c = cursor;
      for (let n = 0; n < MAX_REQUESTS; n++) {
        const page = await request(jobsListPath(filter, c, limit - rows.length), ctl.signal);
        if (ctl.signal.aborted) return;
        rows = rows.concat(page.jobs);
        c = page.nextCursor;
        const more = c !== null && rows.length < limit && n + 1 < MAX_REQUESTS;
        setState({ key, rows, nextCursor: c, loading: false, scanning: more, error: null });
        if (!more) break;
      }
    })().catch((error: Error) => {
      if (error.name !== 'AbortError') setState((s) => ({ ...s, key, loading: false, scanning: false, error }));
    });
    return () => ctl.abort();
  }, [key, tick]);

  // Until the effect above resets it, state may still belong to the previous filter.
  if (state.key !== key) return { rows: [], nextCursor: null, loading: true, scanning: false, error: null, reload };
  return { ...state, reload };
}
