/**
 * "Cancel all matching" / "Retry all matching" on the jobs page: POST /api/v1/jobs/bulk with the
 * page's filter, after a confirmation that spells the filter out, then the operation followed
 * (GET /api/v1/operations/{id}) until it ends. The server walks the matches; the page only watches.
 */
import { useEffect, useState } from 'preact/hooks';
import { api } from '../api';
import { fmtCount } from '../format';
import { describeFilter, type JobFilter } from '../jobs-api';

type Action = 'cancel' | 'retry';

interface Operation {
  id: string;
  action: Action;
  state: 'running' | 'done' | 'failed' | 'stopped';
  total: number | null;
  matched: number;
  done: number;
  skipped: number;
  errors: number;
  skippedJobs: { handle: string; reason: string }[];
  message: string | null;
}

/**
 * The states each action applies to (server: ACTION_STATES in src/http/bulk-operations.ts), and
 * those it takes when the filter names no state; used to word the confirmation and to offer only
 * the actions the API would accept for the filter's state.
 */
const APPLIES: Record<Action, { allowed: string[]; byDefault: string }> = {
  cancel: { allowed: ['running', 'queued', 'scheduled'], byDefault: 'running, queued and scheduled' },
  retry: { allowed: ['failed', 'abandoned', 'cancelled', 'completed'], byDefault: 'failed and abandoned' },
};
const NARROWING = ['function', 'unique', 'q', 'since', 'until'] as const;
const POLL_MS = 400;
const VERB: Record<Action, [string, string]> = { cancel: ['Cancel', 'cancelled'], retry: ['Retry', 'retried'] };

export function BulkActions(props: { filter: JobFilter; onFinished: () => void }) {
  const f = props.filter;
  const [asking, setAsking] = useState<Action | null>(null);
  const [op, setOp] = useState<Operation | null>(null);
  const [error, setError] = useState<string | null>(null);
  const running = op !== null && op.state === 'running';

  // Follow the operation until it ends, then let the list reload.
  useEffect(() => {
    if (!running) return;
    const id = setTimeout(() => {
      api<{ operation: Operation }>(`/api/v1/operations/${encodeURIComponent(op.id)}`).then((r) => {
        setOp(r.operation);
        if (r.operation.state !== 'running') props.onFinished();
      }, (e: Error) => setError(e.message));
    }, POLL_MS);
    return () => clearTimeout(id);
  }, [op, running]);

  const start = async (action: Action) => {
    setAsking(null);
    setError(null);
    // A filter that narrows nothing needs the explicit "all", which the confirmation asked for.
    const all = NARROWING.every((k) => !f[k]);
    try {
      const r = await api<{ operation: Operation }>('/api/v1/jobs/bulk', { method: 'POST', body: { action, filter: f, ...(all ? { all: true } : {}) } });
      setOp(r.operation);
      if (r.operation.state !== 'running') props.onFinished();
    } catch (e) {
      setError((e as Error).message);
    }
  };

  const offered = (['cancel', 'retry'] as Action[]).filter((a) => !f.state || APPLIES[a].allowed.includes(f.state));
  return (
    <div class="bulk-actions" data-testid="bulk-actions">
      {asking === null && !running
        ? offered.map((a) => (
            <button key={a} class={a === 'cancel' ? 'danger' : ''} onClick={() => setAsking(a)} data-testid={`bulk-${a}`}>
              {VERB[a][0]} all matching
            </button>
          ))
        : null}
      {asking !== null ? (
        <div class="panel bulk-confirm" role="alertdialog" aria-label="Confirm bulk action">
          <p>
            {VERB[asking][0]} every {f.state ?? APPLIES[asking].byDefault} job matching <strong data-testid="bulk-filter">{describeFilter(f)}</strong>?
            {' '}Jobs submitted after you confirm are not touched.
          </p>
          <button class={asking === 'cancel' ? 'danger' : 'primary'} onClick={() => void start(asking)} data-testid="bulk-confirm">
            Yes, {asking} them
          </button>{' '}
          <button onClick={() => setAsking(null)}>No, keep them</button>
        </div>
      ) : null}
      {op !== null ? <OperationProgress op={op} onClose={running ? undefined : () => setOp(null)} /> : null}
      {error ? <span class="action-error" role="alert">{error}</span> : null}
    </div>
  );
}

function OperationProgress(props: { op: Operation; onClose?: (() => void) | undefined }) {
  const { op } = props;
  const [verb, past] = VERB[op.action];
  const total = op.total;
  return (
    <div class="panel bulk-progress" data-testid="bulk-progress" data-state={op.state}>
      <div>
        <strong>{verb} all matching:</strong>{' '}
        {op.state === 'running'
          ? total === null ? 'counting the matching jobs…' : `${fmtCount(op.matched)} of ${fmtCount(total)} jobs reached`
          : op.state === 'done' ? 'done' : op.state}
      </div>
      {total !== null && total > 0 ? <progress max={total} value={op.matched} /> : null}
      <div data-testid="bulk-summary">
        {fmtCount(op.done)} {past}, {fmtCount(op.skipped)} skipped{op.errors ? `, ${fmtCount(op.errors)} errors` : ''}
        {op.state !== 'running' && total !== null ? ` (of ${fmtCount(total)} matching)` : ''}
      </div>
      {op.message ? <div class="action-error">{op.message}</div> : null}
      {op.skippedJobs.length > 0 ? (
        <details>
          <summary>why jobs were skipped</summary>
          <ul>{op.skippedJobs.map((s) => <li key={s.handle}><code>{s.handle}</code>: {s.reason}</li>)}</ul>
        </details>
      ) : null}
      {props.onClose ? <button class="link" onClick={props.onClose}>dismiss</button> : null}
    </div>
  );
}
