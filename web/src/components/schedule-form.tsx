/**
 * Adding or changing a schedule. While typing, the form asks the server what the schedule would
 * be (`?dryRun=true`: the same checks as saving, nothing saved) and shows its next runs, or the
 * server's own message about what is wrong. Saving shows the server's error the same way.
 */
import { useEffect, useMemo, useState } from 'preact/hooks';
import { ApiFailure } from '../api';
import { fmtAgo, fmtTime } from '../format';
import { changeSchedule, createSchedule, type Missed, type Priority, type Schedule, type ScheduleDef } from '../schedules-api';
import { ErrorBox } from './bits';
import './edit-form.css';

const EXAMPLES: [string, string][] = [
  ['every minute', '* * * * *'],
  ['every 5 minutes', '*/5 * * * *'],
  ['hourly', '0 * * * *'],
  ['daily at 02:30', '30 2 * * *'],
  ['Mondays at 09:00', '0 9 * * 1'],
  ['every 10 seconds', '*/10 * * * * *'],
];

/** Zones the browser knows, for the time-zone field's suggestions. */
function knownZones(): string[] {
  const intl = Intl as unknown as { supportedValuesOf?: (k: string) => string[] };
  try {
    return ['UTC', ...(intl.supportedValuesOf?.('timeZone') ?? [])];
  } catch {
    return ['UTC'];
  }
}

interface Fields {
  name: string;
  cron: string;
  timezone: string;
  function: string;
  payload: string;
  unique: string;
  priority: Priority;
  missed: Missed;
  enabled: boolean;
}

function fieldsOf(s: Schedule | undefined): Fields {
  return {
    name: s?.name ?? '', cron: s?.cron ?? '', timezone: s?.timezone ?? 'UTC', function: s?.function ?? '',
    payload: s?.payload ?? '', unique: s?.unique ?? '', priority: s?.priority ?? 'normal', missed: s?.missed ?? 'skip',
    enabled: s?.enabled ?? true,
  };
}

function bodyOf(f: Fields): Partial<ScheduleDef> {
  return {
    name: f.name.trim(), cron: f.cron.trim(), timezone: f.timezone.trim() || 'UTC', function: f.function,
    payload: f.payload, unique: f.unique === '' ? null : f.unique, priority: f.priority, missed: f.missed, enabled: f.enabled,
  };
}

interface Preview {
  runs: string[] | null;
  error: string | null;
  checking: boolean;
}

/** The server's view of the schedule as typed, a moment after typing stops. */
function usePreview(f: Fields, existing: Schedule | undefined): Preview {
  const [p, setP] = useState<Preview>({ runs: null, error: null, checking: false });
  const key = JSON.stringify(f);
  useEffect(() => {
    if (f.cron.trim() === '') {
      setP({ runs: null, error: null, checking: false });
      return;
    }
    let live = true;
    setP((old) => ({ ...old, checking: true }));
    const timer = setTimeout(() => {
      const body = bodyOf(f);
      // The preview is about when it runs: a name or function not typed yet should not hide that.
      const ask = existing
        ? changeSchedule(existing.name, { ...body, name: undefined }, true)
        : createSchedule({ ...body, name: body.name || 'new-schedule', function: body.function || 'new-schedule' }, true);
      ask.then(
        (s) => live && setP({ runs: s.nextRuns, error: null, checking: false }),
        (e: Error) => live && setP({ runs: null, error: e instanceof ApiFailure ? e.message : String(e), checking: false }),
      );
    }, 350);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [key]);
  return p;
}

export function ScheduleForm(props: { existing?: Schedule; onSaved: (s: Schedule) => void; onCancel: () => void }) {
  const { existing } = props;
  const [f, setF] = useState<Fields>(() => fieldsOf(existing));
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState<Error | null>(null);
  const zones = useMemo(knownZones, []);
  const preview = usePreview(f, existing);
  const set = <K extends keyof Fields>(k: K) => (e: Event) => {
    const t = e.target as HTMLInputElement;
    setF((old) => ({ ...old, [k]: t.type === 'checkbox' ? t.checked : t.value }));
  };
  const localZone = Intl.DateTimeFormat().resolvedOptions().timeZone;

  const submit = async (e: Event) => {
    e.preventDefault();
    setSaving(true);
    setError(null);
    try {
      const body = bodyOf(f);
      props.onSaved(existing ? await changeSchedule(existing.name, { ...body, name: undefined }) : await createSchedule(body));
    } catch (err) {
      setError(err as Error);
    } finally {
      setSaving(false);
    }
  };

  return (
    <form class="panel edit-form" onSubmit={submit} data-testid="schedule-form">
      <h2>{existing ? `Edit ${existing.name}` : 'New schedule'}</h2>
      {existing ? null : (
        <label>
          Name
          <input value={f.name} name="name" onInput={set('name')} required placeholder="nightly-report" />
          <span class="hint">letters, digits and . _ : - (it cannot be renamed later)</span>
        </label>
      )}
      <label>
        Function
        <input value={f.function} name="function" onInput={set('function')} required placeholder="report" />
      </label>
      <label>
        Cron
        <input class="mono" value={f.cron} name="cron" onInput={set('cron')} required placeholder="30 2 * * *" spellcheck={false} />
        <span class="hint">minute hour day month weekday; 6 fields put seconds first</span>
      </label>
      <label>
        Time zone
        <input value={f.timezone} name="timezone" onInput={set('timezone')} list="schedule-zones" placeholder="UTC" />
        <datalist id="schedule-zones">{zones.map((z) => <option key={z} value={z} />)}</datalist>
        <span class="hint">the cron fields are read in it (yours: {localZone})</span>
      </label>
      <div class="wide chips" role="group" aria-label="Examples">
        {EXAMPLES.map(([label, cron]) => (
          <button type="button" key={cron} onClick={() => setF((old) => ({ ...old, cron }))}>{label}</button>
        ))}
      </div>
      <div class="preview" data-testid="schedule-preview" aria-live="polite">
        {preview.error ? <span class="field-error">{preview.error}</span>
          : preview.runs === null ? <span class="hint">{preview.checking ? 'checking…' : 'Type a cron expression to see its next runs.'}</span>
          : preview.runs.length === 0 ? <span class="hint">{f.enabled ? 'It never runs again.' : 'Paused: no runs until resumed.'}</span>
          : (
            <span class="hint">
              Next runs: {preview.runs.map((at, i) => (
                <span key={at}>{i > 0 ? ' · ' : ''}<span title={at}>{fmtTime(at)}</span> ({fmtAgo(at)})</span>
              ))}
            </span>
          )}
      </div>
      <label class="wide">
        Payload
        <textarea value={f.payload} name="payload" onInput={set('payload')} placeholder="sent as each job's payload (text)" />
      </label>
      <label>
        Priority
        <select value={f.priority} name="priority" onChange={set('priority')}>
          <option value="high">high</option>
          <option value="normal">normal</option>
          <option value="low">low</option>
        </select>
      </label>
      <label>
        After downtime
        <select value={f.missed} name="missed" onChange={set('missed')}>
          <option value="skip">skip missed runs</option>
          <option value="run-once">run once for them</option>
        </select>
      </label>
      <label>
        Unique
        <input value={f.unique} name="unique" onInput={set('unique')} placeholder="default: one job per run" />
      </label>
      <label class="check">
        <input type="checkbox" checked={f.enabled} name="enabled" onChange={set('enabled')} /> enabled (fires on schedule)
      </label>
      <div class="form-buttons">
        <button type="submit" class="primary" disabled={saving}>{saving ? 'Saving…' : existing ? 'Save changes' : 'Add schedule'}</button>
        <button type="button" onClick={props.onCancel}>Cancel</button>
        <ErrorBox error={error} />
      </div>
    </form>
  );
}
