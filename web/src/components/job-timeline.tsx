/**
 * A job's timeline (the `events` of GET /api/v1/jobs/{handle}) as a vertical list: what happened,
 * when, and how long passed between one step and the next.
 */
import { fmtDuration, fmtTime } from '../format';
import type { TimelineEvent } from '../jobs-api';

/** What each stored event type means to a reader; unknown types are shown as they come. */
const LABELS: Record<string, string> = {
  submitted: 'Submitted',
  schedule: 'Created by a schedule',
  started: 'Started',
  warning: 'Warning from the worker',
  requeued: 'Back in the queue',
  retrying: 'Retry scheduled',
  rescheduled: 'Rescheduled',
  cancelled: 'Cancelled',
  completed: 'Completed',
  failed: 'Failed',
  abandoned: 'Abandoned',
};
const TONE: Record<string, string> = {
  completed: 'tl-good', failed: 'tl-bad', abandoned: 'tl-bad', cancelled: 'tl-warn', warning: 'tl-warn', requeued: 'tl-warn', retrying: 'tl-warn',
};

/** Times with milliseconds: steps of one job are often closer together than a second. */
function fmtPrecise(iso: string | null): string {
  if (!iso) return '–';
  const ms = Date.parse(iso);
  if (!Number.isFinite(ms)) return iso;
  return `${fmtTime(iso)}.${String(new Date(ms).getMilliseconds()).padStart(3, '0')}`;
}

/** ISO times inside a detail ("due 2026-…Z") read as local times like the rest of the page. */
function localiseDetail(detail: string): string {
  return detail.replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z/g, (iso) => fmtTime(iso));
}

export function JobTimeline(props: { events: TimelineEvent[] }) {
  const { events } = props;
  if (events.length === 0) return <p class="muted">No history is kept for this job (the server runs without a store).</p>;
  const first = events[0]?.at ? Date.parse(events[0].at) : null;
  const last = events[events.length - 1]?.at ? Date.parse(events[events.length - 1]!.at!) : null;
  return (
    <>
      <ol class="timeline" data-testid="job-timeline">
        {events.map((e, i) => {
          const prev = i > 0 ? events[i - 1]!.at : null;
          const gap = prev && e.at ? Date.parse(e.at) - Date.parse(prev) : null;
          return (
            <li key={i} class={TONE[e.type] ?? ''} data-type={e.type}>
              <span class="tl-type">{LABELS[e.type] ?? e.type}</span>
              <span class="tl-at">{fmtPrecise(e.at)}</span>
              {gap !== null ? <span class="tl-gap" title="since the step before">+{fmtDuration(gap)}</span> : null}
              {e.detail ? <div class="tl-detail">{localiseDetail(e.detail)}</div> : null}
            </li>
          );
        })}
      </ol>
      {first !== null && last !== null && events.length > 1 ? (
        <p class="muted">{fmtDuration(last - first)} from the first step to the last.</p>
      ) : null}
    </>
  );
}
