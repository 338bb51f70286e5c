/**
 * One shared server-sent-events connection to GET /api/v1/events for the whole page. It is read
 * with fetch rather than EventSource because EventSource cannot send the Authorization header.
 * Reconnects with a growing delay. Pages subscribe to event types or families ('job', 'worker',
 * 'alert', or exact types like 'job.completed'); the stream asks the server for the union of them
 * only (`?types=`), so a page that needs no job events is not sent a busy server's job traffic.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { authHeaders, onAuthChange } from './api';

export interface LiveEvent {
  id: number;
  type: string;
  data: any;
}

type Listener = (e: LiveEvent) => void;
interface Subscription {
  types: string[];
  fn: Listener;
}
type Status = 'connecting' | 'live' | 'offline';

const listeners = new Set<Subscription>();
/**
 * Told each time the stream is (re)established: whatever happened before it was (between a
 * page's first fetch and its subscription, or while reconnecting) never reaches the listeners.
 */
const openListeners = new Set<() => void>();
let connectedTypes = '';
const statusListeners = new Set<(s: Status) => void>();
let status: Status = 'offline';
let ctl: AbortController | null = null;
let retryMs = 500;

function setStatus(s: Status): void {
  status = s;
  statusListeners.forEach((l) => l(s));
}

/** Splits an SSE byte stream into events (fields `id`, `event`, `data`; comments ignored). */
export function parseSseBlock(block: string): LiveEvent | null {
  let type = 'message';
  let id = 0;
  const data: string[] = [];
  for (const line of block.split('\n')) {
    if (line === '' || line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'event') type = value;
    else if (field === 'id') id = Number(value);
    else if (field === 'data') data.push(value);
  }
  if (data.length === 0) return null;
  try {
    return { id, type, data: JSON.parse(data.join('\n')) };
  } catch {
    return null;
  }
}

function wantedTypes(): string {
  const all = new Set<string>();
  for (const l of listeners) l.types.forEach((t) => all.add(t));
  return [...all].sort().join(',');
}

function matches(types: string[], type: string): boolean {
  return types.some((t) => type === t || type.startsWith(`${t}.`));
}

async function connect(): Promise<void> {
  ctl?.abort();
  const mine = new AbortController();
  ctl = mine;
  connectedTypes = wantedTypes();
  setStatus('connecting');
  try {
    const res = await fetch(`/api/v1/events?types=${encodeURIComponent(connectedTypes)}`, { headers: { accept: 'text/event-stream', ...authHeaders() }, signal: mine.signal });
    if (!res.ok || !res.body) throw new Error(`events: HTTP ${res.status}`);
    setStatus('live');
    retryMs = 500;
    openListeners.forEach((l) => l());
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    let buf = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buf += value;
      let end: number;
      while ((end = buf.indexOf('\n\n')) >= 0) {
        const block = buf.slice(0, end);
        buf = buf.slice(end + 2);
        const ev = parseSseBlock(block);
        if (ev) listeners.forEach((l) => matches(l.types, ev.type) && l.fn(ev));
      }
    }
  } catch {
    // falls through to the reconnect below
  }
  if (ctl !== mine || listeners.size === 0) return;
  setStatus('offline');
  setTimeout(() => {
    if (ctl === mine && listeners.size > 0) void connect();
  }, retryMs);
  retryMs = Math.min(retryMs * 2, 15_000);
}

/** Reconnects when the set of wanted types changed (batched: pages mount several at once). */
let recheck: ReturnType<typeof setTimeout> | null = null;
function scheduleRecheck(): void {
  if (recheck) return;
  recheck = setTimeout(() => {
    recheck = null;
    if (listeners.size === 0) {
      ctl?.abort();
      ctl = null;
      connectedTypes = '';
      setStatus('offline');
    } else if (ctl === null || wantedTypes() !== connectedTypes) {
      void connect();
    }
  }, 50);
}

function subscribe(sub: Subscription): () => void {
  listeners.add(sub);
  scheduleRecheck();
  return () => {
    listeners.delete(sub);
    scheduleRecheck();
  };
}

onAuthChange(() => {
  if (listeners.size > 0) void connect();
});

/** Calls `handler` for every live event of the given types or families ('job', 'worker.joined'…). */
export function useLiveEvents(types: string[], handler: Listener): void {
  const ref = useRef(handler);
  ref.current = handler;
  const key = types.join(',');
  useEffect(() => subscribe({ types, fn: (e) => ref.current(e) }), [key]);
}

/**
 * Calls `reload` when matching events arrive, at most once per `minMs`, so a page showing live
 * data follows the server without polling hard and without a refetch per event under load; and
 * once each time the stream is (re)established, for the events it missed.
 */
export function useLiveReload(types: string[], reload: () => void, minMs = 1000, accept?: (e: LiveEvent) => boolean): void {
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const last = useRef(0);
  const reloadRef = useRef(reload);
  reloadRef.current = reload;
  const schedule = (): void => {
    if (timer.current) return;
    const wait = Math.max(0, last.current + minMs - Date.now());
    timer.current = setTimeout(() => {
      timer.current = null;
      last.current = Date.now();
      reloadRef.current();
    }, wait);
  };
  useEffect(() => {
    // Once the stream is up (again), catch up on what it could not tell.
    const opened = (): void => schedule();
    openListeners.add(opened);
    return () => {
      openListeners.delete(opened);
      if (timer.current) clearTimeout(timer.current);
    };
  }, []);
  useLiveEvents(types, (e) => {
    if (accept && !accept(e)) return;
    schedule();
  });
}

export function useLiveStatus(): Status {
  const [s, setS] = useState(status);
  useEffect(() => {
    statusListeners.add(setS);
    return () => {
      statusListeners.delete(setS);
    };
  }, []);
  return s;
}
