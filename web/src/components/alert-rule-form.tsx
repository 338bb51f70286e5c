/**
 * Adding or changing an alert rule: the fields of the rule schema (src/alerts/alert-rule.ts), with
 * the units people think in (a failure rate in %, durations in ms or s) turned into the API's.
 * The server checks the rule; its message is shown as it is. Changing a rule replaces it (PUT),
 * so its alert starts again from inactive. Webhooks keep their headers, timeout and attempts.
 */
import { useState } from 'preact/hooks';
import {
  createRule, METRIC_INFO, METRICS, OPS, replaceRule, WINDOWS, type AlertRule, type Metric, type NotifyTarget, type Op,
  type RuleView, type Window,
} from '../alerts-api';
import { ErrorBox } from './bits';
import './edit-form.css';

interface Fields {
  name: string;
  metric: Metric;
  function: string;
  window: Window;
  op: Op;
  threshold: string;
  forSeconds: string;
  log: boolean;
  webhooks: string;
}

/** The rule's threshold as typed: failure rates in percent, everything else as the API has it. */
const shownThreshold = (metric: Metric, t: number): string =>
  String(METRIC_INFO[metric].unit === 'ratio' ? Number((t * 100).toPrecision(12)) : t);

function fieldsOf(r: RuleView | undefined): Fields {
  if (r === undefined) {
    return { name: '', metric: 'queue_depth', function: '', window: '5m', op: '>', threshold: '', forSeconds: '60', log: true, webhooks: '' };
  }
  return {
    name: r.name, metric: r.metric, function: r.function ?? '', window: r.window, op: r.op,
    threshold: shownThreshold(r.metric, r.threshold), forSeconds: String(r.forSeconds),
    log: r.notify.some((n) => n.type === 'log'),
    webhooks: r.notify.flatMap((n) => (n.type === 'webhook' ? [n.url] : [])).join('\n'),
  };
}

/** Numbers stay text when they are not numbers, so the server says what is wrong with them. */
const num = (s: string): number | string | undefined => (s.trim() === '' ? undefined : Number.isFinite(Number(s)) ? Number(s) : s);

function ruleOf(f: Fields, old: RuleView | undefined): Partial<AlertRule> {
  const info = METRIC_INFO[f.metric];
  let threshold = num(f.threshold);
  if (info.unit === 'ratio' && typeof threshold === 'number') threshold = threshold / 100;
  const kept = new Map((old?.notify ?? []).flatMap((n) => (n.type === 'webhook' ? [[n.url, n] as const] : [])));
  const notify: NotifyTarget[] = f.log ? [{ type: 'log' }] : [];
  for (const url of f.webhooks.split('\n').map((u) => u.trim()).filter(Boolean)) notify.push(kept.get(url) ?? { type: 'webhook', url });
  return {
    name: f.name.trim(), metric: f.metric,
    ...(f.function.trim() !== '' && f.metric !== 'store_errors' ? { function: f.function.trim() } : {}),
    window: f.window, op: f.op,
    // Yes/no metrics may leave the condition out (it means "> 0").
    ...(threshold === undefined && info.unit === 'flag' ? {} : { threshold: threshold as number }),
    forSeconds: num(f.forSeconds) as number, notify,
  };
}

export function AlertRuleForm(props: { existing?: RuleView; onSaved: (r: RuleView) => void; onCancel: () => void }) {
  const { existing } = props;
  const [f, setF] = useState<Fields>(() => fieldsOf(existing));
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState<Error | null>(null);
  const info = METRIC_INFO[f.metric];
  const set = <K extends keyof Fields>(k: K) => (e: Event) => {
    const t = e.target as HTMLInputElement;
    setF((old) => ({ ...old, [k]: t.type === 'checkbox' ? t.checked : t.value }));
  };

  const submit = async (e: Event) => {
    e.preventDefault();
    setSaving(true);
    setError(null);
    try {
      const rule = ruleOf(f, existing);
      props.onSaved(existing ? await replaceRule(existing.name, rule) : await createRule(rule));
    } catch (err) {
      setError(err as Error);
    } finally {
      setSaving(false);
    }
  };

  const unit = info.unit === 'ratio' ? ' (%)' : info.unit === 'ms' ? ' (ms)' : info.unit === 'count' ? ' (jobs)' : '';
  return (
    <form class="panel edit-form" onSubmit={submit} data-testid="rule-form">
      <h2>{existing ? `Edit ${existing.name}` : 'New alert rule'}</h2>
      {existing ? null : (
        <label>
          Name
          <input name="name" value={f.name} onInput={set('name')} required placeholder="resize-backlog" />
          <span class="hint">letters, digits and _ . : -</span>
        </label>
      )}
      <label>
        Metric
        <select name="metric" value={f.metric} onChange={set('metric')}>
          {METRICS.map((m) => <option key={m} value={m}>{METRIC_INFO[m].label}</option>)}
        </select>
        <span class="hint">{info.hint}</span>
      </label>
      <label>
        Function
        <input name="function" value={f.metric === 'store_errors' ? '' : f.function} onInput={set('function')}
          disabled={f.metric === 'store_errors'} placeholder="all functions" />
        <span class="hint">{f.metric === 'store_errors' ? 'server-wide only' : 'empty: the server as a whole'}</span>
      </label>
      <label>
        Window
        <select name="window" value={f.window} onChange={set('window')} disabled={!info.windowed}>
          {WINDOWS.map((w) => <option key={w} value={w}>{w}</option>)}
        </select>
        <span class="hint">{info.windowed ? 'the stats window the value is read over' : 'not used: this metric is the state now'}</span>
      </label>
      <label>
        Condition
        <select name="op" value={f.op} onChange={set('op')}>
          {OPS.map((o) => <option key={o} value={o}>{o}</option>)}
        </select>
      </label>
      <label>
        Threshold{unit}
        <input name="threshold" type="number" step="any" value={f.threshold} onInput={set('threshold')} required={info.unit !== 'flag'}
          placeholder={info.unit === 'flag' ? '0 (fires when true)' : ''} />
      </label>
      <label>
        For (seconds)
        <input name="forSeconds" type="number" min="0" step="any" value={f.forSeconds} onInput={set('forSeconds')} required />
        <span class="hint">how long it must hold before firing; 0 fires at once</span>
      </label>
      <label class="check">
        <input name="log" type="checkbox" checked={f.log} onChange={set('log')} /> write to the server log
      </label>
      <label class="wide">
        Webhooks
        <textarea name="webhooks" value={f.webhooks} onInput={set('webhooks')} placeholder="https://hooks.example/alerts (one URL a line)" />
        <span class="hint">each gets a JSON POST when the alert fires and when it resolves (Slack-compatible text)</span>
      </label>
      <div class="form-buttons">
        <button type="submit" class="primary" disabled={saving}>{saving ? 'Saving…' : existing ? 'Save changes' : 'Add rule'}</button>
        <button type="button" onClick={props.onCancel}>Cancel</button>
        <ErrorBox error={error} />
      </div>
    </form>
  );
}
