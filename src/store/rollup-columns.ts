/**
 * How a RollupRecord maps onto the flat `rollups` table both SQL drivers share: one column per
 * counter, per percentile and per gauge, in this order. Only names and values live here; each
 * driver writes its own SQL.
 */
import type { RollupPercentiles, RollupRecord } from './store.js';

const COUNTERS = ['submitted', 'completed', 'failed', 'exceptions', 'retried', 'cancelled'] as const;
const HISTOGRAMS = [['wait', 'wait'], ['runtime', 'runtime'], ['timeToCompletion', 'ttc']] as const;
const GAUGES = ['queued', 'running', 'workers'] as const;

export type RollupColumnKind = 'text' | 'int' | 'real';

/** Column names with their kinds, in table order. */
export const ROLLUP_COLUMNS: readonly { name: string; kind: RollupColumnKind }[] = [
  { name: 'fn', kind: 'text' },
  { name: 'at', kind: 'int' },
  ...COUNTERS.map((name) => ({ name, kind: 'int' as const })),
  ...HISTOGRAMS.flatMap(([, col]) => [
    { name: `${col}_p50`, kind: 'real' as const }, { name: `${col}_p95`, kind: 'real' as const },
    { name: `${col}_p99`, kind: 'real' as const }, { name: `${col}_count`, kind: 'int' as const },
  ]),
  ...GAUGES.map((name) => ({ name, kind: 'int' as const })),
];

/** A record's values in column order. */
export function rollupValues(r: RollupRecord): (string | number | null)[] {
  const out: (string | number | null)[] = [r.fn, r.at];
  for (const c of COUNTERS) out.push(r[c]);
  for (const [key] of HISTOGRAMS) {
    const p = r[key];
    out.push(p.p50, p.p95, p.p99, p.count);
  }
  for (const g of GAUGES) out.push(r[g]);
  return out;
}

/** A row (by column name) back into a record. */
export function rollupFromRow(row: Record<string, unknown>): RollupRecord {
  const num = (k: string): number => Number(row[k]);
  const opt = (k: string): number | null => (row[k] === null || row[k] === undefined ? null : Number(row[k]));
  const pct = (col: string): RollupPercentiles => ({
    p50: opt(`${col}_p50`), p95: opt(`${col}_p95`), p99: opt(`${col}_p99`), count: num(`${col}_count`),
  });
  return {
    fn: String(row.fn), at: num('at'),
    submitted: num('submitted'), completed: num('completed'), failed: num('failed'),
    exceptions: num('exceptions'), retried: num('retried'), cancelled: num('cancelled'),
    wait: pct('wait'), runtime: pct('runtime'), timeToCompletion: pct('ttc'),
    queued: num('queued'), running: num('running'), workers: num('workers'),
  };
}
