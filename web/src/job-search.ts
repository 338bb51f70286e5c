/**
 * One page of GET /api/v1/jobs for a filter and a cursor, shown as it arrives.
 *
 * The API never counts: it answers keyset pages, newest first. A text search (`q`) scans one
 * window of ids per request, so its pages can come back short, or empty, with a nextCursor that
 * continues below; this hook keeps asking (up to MAX_REQUESTS) until the page is full, rendering
 * what each answer brings at once, so the first rows appear as soon as the first window has them.
 */
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { api, withQuery } from './api';
import type { JobFilter, JobView } from './jobs-api';

/** Requests one page may take to fill (with text search: 10 windows of ids). */
const MAX_REQUESTS = 10;

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

  useEffect(() => {
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
        const page = await api<{ jobs: JobView[]; nextCursor: string | null }>(
          withQuery('/api/v1/jobs', { ...filter, cursor: c, limit: limit - rows.length }), { signal: ctl.signal });
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
