/**
 * The live event feed behind GET /api/v1/events: engine events (job state changes, workers
 * joining and leaving), alert changes and bulk operations' progress (one event per page),
 * serialised once as server-sent events and fanned out to subscribers, each with its own filter.
 *
 * Memory is bounded per subscriber. Events are written straight to the socket while it accepts
 * them; once `write()` reports backpressure they wait in a small queue that is written on 'drain'.
 * A subscriber whose queue passes `maxBufferedEvents` or `maxBufferedBytes` is sent
 * `event: overflow` and disconnected (it may reconnect and catch up from the API), so a slow or
 * stalled reader can never make the server hold more than that for it.
 *
 * The feed listens to the engine only while someone is subscribed: with no subscribers it costs
 * nothing on the hot path.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AlertEvaluator, AlertStatus } from '../alerts/alert-evaluator.js';
import type { AlertTransition } from '../alerts/notifiers.js';
import type { Engine } from '../engine/engine.js';
import { PRIORITY_NAMES, type Job } from '../engine/job.js';
import type { Session } from '../engine/session.js';
import { operationFunction, operationView, type BulkOperations } from './bulk-operations.js';
import { wireText } from '../protocol/wire-text.js';
import { isoTime } from './iso-time.js';

export interface LiveEventsOptions {
  /** A comment line keeps proxies and clients from timing the stream out. */
  heartbeatMs: number;
  maxBufferedEvents: number;
  maxBufferedBytes: number;
  /** After `overflow`, how long the socket may take to flush before it is destroyed. */
  closeGraceMs: number;
  /** How often the `activity` summary goes out (when there was any). */
  activityMs: number;
}

export const DEFAULT_LIVE_EVENTS: LiveEventsOptions = {
  heartbeatMs: 15_000, maxBufferedEvents: 2000, maxBufferedBytes: 1024 * 1024, closeGraceMs: 2000, activityMs: 1000,
};

export const EVENT_TYPES = [
  'job.submitted', 'job.due', 'job.started', 'job.completed', 'job.failed', 'job.retrying', 'job.rescheduled',
  'job.cancelled', 'job.abandoned', 'job.requeued', 'worker.joined', 'worker.changed', 'worker.left',
  'alert.pending', 'alert.firing', 'alert.resolved', 'alert.inactive',
  'operation.started', 'operation.progress', 'operation.finished',
  // A once-a-second summary of which functions had job or worker events: what a page that only
  // needs to know "something changed, refetch" follows, instead of every job event of a busy server.
  'activity',
] as const;
/** Families that select every type under them in `?types=`. */
export const EVENT_FAMILIES = ['job', 'worker', 'alert', 'operation'] as const;

export interface EventFilter {
  /** Function names as people read them; null = every function. */
  functions: Set<string> | null;
  /** Exact types; null = every type. */
  types: Set<string> | null;
}

interface Subscriber {
  res: ServerResponse;
  filter: EventFilter;
  blocked: boolean;
  queue: string[];
  queuedBytes: number;
  closed: boolean;
}

export class LiveEvents {
  private readonly subscribers = new Set<Subscriber>();
  private unsubscribe: (() => void)[] = [];
  private heartbeat: ReturnType<typeof setInterval> | null = null;
  private activityTimer: ReturnType<typeof setInterval> | null = null;
  /** Per function (as people read it; '' = not about one function) since the last summary. */
  private activity = new Map<string, { events: number; submitted: number }>();
  private nextId = 1;
  /** Function names as people read them, by wire name: converted once, not on every event. */
  private readonly names = new Map<string, string>();

  constructor(
    private readonly engine: Engine,
    private readonly alerts: AlertEvaluator | null,
    private readonly options: LiveEventsOptions = DEFAULT_LIVE_EVENTS,
    private readonly operations: BulkOperations | null = null,
  ) {}

  /** Starts streaming to `res` (headers already sent) until either side closes. */
  subscribe(req: IncomingMessage, res: ServerResponse, filter: EventFilter): void {
    const sub: Subscriber = { res, filter, blocked: false, queue: [], queuedBytes: 0, closed: false };
    if (this.subscribers.size === 0) this.listen();
    this.subscribers.add(sub);
    const gone = () => this.drop(sub);
    req.once('close', gone);
    res.once('close', gone);
    res.on('drain', () => this.flush(sub));
    res.on('error', gone);
    // The retry hint tells EventSource how soon to reconnect after an overflow or a restart.
    this.write(sub, 'retry: 2000\n: connected\n\n');
  }

  /** Ends every stream (the server is closing). */
  closeAll(): void {
    for (const sub of [...this.subscribers]) {
      this.drop(sub);
      sub.res.end();
      sub.res.destroy();
    }
  }

  private listen(): void {
    const ev = this.engine.events;
    // `extra` is a function too: with no subscriber taking job events (the dashboard follows only
    // `activity`), an event costs a count and builds nothing.
    const job = (type: string, j: Job, extra?: () => Record<string, unknown>) => {
      const fn = this.textOf(j.fn.name);
      this.publish(type, fn, () => ({
        type, at: isoTime(this.engine.clock.now()), handle: j.handle, function: fn, state: j.state, ...extra?.(),
      }));
    };
    const worker = (type: string, s: Session, functions: boolean) => {
      this.publish(type, null, () => ({
        type, at: isoTime(this.engine.clock.now()), worker: s.id, clientId: wireText(s.clientId), address: s.address,
        ...(functions ? { functions: s.abilities.map((a) => wireText(a.fn.name)) } : {}),
      }));
    };
    this.unsubscribe = [
      ev.on('job.submitted', (j) => job('job.submitted', j, () => ({
        priority: PRIORITY_NAMES[j.priority], background: j.background, ...(j.dueAt > 0 ? { runAt: isoTime(j.dueAt) } : {}),
      }))),
      ev.on('job.due', (j) => job('job.due', j)),
      ev.on('job.assigned', (j, w) => job('job.started', j, () => ({ worker: w.id, attempt: j.attempts }))),
      ev.on('job.completed', (j) => job('job.completed', j)),
      ev.on('job.failed', (j, reason) => job('job.failed', j, () => ({ reason }))),
      ev.on('job.retrying', (j, outcome, at) => job('job.retrying', j, () => ({ outcome, runAt: isoTime(at) }))),
      ev.on('job.rescheduled', (j, at) => job('job.rescheduled', j, () => ({ runAt: isoTime(at) }))),
      ev.on('job.cancelled', (j) => job('job.cancelled', j)),
      ev.on('job.abandoned', (j) => job('job.abandoned', j)),
      ev.on('job.requeued', (j, reason) => job('job.requeued', j, () => ({ reason }))),
      ev.on('worker.connected', (s) => worker('worker.joined', s, true)),
      ev.on('worker.abilities', (s) => worker('worker.changed', s, true)),
      ev.on('worker.disconnected', (s) => worker('worker.left', s, false)),
    ];
    if (this.alerts !== null) {
      this.unsubscribe.push(this.alerts.onChange((a: AlertStatus, t: AlertTransition) => {
        const type = `alert.${t.to}`;
        this.publish(type, a.rule.function ?? null, () => ({
          type, at: isoTime(t.at), rule: a.rule.name, metric: a.rule.metric, function: a.rule.function ?? null,
          state: t.to, previousState: t.from, value: t.value, op: a.rule.op, threshold: a.rule.threshold,
        }));
      }));
    }
    if (this.operations !== null) {
      this.unsubscribe.push(this.operations.onChange((op, type) => {
        this.publish(type, operationFunction(op), () => ({ type, at: isoTime(this.engine.clock.now()), operation: operationView(op) }));
      }));
    }
    this.heartbeat = setInterval(() => {
      for (const sub of this.subscribers) this.write(sub, ': heartbeat\n\n');
    }, this.options.heartbeatMs);
    this.heartbeat.unref();
    this.activityTimer = setInterval(() => this.summarize(), this.options.activityMs);
    this.activityTimer.unref();
  }

  /** Sends the `activity` summary of the last period, if anything happened in it. */
  private summarize(): void {
    if (this.activity.size === 0) return;
    const counts = this.activity;
    this.activity = new Map();
    const functions: Record<string, { events: number; submitted: number }> = {};
    let other = 0;
    for (const [fn, c] of counts) {
      if (fn === '') other += c.events;
      else functions[fn] = c;
    }
    this.publish('activity', null, () => ({ type: 'activity', at: isoTime(this.engine.clock.now()), functions, other }));
  }

  private unlisten(): void {
    for (const off of this.unsubscribe) off();
    this.unsubscribe = [];
    if (this.heartbeat !== null) clearInterval(this.heartbeat);
    this.heartbeat = null;
    if (this.activityTimer !== null) clearInterval(this.activityTimer);
    this.activityTimer = null;
    this.activity.clear();
    this.names.clear();
  }

  private textOf(wire: string): string {
    let text = this.names.get(wire);
    if (text === undefined) this.names.set(wire, (text = wireText(wire)));
    return text;
  }

  /**
   * Sends one event to the subscribers whose filter takes it. `fn` null = not about one function
   * (workers, server-wide alerts): passes every function filter. The JSON is built only if
   * someone wants the event, and once for all of them.
   */
  private publish(type: string, fn: string | null, data: () => object): void {
    if (type.startsWith('job.') || type.startsWith('worker.')) {
      const key = fn ?? '';
      let c = this.activity.get(key);
      if (c === undefined) this.activity.set(key, (c = { events: 0, submitted: 0 }));
      c.events++;
      if (type === 'job.submitted') c.submitted++;
    }
    let text: string | null = null;
    for (const sub of this.subscribers) {
      const f = sub.filter;
      if (f.types !== null && !f.types.has(type)) continue;
      if (f.functions !== null && fn !== null && !f.functions.has(fn)) continue;
      text ??= `id: ${this.nextId++}\nevent: ${type}\ndata: ${JSON.stringify(data())}\n\n`;
      this.write(sub, text);
    }
  }

  private write(sub: Subscriber, text: string): void {
    if (sub.closed) return;
    if (!sub.blocked) {
      if (!sub.res.write(text)) sub.blocked = true;
      return;
    }
    sub.queue.push(text);
    sub.queuedBytes += text.length;
    if (sub.queue.length > this.options.maxBufferedEvents || sub.queuedBytes > this.options.maxBufferedBytes) {
      this.overflow(sub);
    }
  }

  private flush(sub: Subscriber): void {
    if (sub.closed) return;
    sub.blocked = false;
    if (sub.queue.length === 0) return;
    const text = sub.queue.join('');
    sub.queue = [];
    sub.queuedBytes = 0;
    if (!sub.res.write(text)) sub.blocked = true;
  }

  private overflow(sub: Subscriber): void {
    const dropped = sub.queue.length;
    // The response detaches from its socket once ended, with what it wrote still in the socket.
    const socket = sub.res.socket;
    this.drop(sub);
    const data = JSON.stringify({
      type: 'overflow', at: isoTime(this.engine.clock.now()), dropped,
      message: 'this client fell too far behind; reconnect and read current state from the API',
    });
    sub.res.end(`event: overflow\ndata: ${data}\n\n`);
    // The stream was sent with `connection: close`, so the socket closes once the kernel has
    // taken the rest; a reader that never reads again would leave it in our buffers for ever.
    if (socket === null || socket.destroyed) return;
    const timer = setTimeout(() => socket.destroy(), this.options.closeGraceMs);
    timer.unref();
    socket.once('close', () => clearTimeout(timer));

  }

  private drop(sub: Subscriber): void {
    if (sub.closed) return;
    sub.closed = true;
    sub.queue = [];
    sub.queuedBytes = 0;
    this.subscribers.delete(sub);
    if (this.subscribers.size === 0) this.unlisten();
  }
}

/** `?function=` (repeatable) and `?types=` (comma-separated, repeatable; types or families). */
export function parseEventFilter(query: Record<string, unknown>): EventFilter | string {
  const list = (v: unknown): string[] => (v === undefined ? [] : Array.isArray(v) ? v.map(String) : [String(v)]);
  const fns = list(query.function).filter((f) => f.length > 0);
  const wanted = list(query.types).flatMap((t) => t.split(',')).map((t) => t.trim()).filter((t) => t.length > 0);
  let types: Set<string> | null = null;
  if (wanted.length > 0) {
    types = new Set();
    for (const t of wanted) {
      if ((EVENT_FAMILIES as readonly string[]).includes(t)) {
        for (const e of EVENT_TYPES) if (e.startsWith(`${t}.`)) types.add(e);
      } else if ((EVENT_TYPES as readonly string[]).includes(t)) {
        types.add(t);
      } else {
        return `unknown event type ${JSON.stringify(t)}: expected ${EVENT_FAMILIES.join(', ')} or one of ${EVENT_TYPES.join(', ')}`;
      }
    }
  }
  return { functions: fns.length > 0 ? new Set(fns) : null, types };
}
