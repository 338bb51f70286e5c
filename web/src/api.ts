/**
 * The dashboard's only way to the server: the public REST API under /api/v1 (never the store).
 * The bearer token, when the server needs one, is kept in localStorage and sent on every call.
 */
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';

const TOKEN_KEY = 'gearhq.token';

export function getToken(): string {
  try {
    return localStorage.getItem(TOKEN_KEY) ?? '';
  } catch {
    return '';
  }
}

export function setToken(token: string): void {
  if (token) localStorage.setItem(TOKEN_KEY, token);
  else localStorage.removeItem(TOKEN_KEY);
  authListeners.forEach((l) => l());
}

const authListeners = new Set<() => void>();
export function onAuthChange(l: () => void): () => void {
  authListeners.add(l);
  return () => authListeners.delete(l);
}

export class ApiFailure extends Error {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message);
  }
}

export function authHeaders(): Record<string, string> {
  const t = getToken();
  return t ? { authorization: `Bearer ${t}` } : {};
}

export async function api<T = any>(path: string, init: { method?: string; body?: unknown; signal?: AbortSignal } = {}): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json', ...authHeaders() };
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(path, {
    method: init.method ?? 'GET',
    headers,
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
    signal: init.signal,
  });
  const text = await res.text();
  let body: any = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = null;
  }
  if (!res.ok) {
    const err = body?.error;
    const failure = new ApiFailure(res.status, err?.code ?? `HTTP_${res.status}`, err?.message ?? (text || res.statusText));
    if (res.status === 401) authListeners.forEach((l) => l());
    throw failure;
  }
  return body as T;
}

/** Builds `path?k=v…`, leaving out empty values. */
export function withQuery(path: string, q: Record<string, string | number | undefined | null>): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) if (v !== undefined && v !== null && v !== '') p.set(k, String(v));
  const s = p.toString();
  return s ? `${path}?${s}` : path;
}

export interface Loaded<T> {
  data: T | null;
  error: ApiFailure | Error | null;
  loading: boolean;
  reload: () => void;
}

/**
 * GETs `path` (null = nothing to load), again every `refreshMs` when given, and whenever `reload()`
 * is called. Keeps showing the last data while a refresh is under way, so live pages don't flicker.
 */
export function useApi<T = any>(path: string | null, refreshMs = 0): Loaded<T> {
  const [state, setState] = useState<{ data: T | null; error: Error | null; loading: boolean }>({ data: null, error: null, loading: path !== null });
  const [tick, setTick] = useState(0);
  const reload = useCallback(() => setTick((n) => n + 1), []);
  const lastPath = useRef(path);
  useEffect(() => {
    if (path === null) return;
    if (lastPath.current !== path) {
      lastPath.current = path;
      setState({ data: null, error: null, loading: true });
    }
    const ctl = new AbortController();
    setState((s) => ({ ...s, loading: true }));
    api<T>(path, { signal: ctl.signal }).then(
      (data) => setState({ data, error: null, loading: false }),
      (error: Error) => {
        if (error.name !== 'AbortError') setState((s) => ({ data: s.data, error, loading: false }));
      },
    );
    return () => ctl.abort();
  }, [path, tick]);
  useEffect(() => {
    if (!refreshMs || path === null) return;
    const id = setInterval(() => {
      if (document.visibilityState === 'visible') reload();
    }, refreshMs);
    return () => clearInterval(id);
  }, [path, refreshMs, reload]);
  return { ...state, reload };
}

export type Access = 'full' | 'read' | 'none';

/** What the current token may do (GET /api/v1/auth): actions are hidden for read-only access. */
export function useAccess(): Access | null {
  const [access, setAccess] = useState<Access | null>(null);
  useEffect(() => {
    const check = () => {
      api<{ access: Access }>('/api/v1/auth').then((r) => setAccess(r.access), () => setAccess('none'));
    };
    check();
    return onAuthChange(check);
  }, []);
  return access;
}
