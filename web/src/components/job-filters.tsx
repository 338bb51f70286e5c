/**
 * The jobs page's filter bar. Every field lives in the URL (function, state, unique, q, since,
 * until, limit), so a filtered list is a shareable link; typing is debounced so a keystroke is
 * not a request. Text shaped like a job handle goes straight to that job when it exists.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiFailure, api } from '../api';
import { JOB_STATES, jobApiPath, jobHref, looksLikeHandle, type JobFilter } from '../jobs-api';
import { navigate, setQuery } from '../router';

const DEBOUNCE_MS = 350;
export const PAGE_SIZES = [25, 50, 100, 200];

const RANGES: [string, number][] = [['last 15 min', 15 * 60_000], ['last hour', 3_600_000], ['last 24 h', 86_400_000], ['last 7 days', 7 * 86_400_000]];

/** Changes filters: any change starts again from the newest page. */
function applyFilter(values: Record<string, string | undefined>): void {
  setQuery({ ...values, cursor: undefined });
}

/** A text input that reports its value once typing pauses (or at once on Enter). */
function DebouncedInput(props: { label: string; value: string; onCommit: (v: string) => void; placeholder?: string; testId?: string; list?: string; onFocus?: () => void; wide?: boolean }) {
  const [text, setText] = useState(props.value);
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  // The URL changed from elsewhere (a link, back/forward): show it.
  useEffect(() => setText(props.value), [props.value]);
  useEffect(() => () => {
    if (timer.current) clearTimeout(timer.current);
  }, []);
  const commit = (v: string) => {
    if (timer.current) clearTimeout(timer.current);
    timer.current = null;
    if (v.trim() !== props.value) props.onCommit(v.trim());
  };
  return (
    <label class={props.wide ? 'grow' : ''}>
      {props.label}
      <input
        type="search"
        value={text}
        placeholder={props.placeholder}
        list={props.list}
        data-testid={props.testId}
        onFocus={props.onFocus}
        onInput={(e) => {
          const v = (e.target as HTMLInputElement).value;
          setText(v);
          if (timer.current) clearTimeout(timer.current);
          timer.current = setTimeout(() => commit(v), DEBOUNCE_MS);
        }}
        onKeyDown={(e) => {
          if (e.key === 'Enter') commit((e.target as HTMLInputElement).value);
        }}
      />
    </label>
  );
}

/** ISO time ⇄ the local 'YYYY-MM-DDTHH:mm' a datetime-local input holds. */
export function isoToLocalInput(iso: string | undefined): string {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

export function localInputToIso(v: string): string | undefined {
  if (!v) return undefined;
  const d = new Date(v);
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
}

export function JobFilters(props: { filter: JobFilter; limit: number }) {
  const f = props.filter;
  const [functions, setFunctions] = useState<string[] | null>(null);
  const [lookup, setLookup] = useState<string | null>(null);
  // Function names for the suggestions, asked for only when someone is about to type one.
  const loadFunctions = () => {
    if (functions !== null) return;
    setFunctions([]);
    api<{ functions: { name: string }[] }>('/api/v1/functions').then((r) => setFunctions(r.functions.map((x) => x.name)), () => undefined);
  };
  const search = async (text: string) => {
    if (looksLikeHandle(text)) {
      setLookup(text);
      try {
        await api(jobApiPath(text));
        navigate(jobHref(text));
        return;
      } catch (e) {
        if (!(e instanceof ApiFailure && e.status === 404)) throw e;
      } finally {
        setLookup(null);
      }
    }
    applyFilter({ q: text || undefined });
  };
  const anyFilter = Object.keys(f).length > 0;
  return (
    <div class="filters job-filters" role="search">
      <DebouncedInput wide label="Search" value={f.q ?? ''} placeholder="a job handle, or text in payload, result or error" testId="job-search"
        onCommit={(v) => void search(v).catch(() => applyFilter({ q: v || undefined }))} />
      <DebouncedInput label="Function" value={f.function ?? ''} list="job-filter-functions" testId="filter-function" onFocus={loadFunctions}
        onCommit={(v) => applyFilter({ function: v || undefined })} />
      <datalist id="job-filter-functions">
        {(functions ?? []).map((n) => <option key={n} value={n} />)}
      </datalist>
      <label>
        State
        <select value={f.state ?? ''} data-testid="filter-state" onChange={(e) => applyFilter({ state: (e.target as HTMLSelectElement).value || undefined })}>
          <option value="">any</option>
          {JOB_STATES.map((s) => <option key={s} value={s}>{s}</option>)}
        </select>
      </label>
      <DebouncedInput label="Unique" value={f.unique ?? ''} testId="filter-unique" onCommit={(v) => applyFilter({ unique: v || undefined })} />
      <label>
        Submitted since
        <input type="datetime-local" value={isoToLocalInput(f.since)} data-testid="filter-since"
          onChange={(e) => applyFilter({ since: localInputToIso((e.target as HTMLInputElement).value) })} />
      </label>
      <label>
        until
        <input type="datetime-local" value={isoToLocalInput(f.until)} data-testid="filter-until"
          onChange={(e) => applyFilter({ until: localInputToIso((e.target as HTMLInputElement).value) })} />
      </label>
      <label>
        Range
        <select value="" onChange={(e) => {
          const ms = Number((e.target as HTMLSelectElement).value);
          if (ms > 0) applyFilter({ since: new Date(Date.now() - ms).toISOString(), until: undefined });
        }}>
          <option value="">pick…</option>
          {RANGES.map(([label, ms]) => <option key={label} value={ms}>{label}</option>)}
        </select>
      </label>
      <label>
        Per page
        <select value={props.limit} data-testid="page-size" onChange={(e) => setQuery({ limit: (e.target as HTMLSelectElement).value, cursor: undefined })}>
          {(PAGE_SIZES.includes(props.limit) ? PAGE_SIZES : [...PAGE_SIZES, props.limit].sort((a, b) => a - b)).map((n) => <option key={n} value={n}>{n}</option>)}
        </select>
      </label>
      {anyFilter ? <button class="link" onClick={() => applyFilter({ function: undefined, state: undefined, unique: undefined, q: undefined, since: undefined, until: undefined })}>clear filters</button> : null}
      {lookup ? <span class="muted">looking up {lookup}…</span> : null}
    </div>
  );
}
