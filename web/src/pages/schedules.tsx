/**
 * /schedules: every cron schedule with its next run and its last runs' outcomes (each run links
 * to its job); /schedules/:name: one schedule with its next runs and recent runs. With the full
 * token: add (/schedules?new=1), edit (/schedules/:name?edit=1), pause/resume and delete.
 * Schedules from the config file are read-only through the API except pause/resume; their edit
 * and delete buttons are not shown.
 */
import { useEffect } from 'preact/hooks';
import { useApi } from '../api';
import { ActionButton, ErrorBox, Loading, PageHeader, StateBadge } from '../components/bits';
import { ScheduleForm } from '../components/schedule-form';
import { Table, type Column } from '../components/table';
import { fmtAgo, fmtTime } from '../format';
import { useNow } from '../now';
import { navigate, setQuery, useRoute } from '../router';
import {
  changeSchedule, deleteSchedule, jobHref, scheduleHref, schedulePath, type Schedule, type ScheduleRun,
} from '../schedules-api';
import './schedules.css';

/** Polls slowly for outcomes, and reloads just after the next tick is due (at most once a second). */
function useFollowTicks(nextRuns: string[], reload: () => void): void {
  const next = nextRuns.map((t) => Date.parse(t)).filter(Number.isFinite).sort((a, b) => a - b)[0];
  useEffect(() => {
    if (next === undefined) return;
    const id = setTimeout(reload, Math.max(1000, next - Date.now() + 300));
    return () => clearTimeout(id);
  }, [next, reload]);
}

function ActiveBadge(props: { s: Schedule }) {
  return props.s.enabled ? <span class="badge state-enabled">active</span> : <StateBadge state="paused" />;
}

function SourceBadge(props: { s: Schedule }) {
  if (props.s.source !== 'config') return null;
  return <span class="badge" title="Defined in the config file: change it there. Pause and resume work here.">config file</span>;
}

/** A run's outcome: its job's state linking to the job, or why no job was made. */
function RunOutcome(props: { run: ScheduleRun }) {
  const { run } = props;
  if (run.error !== null) return <span class="bad-text" title="the job could not be submitted">refused: {run.error}</span>;
  if (run.handle === null) return <span class="muted">–</span>;
  return (
    <a href={jobHref(run.handle)} class="run-link" title={`job ${run.handle}`}>
      {run.state ? <StateBadge state={run.state} /> : <span class="badge" title="the server no longer has this job">gone</span>}
      <span class="mono">{run.handle}</span>
    </a>
  );
}

function NextRun(props: { s: Schedule; now: number }) {
  const { s, now } = props;
  if (!s.enabled) return <span class="muted">paused</span>;
  const at = s.nextRuns[0];
  if (at === undefined) return <span class="muted">no more runs</span>;
  return (
    <span title={at}>
      <strong>{fmtAgo(at, now)}</strong>
      <span class="muted sub">{fmtTime(at)}</span>
    </span>
  );
}

function LastRun(props: { s: Schedule; now: number }) {
  const { s, now } = props;
  const run = s.recentRuns?.[0];
  if (run === undefined) {
    return s.lastRunAt === null ? <span class="muted">never</span> : <span title={s.lastRunAt}>{fmtAgo(s.lastRunAt, now)}</span>;
  }
  return (
    <span class="last-run">
      <RunOutcome run={run} />
      <span class="muted sub" title={run.at}>{fmtAgo(run.at, now)}</span>
    </span>
  );
}

function PauseButton(props: { s: Schedule; onDone: () => void }) {
  const { s } = props;
  return (
    <ActionButton label={s.enabled ? 'Pause' : 'Resume'} testId={`${s.enabled ? 'pause' : 'resume'}-${s.name}`}
      run={() => changeSchedule(s.name, { enabled: !s.enabled })} onDone={props.onDone} />
  );
}

function DeleteButton(props: { s: Schedule; onDone: () => void }) {
  return (
    <ActionButton label="Delete" danger confirm={`Delete ${props.s.name}?`} testId={`delete-${props.s.name}`}
      run={() => deleteSchedule(props.s.name)} onDone={props.onDone} />
  );
}

export function SchedulesPage(props: { canAct: boolean }) {
  const route = useRoute();
  const { data, error, loading, reload } = useApi<{ schedules: Schedule[] }>('/api/v1/schedules', 5000);
  const now = useNow();
  const schedules = data?.schedules ?? [];
  useFollowTicks(schedules.flatMap((s) => s.nextRuns.slice(0, 1)), reload);
  const adding = props.canAct && route.query.get('new') !== null;

  const columns: Column<Schedule>[] = [
    {
      key: 'name', label: 'Name', value: (s) => s.name,
      render: (s) => (
        <span class="name-cell">
          <a href={scheduleHref(s.name)}>{s.name}</a> <SourceBadge s={s} />
          <code class="phone-only muted">{s.cron} {s.timezone === 'UTC' ? '' : s.timezone}</code>
        </span>
      ),
    },
    {
      key: 'cron', label: 'Cron', value: (s) => s.cron,
      render: (s) => <span><code class="cron">{s.cron}</code><span class="muted sub">{s.timezone}</span></span>,
    },
    { key: 'function', label: 'Function', value: (s) => s.function, render: (s) => <a href={`/functions/${encodeURIComponent(s.function)}`}>{s.function}</a> },
    { key: 'state', label: 'State', value: (s) => (s.enabled ? 0 : 1), render: (s) => <ActiveBadge s={s} /> },
    { key: 'next', label: 'Next run', value: (s) => (s.enabled ? s.nextRuns[0] ?? null : null), render: (s) => <NextRun s={s} now={now} /> },
    { key: 'last', label: 'Last run', value: (s) => s.recentRuns?.[0]?.at ?? s.lastRunAt, render: (s) => <LastRun s={s} now={now} /> },
  ];
  if (props.canAct) {
    columns.push({
      key: 'actions', label: '',
      render: (s) => (
        <span class="row-actions">
          <PauseButton s={s} onDone={reload} />
          {s.source === 'api' ? <a class="button-link" href={`${scheduleHref(s.name)}?edit=1`} data-testid={`edit-${s.name}`}>Edit</a> : null}
          {s.source === 'api' ? <DeleteButton s={s} onDone={reload} /> : null}
        </span>
      ),
    });
  }

  return (
    <section class="schedules-page">
      <PageHeader title="Schedules">
        {props.canAct && !adding ? <button class="primary" onClick={() => setQuery({ new: '1' }, { push: true })}>New schedule</button> : null}
      </PageHeader>
      {adding ? (
        <ScheduleForm
          onSaved={() => {
            setQuery({ new: undefined });
            reload();
          }}
          onCancel={() => setQuery({ new: undefined })}
        />
      ) : null}
      <ErrorBox error={error} />
      {loading && data === null ? <Loading /> : (
        <div class="schedules-list">
          <Table rows={schedules} columns={columns} rowKey={(s) => s.name} defaultSort="name" sortParam="sort" testId="schedules-table"
            empty={<>No schedules yet. {props.canAct ? 'Add one with “New schedule”, or' : 'Add one with'} <code>gearhq schedules add --name … --cron … --function …</code> or in the config file.</>} />
        </div>
      )}
    </section>
  );
}

export function SchedulePage(props: { name: string; canAct: boolean }) {
  const route = useRoute();
  const { data: s, error, loading, reload } = useApi<Schedule>(schedulePath(props.name), 5000);
  const now = useNow();
  useFollowTicks(s?.nextRuns.slice(0, 1) ?? [], reload);
  const editing = props.canAct && s !== null && s.source === 'api' && route.query.get('edit') !== null;

  if (s === null) {
    return (
      <section>
        <PageHeader title={props.name} />
        {loading ? <Loading /> : <ErrorBox error={error} />}
        <p><a href="/schedules">All schedules</a></p>
      </section>
    );
  }
  const runs = s.recentRuns ?? [];
  return (
    <section class="schedules-page">
      <PageHeader title={<>{s.name} <ActiveBadge s={s} /> <SourceBadge s={s} /></>}>
        {props.canAct ? <PauseButton s={s} onDone={reload} /> : null}
        {props.canAct && s.source === 'api' && !editing ? <button onClick={() => setQuery({ edit: '1' }, { push: true })}>Edit</button> : null}
        {props.canAct && s.source === 'api' ? <DeleteButton s={s} onDone={() => navigate('/schedules')} /> : null}
      </PageHeader>
      <ErrorBox error={error} />
      {s.source === 'config' ? (
        <p class="read-only-note">Defined in the server's config file: change it there. {props.canAct ? 'Pausing and resuming work here.' : ''}</p>
      ) : null}
      {editing ? (
        <ScheduleForm existing={s}
          onSaved={() => {
            setQuery({ edit: undefined });
            reload();
          }}
          onCancel={() => setQuery({ edit: undefined })} />
      ) : null}
      <div class="grid">
        <div class="panel">
          <dl class="facts">
            <dt>Cron</dt><dd><code>{s.cron}</code></dd>
            <dt>Time zone</dt><dd>{s.timezone}</dd>
            <dt>Function</dt><dd><a href={`/functions/${encodeURIComponent(s.function)}`}>{s.function}</a></dd>
            <dt>Priority</dt><dd>{s.priority}</dd>
            <dt>Unique</dt><dd>{s.unique === null ? <span class="muted">one job per run</span> : <code>{s.unique}</code>}</dd>
            <dt>After downtime</dt><dd>{s.missed === 'skip' ? 'skips missed runs' : 'runs once for missed runs'}</dd>
            <dt>Payload</dt><dd>{s.payload === '' ? <span class="muted">empty</span> : <pre>{s.payload}</pre>}</dd>
          </dl>
        </div>
        <div class="panel">
          <h2 class="panel-title">Next runs</h2>
          {!s.enabled ? <p class="muted">Paused: no runs until resumed.</p>
            : s.nextRuns.length === 0 ? <p class="muted">It never runs again.</p>
            : (
              <ol class="next-runs" data-testid="next-runs">
                {s.nextRuns.map((at) => <li key={at}><span title={at}>{fmtTime(at)}</span> <span class="muted">{fmtAgo(at, now)}</span></li>)}
              </ol>
            )}
        </div>
      </div>
      <h2>Recent runs</h2>
      <Table rows={runs} rowKey={(r) => r.at} testId="recent-runs"
        columns={[
          { key: 'at', label: 'Ran', render: (r) => <span title={r.at}>{fmtTime(r.at)} <span class="muted">{fmtAgo(r.at, now)}</span></span> },
          { key: 'outcome', label: 'Outcome and job', render: (r) => <RunOutcome run={r} /> },
        ]}
        empty={s.lastRunAt === null ? 'It has not run yet.' : `Last ran ${fmtAgo(s.lastRunAt, now)}; runs from before the server started are not kept.`} />
      <p><a href="/schedules">All schedules</a></p>
    </section>
  );
}
