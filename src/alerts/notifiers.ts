/**
 * Telling people about alerts: the log, and webhooks (a JSON POST carrying the alert and a
 * Slack-compatible `text`). Deliveries never block the event loop or the evaluator: each webhook
 * URL has its own bounded queue, sent in order one at a time (a resolve never overtakes its fire),
 * retried with exponential back-off on network errors, timeouts, 429 and 5xx.
 */
import type { Logger } from 'pino';
import type { AlertRule, WebhookTarget } from './alert-rule.js';

export type AlertState = 'inactive' | 'pending' | 'firing' | 'resolved';

/** One change of an alert's state. */
export interface AlertTransition {
  rule: string;
  from: AlertState;
  to: AlertState;
  /** ms since the epoch. */
  at: number;
  /** The metric's value that caused the change; null when there was no data. */
  value: number | null;
}

/** The JSON a webhook receives. */
export interface WebhookBody {
  text: string;
  status: 'firing' | 'resolved';
  alert: {
    rule: string;
    state: AlertState;
    previousState: AlertState;
    metric: string;
    function: string | null;
    window: string;
    op: string;
    threshold: number;
    forSeconds: number;
    value: number | null;
    at: string;
  };
}

export function describeValue(metric: string, value: number | null): string {
  if (value === null) return 'no data';
  if (metric === 'failure_rate') return `${(value * 100).toFixed(1)}%`;
  if (metric === 'no_workers' || metric === 'store_errors') return value > 0 ? 'yes' : 'no';
  return Number.isInteger(value) ? String(value) : value.toFixed(1);
}

export function webhookBody(rule: AlertRule, t: AlertTransition): WebhookBody {
  const status = t.to === 'firing' ? 'firing' : 'resolved';
  const subject = rule.function === undefined ? 'the server' : JSON.stringify(rule.function);
  const threshold = rule.metric === 'failure_rate' ? describeValue(rule.metric, rule.threshold) : String(rule.threshold);
  const text = status === 'firing'
    ? `[FIRING] gearhq alert ${rule.name}: ${rule.metric} of ${subject} is ${describeValue(rule.metric, t.value)} `
      + `(${rule.op} ${threshold} for ${rule.forSeconds}s)`
    : `[RESOLVED] gearhq alert ${rule.name}: ${rule.metric} of ${subject} is ${describeValue(rule.metric, t.value)}`;
  return {
    text,
    status,
    alert: {
      rule: rule.name, state: t.to, previousState: t.from, metric: rule.metric,
      function: rule.function ?? null, window: rule.window, op: rule.op, threshold: rule.threshold,
      forSeconds: rule.forSeconds, value: t.value, at: new Date(t.at).toISOString(),
    },
  };
}

export interface WebhookOptions {
  /** Wait before the first retry; doubled each time up to `maxBackoffMs`. */
  initialBackoffMs: number;
  maxBackoffMs: number;
  /** Deliveries waiting per URL; beyond it the oldest is dropped (and counted). */
  maxQueued: number;
}

interface Delivery {
  target: WebhookTarget;
  body: string;
  rule: string;
  attempt: number;
}

interface UrlQueue {
  items: Delivery[];
  busy: boolean;
}

export interface NotifierStats {
  sent: number;
  failed: number;
  retried: number;
  dropped: number;
  queued: number;
  logged: number;
}

/** Sends an alert's transitions to its rule's targets. */
export class AlertNotifier {
  private readonly queues = new Map<string, UrlQueue>();
  private readonly timers = new Set<ReturnType<typeof setTimeout>>();
  private readonly inFlight = new Set<AbortController>();
  private stopped = false;
  private readonly counts = { sent: 0, failed: 0, retried: 0, dropped: 0, logged: 0 };

  constructor(
    private readonly log: Logger,
    private readonly options: WebhookOptions = { initialBackoffMs: 1000, maxBackoffMs: 60_000, maxQueued: 100 },
  ) {}

  notify(rule: AlertRule, t: AlertTransition): void {
    if (this.stopped || (t.to !== 'firing' && t.to !== 'resolved')) return;
    const body = webhookBody(rule, t);
    for (const target of rule.notify) {
      if (target.type === 'log') {
        this.counts.logged++;
        const fields = { alert: body.alert };
        if (t.to === 'firing') this.log.warn(fields, body.text);
        else this.log.info(fields, body.text);
        continue;
      }
      let q = this.queues.get(target.url);
      if (q === undefined) this.queues.set(target.url, (q = { items: [], busy: false }));
      if (q.items.length >= this.options.maxQueued) {
        const lost = q.items.shift()!;
        this.counts.dropped++;
        this.log.warn({ url: target.url, rule: lost.rule }, 'alert webhook queue full; dropped the oldest notification');
      }
      q.items.push({ target, body: JSON.stringify(body), rule: rule.name, attempt: 0 });
      this.pump(target.url, q);
    }
  }

  stats(): NotifierStats {
    let queued = 0;
    for (const q of this.queues.values()) queued += q.items.length;
    return { ...this.counts, queued };
  }

  /** Drops what waits and aborts what is being sent. Idempotent. */
  stop(): void {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    for (const c of this.inFlight) c.abort();
    this.queues.clear();
  }

  private pump(url: string, q: UrlQueue): void {
    if (q.busy || this.stopped) return;
    const d = q.items[0];
    if (d === undefined) {
      this.queues.delete(url);
      return;
    }
    q.busy = true;
    void this.attempt(d).then((outcome) => {
      if (this.stopped) return;
      if (outcome === 'retry' && d.attempt < d.target.maxAttempts) {
        this.counts.retried++;
        const delay = Math.min(this.options.maxBackoffMs, this.options.initialBackoffMs * 2 ** (d.attempt - 1));
        const timer = setTimeout(() => {
          this.timers.delete(timer);
          q.busy = false;
          this.pump(url, q);
        }, delay);
        timer.unref();
        this.timers.add(timer);
        return;
      }
      if (outcome === 'sent') this.counts.sent++;
      else {
        this.counts.failed++;
        this.log.error({ url, rule: d.rule, attempts: d.attempt }, 'alert webhook: giving up on a notification');
      }
      if (q.items[0] === d) q.items.shift();
      q.busy = false;
      this.pump(url, q);
    });
  }

  private async attempt(d: Delivery): Promise<'sent' | 'retry' | 'give-up'> {
    d.attempt++;
    const abort = new AbortController();
    this.inFlight.add(abort);
    const timer = setTimeout(() => abort.abort(new Error(`timed out after ${d.target.timeoutMs} ms`)), d.target.timeoutMs);
    timer.unref();
    const where = { url: d.target.url, rule: d.rule, attempt: d.attempt, of: d.target.maxAttempts };
    try {
      const res = await fetch(d.target.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': 'gearhq-alerts', ...d.target.headers },
        body: d.body,
        signal: abort.signal,
      });
      // The body is not used; reading it frees the connection for reuse.
      await res.arrayBuffer().catch(() => undefined);
      if (res.ok) return 'sent';
      const retry = res.status === 429 || res.status >= 500;
      this.log.warn({ ...where, status: res.status }, retry ? 'alert webhook failed; will retry' : 'alert webhook refused the notification');
      return retry ? 'retry' : 'give-up';
    } catch (e) {
      if (this.stopped) return 'give-up';
      const err = abort.signal.aborted ? (abort.signal.reason as Error) : (e as Error);
      this.log.warn({ ...where, err: err.message }, 'alert webhook unreachable; will retry');
      return 'retry';
    } finally {
      clearTimeout(timer);
      this.inFlight.delete(abort);
    }
  }
}
