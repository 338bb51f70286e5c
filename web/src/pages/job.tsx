/**
 * /jobs/:handle: one job from GET /api/v1/jobs/{handle} — its facts, payload and result or error,
 * progress, whole timeline — and, with the full token, cancel / retry / reschedule. The page
 * follows the job's live events (and polls while it runs, since progress reports are not events).
 */
import { useEffect, useState } from 'preact/hooks';
import { ApiFailure, api, useApi } from '../api';
import { ActionButton, ErrorBox, Loading, PageHeader, StateBadge } from '../components/bits';
import { BytesBlock } from '../components/bytes-block';
import { JobTimeline } from '../components/job-timeline';
import { localInputToIso } from '../components/job-filters';
import { fmtAgo, fmtCount, fmtDuration, fmtRate, fmtTime } from '../format';
import { ACTIVE_STATES, jobApiPath, type JobView, type StartForecast } from '../jobs-api';
import { useLiveReload } from '../live';
import './jobs.css';

/**
 * The page refetches its job when the job's function had activity (the server's once-a-second
 * summary): following every job event instead would send a busy server's whole traffic to the tab.
 */
const FOLLOWED = ['activity'];

/** While a job runs its progress changes without an event; this is how often the page looks. */
const RUNNING_POLL_MS = 2000;

export function JobPage(props: { handle: string; canAct: boolean }) {
  const { handle } = props;
  const job = useApi<JobView>(jobApiPath(handle));
  const running = job.data?.state === 'running';
  const fn = job.data?.function;
  useLiveReload(FOLLOWED, job.reload, 1000, (e) => fn !== undefined && fn in (e.data?.functions ?? {}));
  useIntervalWhile(running, RUNNING_POLL_MS, job.reload);

  if (job.error instanceof ApiFailure && job.error.status === 404) {
    return (
      <section>
        <PageHeader title={<span class="mono">{handle}</span>} />
        <div class="panel" data-testid="job-missing">
          <p>No job <code>{handle}</code> — it may have been pruned by retention.</p>
          <p><a href="/jobs">Back to the job search</a></p>
        </div>
      </section>
    );
  }
  if (job.data === null) {
    return (
      <section>
        <PageHeader title={<span class="mono">{handle}</span>} />
        <ErrorBox error={job.error} />
        {job.loading ? <Loading /> : null}
      </section>
    );
  }
  const j = job.data;
  const done = job.reload;
  return (
    <section>
      <PageHeader title={<span class="mono" data-testid="job-handle">{j.handle}</span>}>
        <StateBadge state={j.state} />
      </PageHeader>
      <ErrorBox error={job.error} />
      {props.canAct ? <JobActions job={j} onDone={done} /> : null}
      <div class="grid">
        <div class="panel">
          <JobFacts job={j} />
        </div>
        <div class="panel">
          <h2 style="margin-top:0">Timeline</h2>
          <JobTimeline events={j.events} />
        </div>
      </div>
      <BytesBlock title="Payload" bytes={j.payload} empty="no payload" testId="job-payload" />
      {j.error !== null || j.state === 'failed' || j.state === 'abandoned' ? (
        <BytesBlock title="Error" tone="bad" bytes={j.error} empty={j.outcome ? `the worker reported: ${j.outcome} (no message)` : 'no error message'} testId="job-error" />
      ) : null}
      {j.error === null ? (
        <BytesBlock title="Result" bytes={j.result} empty={j.state === 'completed' ? 'no result kept' : 'no result yet'} testId="job-result" />
      ) : null}
      {j.data !== null ? <BytesBlock title="Data sent by the worker" bytes={j.data} empty="none" testId="job-data" /> : null}
    </section>
  );
}

function useIntervalWhile(on: boolean, ms: number, fn: () => void): void {
  useEffect(() => {
    if (!on) return;
    const id = setInterval(() => {
      if (document.visibilityState === 'visible') fn();
    }, ms);
    return () => clearInterval(id);
  }, [on, ms, fn]);
}

function JobFacts(props: { job: JobView }) {
  const j = props.job;
  const now = Date.now();
  const started = j.startedAt ? Date.parse(j.startedAt) : null;
  const p = j.progress;
  return (
    <dl class="facts" data-testid="job-facts">
      <dt>Function</dt>
      <dd><a href={`/functions/${encodeURIComponent(j.function)}`}>{j.function}</a> · <a href={`/jobs?function=${encodeURIComponent(j.function)}`}>its jobs</a></dd>
      <dt>Unique</dt>
      <dd class="mono">{j.unique || <span class="muted">none</span>}</dd>
      <dt>Priority</dt>
      <dd>{j.priority}</dd>
      <dt>Kind</dt>
      <dd>{j.background ? 'background' : 'foreground (a client waits for the result)'}</dd>
      <dt>Submitted</dt>
      <dd>{fmtTime(j.submittedAt)} <span class="muted">({fmtAgo(j.submittedAt, now)}{j.submitter ? `, by ${j.submitter}` : ''})</span></dd>
      {j.dueAt ? (
        <>
          <dt>Due</dt>
          <dd>{fmtTime(j.dueAt)} <span class="muted">({fmtAgo(j.dueAt, now)})</span></dd>
        </>
      ) : null}
      {j.forecast ? (
        <>
          <dt>Start forecast</dt>
          <dd data-testid="job-forecast"><Forecast f={j.forecast} now={now} /></dd>
        </>
      ) : null}
      <dt>Started</dt>
      <dd>{j.startedAt ? <>{fmtTime(j.startedAt)} <span class="muted">(waited {fmtDuration(started! - Date.parse(j.submittedAt ?? j.startedAt))})</span></> : <span class="muted">not yet</span>}</dd>
      <dt>Finished</dt>
      <dd>
        {j.finishedAt
          ? <>{fmtTime(j.finishedAt)}{started !== null ? <span class="muted"> (ran {fmtDuration(Date.parse(j.finishedAt) - started)})</span> : null}</>
          : j.state === 'running' && started !== null ? <span class="muted">running for {fmtDuration(now - started)}</span> : <span class="muted">not yet</span>}
      </dd>
      <dt>Attempts</dt>
      <dd>{j.attempts}{j.retries ? <span class="muted"> ({j.retries} retries)</span> : null}</dd>
      <dt>Worker</dt>
      <dd class="mono">{j.worker ?? <span class="muted">none yet</span>}</dd>
      {p.denominator > 0 ? (
        <>
          <dt>Progress</dt>
          <dd class="job-progress" data-testid="job-progress">
            <progress max={p.denominator} value={Math.min(p.numerator, p.denominator)} />
            <span>{p.numerator} / {p.denominator} ({Math.round((100 * p.numerator) / p.denominator)}%)</span>
          </dd>
        </>
      ) : null}
      {j.warnings ? (
        <>
          <dt>Warnings</dt>
          <dd>{j.warnings}</dd>
        </>
      ) : null}
      {j.dataChunks ? (
        <>
          <dt>Data chunks</dt>
          <dd>{j.dataChunks} sent to the client</dd>
        </>
      ) : null}
      {j.outcome ? (
        <>
          <dt>Outcome</dt>
          <dd>{j.outcome}</dd>
        </>
      ) : null}
    </dl>
  );
}

const NO_START: Record<string, string> = {
  paused: 'its function is paused',
  'no-workers': 'no worker serves its function',
  'no-recent-finishes': 'no job of its function finished lately, so there is no rate to go by',
};

/** Where a queued job stands and, when its function is being served, when it should start. */
function Forecast(props: { f: StartForecast; now: number }) {
  const { f } = props;
  const place = f.position === 1 ? 'next in line' : `${fmtCount(f.position)}${f.exact ? '' : '+'} in line (${fmtCount(f.ahead)}${f.exact ? '' : ' or more'} ahead)`;
  const b = f.basis;
  let when: string;
  if (f.startsAt !== null) {
    const rate = b?.perSecond != null ? `at ${fmtRate(b.perSecond)} over the last ${Math.round(b.seconds)} s` : '';
    when = `should start ${fmtAgo(f.startsAt, props.now)} (${fmtTime(f.startsAt)})${rate ? `, ${rate}` : ''}`;
  } else {
    when = `no start time: ${(b?.reason && NO_START[b.reason]) ?? 'no service rate known yet'}`;
  }
  return <>{place}; {when}</>;
}

/** Cancel a job that has not finished, retry one that has, move a waiting one to another time. */
function JobActions(props: { job: JobView; onDone: () => void }) {
  const j = props.job;
  const path = jobApiPath(j.handle);
  const active = ACTIVE_STATES.includes(j.state);
  return (
    <div class="panel job-actions" data-testid="job-actions">
      {active ? (
        <ActionButton label="Cancel job" confirm="Really cancel?" danger testId="job-cancel" onDone={props.onDone}
          run={() => api(`${path}/cancel`, { method: 'POST' })} />
      ) : (
        <ActionButton label="Retry job" testId="job-retry" onDone={props.onDone} run={() => api(`${path}/retry`, { method: 'POST' })} />
      )}
      {active ? <RescheduleForm path={path} onDone={props.onDone} /> : null}
    </div>
  );
}

function RescheduleForm(props: { path: string; onDone: () => void }) {
  const [runAt, setRunAt] = useState('');
  const [minutes, setMinutes] = useState('5');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const send = async (body: { runAt: string } | { delayMs: number }) => {
    setBusy(true);
    setError(null);
    try {
      await api(`${props.path}/reschedule`, { method: 'POST', body });
      props.onDone();
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <form onSubmit={(e) => {
        e.preventDefault();
        const iso = localInputToIso(runAt);
        if (iso) void send({ runAt: iso });
        else setError('pick a date and time');
      }}>
        <label>
          Run at
          <input type="datetime-local" value={runAt} onInput={(e) => setRunAt((e.target as HTMLInputElement).value)} data-testid="reschedule-at" />
        </label>
        <button type="submit" disabled={busy} data-testid="reschedule-at-submit">Reschedule</button>
      </form>
      <form onSubmit={(e) => {
        e.preventDefault();
        const n = Number(minutes);
        if (Number.isFinite(n) && n >= 0) void send({ delayMs: Math.round(n * 60_000) });
        else setError('minutes must be a number ≥ 0');
      }}>
        <label>
          or in
          <input type="number" min="0" step="any" value={minutes} onInput={(e) => setMinutes((e.target as HTMLInputElement).value)} data-testid="reschedule-minutes" />
        </label>
        <button type="submit" disabled={busy} data-testid="reschedule-in-submit">minutes</button>
      </form>
      {error ? <span class="action-error" role="alert">{error}</span> : null}
    </>
  );
}
