/**
 * A function's retry policy: what applies and where it comes from; with the full token, a form
 * that sets the function's own policy (PUT …/policy) and a reset to the server default (DELETE).
 * The server checks the policy (the same parser as the config file) and its message is shown.
 */
import { useEffect, useState } from 'preact/hooks';
import { api } from '../api';
import { ActionButton } from '../components/bits';
import { fmtDuration } from '../format';
import type { FunctionView, RetryPolicy } from '../stats-data';

const OUTCOMES = ['fail', 'exception', 'timeout', 'lost'] as const;
const OUTCOME_HINTS: Record<string, string> = {
  fail: 'the worker sent WORK_FAIL',
  exception: 'the worker sent WORK_EXCEPTION',
  timeout: 'the attempt ran past its timeout',
  lost: 'the worker disconnected while running it',
};

/** Where a new policy starts: three attempts, and the back-off the server's parser defaults to. */
const DEFAULTS: RetryPolicy = {
  maxAttempts: 3, backoff: { initialMs: 1000, factor: 2, maxMs: 3_600_000, jitter: 0 },
  retryOn: [...OUTCOMES], foreground: false, timeoutMs: null,
};

function PolicyFacts(props: { policy: RetryPolicy }) {
  const p = props.policy;
  const b = p.backoff;
  return (
    <dl class="facts" data-testid="policy-facts">
      <dt>Attempts</dt><dd data-testid="policy-attempts">{p.maxAttempts === 1 ? '1 (never retried)' : `up to ${p.maxAttempts}`}</dd>
      <dt>Back-off</dt>
      <dd>{fmtDuration(b.initialMs)}, ×{b.factor} per attempt, at most {fmtDuration(b.maxMs)}{b.jitter > 0 ? `, ±${Math.round(b.jitter * 100)}% jitter` : ''}</dd>
      <dt>Retried on</dt><dd>{p.retryOn.length ? p.retryOn.join(', ') : 'nothing'}</dd>
      <dt>Attempt timeout</dt><dd>{p.timeoutMs === null ? 'none (unless the worker registered one)' : fmtDuration(p.timeoutMs)}</dd>
      <dt>Foreground jobs</dt><dd>{p.foreground ? 'retried too (their clients keep waiting)' : 'not retried'}</dd>
    </dl>
  );
}

interface FormState {
  maxAttempts: string;
  initialMs: string;
  factor: string;
  maxMs: string;
  jitter: string;
  timeoutMs: string;
  retryOn: string[];
  foreground: boolean;
}

function formFrom(p: RetryPolicy): FormState {
  return {
    maxAttempts: String(p.maxAttempts), initialMs: String(p.backoff.initialMs), factor: String(p.backoff.factor),
    maxMs: String(p.backoff.maxMs), jitter: String(p.backoff.jitter), timeoutMs: p.timeoutMs === null ? '' : String(p.timeoutMs),
    retryOn: [...p.retryOn], foreground: p.foreground,
  };
}

/** Numbers as typed; the server says what is out of range. An empty timeout means none. */
function bodyFrom(f: FormState) {
  return {
    maxAttempts: Number(f.maxAttempts),
    backoff: { initialMs: Number(f.initialMs), factor: Number(f.factor), maxMs: Number(f.maxMs), jitter: Number(f.jitter) },
    retryOn: f.retryOn,
    foreground: f.foreground,
    timeoutMs: f.timeoutMs.trim() === '' ? null : Number(f.timeoutMs),
  };
}

function PolicyForm(props: { name: string; start: RetryPolicy; onSaved: () => void; onCancel: () => void }) {
  const [f, setF] = useState<FormState>(() => formFrom(props.start));
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const field = (key: keyof FormState, label: string, hint: string, attrs: Record<string, string | number> = {}) => (
    <label title={hint}>
      {label}
      <input type="number" value={f[key] as string} data-testid={`policy-${key}`} {...attrs}
        onInput={(e) => setF({ ...f, [key]: (e.target as HTMLInputElement).value })} />
    </label>
  );
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await api(`/api/v1/functions/${encodeURIComponent(props.name)}/policy`, { method: 'PUT', body: bodyFrom(f) });
      props.onSaved();
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    // noValidate: the server's parser (shared with the config file) is the one judge of a policy,
    // and its message names the field; min/max stay as hints for the number inputs.
    <form class="policy-form" onSubmit={submit} noValidate data-testid="policy-form">
      <div class="filters">
        {field('maxAttempts', 'Attempts in all', 'the first attempt included; 1 = never retry', { min: 1, max: 10000, step: 1 })}
        {field('initialMs', 'First delay (ms)', 'before the second attempt', { min: 0 })}
        {field('factor', 'Factor', 'each delay is the previous one times this', { min: 1, max: 100, step: 'any' })}
        {field('maxMs', 'Longest delay (ms)', 'delays stop growing here', { min: 0 })}
        {field('jitter', 'Jitter (0–1)', 'spread each delay over ± this share of itself', { min: 0, max: 1, step: 'any' })}
        {field('timeoutMs', 'Attempt timeout (ms)', 'empty = none; a worker\'s own CAN_DO_TIMEOUT wins', { min: 1000, placeholder: 'none' })}
      </div>
      <fieldset class="checks">
        <legend>Retry when</legend>
        {OUTCOMES.map((o) => (
          <label key={o} class="check" title={OUTCOME_HINTS[o]}>
            <input type="checkbox" checked={f.retryOn.includes(o)} data-testid={`policy-retry-${o}`}
              onChange={(e) => setF({ ...f, retryOn: (e.target as HTMLInputElement).checked ? [...f.retryOn, o] : f.retryOn.filter((x) => x !== o) })} />
            {o}
          </label>
        ))}
        <label class="check" title="their clients keep waiting through the retries">
          <input type="checkbox" checked={f.foreground} onChange={(e) => setF({ ...f, foreground: (e.target as HTMLInputElement).checked })} />
          foreground jobs too
        </label>
      </fieldset>
      <div class="page-actions">
        <button type="submit" class="primary" disabled={busy} data-testid="policy-save">{busy ? 'Saving…' : 'Save policy'}</button>
        <button type="button" onClick={props.onCancel}>Cancel</button>
        {error ? <span class="action-error" role="alert" data-testid="policy-error">{error}</span> : null}
      </div>
    </form>
  );
}

export function PolicyPanel(props: { name: string; view: FunctionView | null; canAct: boolean; onChanged: () => void }) {
  const { view, canAct, name } = props;
  const [editing, setEditing] = useState(false);
  useEffect(() => setEditing(false), [name]);
  const own = view?.policy ?? null;
  const effective = view?.effectivePolicy ?? null;
  const source = own ? 'Its own policy.' : effective ? 'The server\'s default policy (no policy of its own).'
    : 'No retry policy: jobs end as gearmand ends them — a failure or exception ends the job, a lost worker or a timeout puts it back in the queue.';
  return (
    <section class="panel" data-testid="policy-panel">
      <header class="panel-head">
        <h2 class="panel-title">Retry policy</h2>
        {canAct && !editing ? (
          <div class="page-actions">
            <button onClick={() => setEditing(true)} data-testid="policy-edit">{own ? 'Edit' : 'Set a policy'}</button>
            {own ? (
              <ActionButton label="Reset to default" confirm="Remove its own policy?" testId="policy-reset"
                run={() => api(`/api/v1/functions/${encodeURIComponent(name)}/policy`, { method: 'DELETE' })} onDone={props.onChanged} />
            ) : null}
          </div>
        ) : null}
      </header>
      <p class="muted" data-testid="policy-source">{source}</p>
      {effective ? <PolicyFacts policy={effective} /> : null}
      {editing ? (
        <PolicyForm name={name} start={effective ?? DEFAULTS}
          onSaved={() => { setEditing(false); props.onChanged(); }} onCancel={() => setEditing(false)} />
      ) : null}
    </section>
  );
}
