/**
 * Times for people: each instant in the user's local zone and in UTC, so a scheduled time can be
 * checked against a server log (UTC) and a wall clock (local) at once.
 */

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** The zone the process runs in (TZ or the system's), e.g. `Europe/Berlin`. */
export function localZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone ?? 'UTC';
}

const isUtcZone = (zone: string) => zone === 'UTC' || zone === 'Etc/UTC' || zone === 'Etc/GMT' || zone === 'GMT';

/** `2026-03-29 04:30:00 CEST`, in the local zone. */
export function localTime(d: Date, ms = false): string {
  const parts = Object.fromEntries(new Intl.DateTimeFormat('en-GB', {
    year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit',
    hourCycle: 'h23', timeZoneName: 'short',
  }).formatToParts(d).map((p) => [p.type, p.value]));
  const frac = ms ? `.${pad(d.getMilliseconds(), 3)}` : '';
  return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}:${parts.second}${frac} ${parts.timeZoneName}`;
}

/** `2026-03-29 02:30:00 UTC`. */
export function utcTime(d: Date, ms = false): string {
  const frac = ms ? `.${pad(d.getUTCMilliseconds(), 3)}` : '';
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} `
    + `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}${frac} UTC`;
}

/** Local and UTC: `2026-03-29 04:30:00 CEST (2026-03-29 02:30:00 UTC)`; once when the zone is UTC. */
export function bothTimes(iso: string | null, ms = false): string {
  if (iso === null) return '-';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  if (isUtcZone(localZone())) return utcTime(d, ms);
  return `${localTime(d, ms)} (${utcTime(d, ms)})`;
}

/** `in 5m`, `3h ago`, `now`: how far an instant is from `now`. */
export function relative(iso: string | null, now = Date.now()): string {
  if (iso === null) return '';
  const diff = Date.parse(iso) - now;
  const abs = Math.abs(diff);
  if (abs < 1000) return 'now';
  const units: [number, string][] = [[86400_000, 'd'], [3600_000, 'h'], [60_000, 'm'], [1000, 's']];
  const [size, unit] = units.find(([u]) => abs >= u)!;
  const n = Math.floor(abs / size);
  return diff > 0 ? `in ${n}${unit}` : `${n}${unit} ago`;
}

/**
 * Reads a time the user typed: ISO-8601 with or without a zone (without one it is local time, as
 * people mean it), `2026-12-01 09:00`, or a Unix time in seconds. Null when it is none of these.
 */
export function parseUserTime(text: string): Date | null {
  const t = text.trim();
  if (/^\d{9,11}$/.test(t)) return new Date(Number(t) * 1000);
  // Date.parse reads a date-only ISO string as UTC; people mean local midnight.
  const s = /^\d{4}-\d\d-\d\d$/.test(t) ? `${t}T00:00` : t;
  const ms = Date.parse(s.replace(/^(\d{4}-\d\d-\d\d) (\d)/, '$1T$2'));
  return Number.isFinite(ms) ? new Date(ms) : null;
}
