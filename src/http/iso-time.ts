/** A time (ms since the epoch) as the API writes it: ISO-8601 in UTC; null (no time) stays null. */
export function isoTime(ms: number): string;
export function isoTime(ms: number | null): string | null;
export function isoTime(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}
