/** Small shared pieces: page header, state badges, error and loading boxes, confirm buttons. */
import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import { ApiFailure } from '../api';
import { setQuery } from '../router';

export function PageHeader(props: { title: ComponentChildren; children?: ComponentChildren }) {
  return (
    <header class="page-header">
      <h1>{props.title}</h1>
      <div class="page-actions">{props.children}</div>
    </header>
  );
}

export function StateBadge(props: { state: string }) {
  return <span class={`badge state-${props.state}`}>{props.state}</span>;
}

export function ErrorBox(props: { error: Error | null }) {
  if (!props.error) return null;
  const e = props.error;
  return (
    <div class="error-box" role="alert">
      {e instanceof ApiFailure ? <strong>{e.code}: </strong> : null}
      {e.message}
    </div>
  );
}

export function Loading() {
  return <div class="loading" aria-busy="true">Loading…</div>;
}

export function Stat(props: { label: string; value: ComponentChildren; hint?: string; tone?: 'bad' | 'warn' | 'good'; testId?: string }) {
  return (
    <div class={`stat ${props.tone ?? ''}`} title={props.hint} data-testid={props.testId}>
      <div class="stat-value">{props.value}</div>
      <div class="stat-label">{props.label}</div>
    </div>
  );
}

/**
 * A button that runs an async action, shows it is busy, and reports a failure next to itself.
 * With `confirm`, the first click asks and the second does it.
 */
export function ActionButton(props: { label: string; run: () => Promise<unknown>; confirm?: string; danger?: boolean; testId?: string; onDone?: () => void }) {
  const [busy, setBusy] = useState(false);
  const [asking, setAsking] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const click = async () => {
    if (props.confirm && !asking) {
      setAsking(true);
      return;
    }
    setAsking(false);
    setBusy(true);
    setError(null);
    try {
      await props.run();
      props.onDone?.();
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <span class="action">
      <button class={props.danger ? 'danger' : ''} disabled={busy} onClick={click} data-testid={props.testId}>
        {busy ? '…' : asking ? props.confirm : props.label}
      </button>
      {asking ? <button class="link" onClick={() => setAsking(false)}>keep</button> : null}
      {error ? <span class="action-error" role="alert">{error}</span> : null}
    </span>
  );
}

/** A filter box whose text lives in the URL's `q` (so a filtered view is a shareable link). */
export function QueryFilter(props: { value: string; placeholder: string; testId: string }) {
  return (
    <label>
      Filter
      <input type="search" placeholder={props.placeholder} value={props.value} data-testid={props.testId}
        onInput={(e) => setQuery({ q: (e.target as HTMLInputElement).value })} />
    </label>
  );
}
