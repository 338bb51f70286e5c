/** Formatting shared by every page: times, durations, counts, rates, payloads. */

export function fmtCount(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '–';
  if (Math.abs(n) >= 1e6) return `${(n / 1e6).toFixed(n >= 1e7 ? 0 : 1)}M`;
  if (Math.abs(n) >= 1e4) return `${(n / 1e3).toFixed(n >= 1e5 ? 0 : 1)}k`;
  return String(Math.round(n * 100) / 100);
}

export function fmtRate(perSec: number | null | undefined): string {
  if (perSec === null || perSec === undefined || !Number.isFinite(perSec)) return '–';
  if (perSec === 0) return '0/s';
  if (perSec < 0.1) return `${(perSec * 60).toFixed(1)}/min`;
  return `${fmtCount(perSec < 10 ? Math.round(perSec * 10) / 10 : Math.round(perSec))}/s`;
}

export function fmtPercent(ratio: number | null | undefined): string {
  if (ratio === null || ratio === undefined || !Number.isFinite(ratio)) return '–';
  const p = ratio * 100;
  return `${p < 10 && p > 0 ? p.toFixed(1) : Math.round(p)}%`;
}

/** Milliseconds as a short human duration: 850 ms, 2.4 s, 3 min 10 s, 2 h 5 min, 3 d 4 h. */
export function fmtDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '–';
  const neg = ms < 0;
  ms = Math.abs(ms);
  let s: string;
  if (ms < 1) s = `${ms.toFixed(2)} ms`;
  else if (ms < 1000) s = `${Math.round(ms)} ms`;
  else if (ms < 60_000) s = `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;
  else if (ms < 3_600_000) s = `${Math.floor(ms / 60_000)} min ${Math.floor((ms % 60_000) / 1000)} s`;
  else if (ms < 86_400_000) s = `${Math.floor(ms / 3_600_000)} h ${Math.floor((ms % 3_600_000) / 60_000)} min`;
  else s = `${Math.floor(ms / 86_400_000)} d ${Math.floor((ms % 86_400_000) / 3_600_000)} h`;
  return neg ? `-${s}` : s;
}

/** An ISO time as local date-time (seconds precision). */
export function fmtTime(iso: string | null | undefined): string {
  if (!iso) return '–';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** "3 min ago" / "in 2 h" relative to now. */
export function fmtAgo(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return '–';
  const t = Date.parse(iso);
  if (!Number.isFinite(t)) return iso;
  const d = t - now;
  if (Math.abs(d) < 1000) return 'now';
  return d < 0 ? `${fmtDuration(-d)} ago` : `in ${fmtDuration(d)}`;
}

/** API payloads are `{size, text}` or `{size, base64}`, maybe `truncated`. */
export interface Bytes {
  size: number;
  text?: string;
  base64?: string;
  truncated?: boolean;
}

export function bytesPreview(b: Bytes | null | undefined, max = 120): string {
  if (!b) return '';
  const s = b.text ?? (b.base64 !== undefined ? `base64:${b.base64}` : '');
  return s.length > max ? `${s.slice(0, max)}…` : s;
}

export function fmtBytes(n: number | null | undefined): string {
  if (n === null || n === undefined) return '–';
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}
