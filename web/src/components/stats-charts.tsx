/**
 * Live charts of throughput, queue depth and (for one function) runtime percentiles: the stored
 * minute roll-ups for the past, then a snapshot of the 1-minute window every few seconds while the
 * page is open, so the lines keep moving without a reload.
 */
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { api, withQuery } from '../api';
import { fmtCount, fmtDuration, fmtRate } from '../format';
import { fetchRollups, pointFromSnapshot, pointsFromRollups, type Rollup, type StatsPoint, type StatsSnapshot } from '../stats-data';
import { Chart } from './chart';

export const CHART_RANGES: Record<string, number> = { '1h': 3_600_000, '6h': 6 * 3_600_000, '24h': 24 * 3_600_000 };

/** How often the present is sampled, and how often newly written minutes are read. */
const SAMPLE_MS = 3000;
const HISTORY_REFRESH_MS = 60_000;
/**
 * Minutes are written about a second after they end; one that ended longer ago than this and has
 * no row had nothing in it (and is drawn as zero rather than left out).
 */
const WRITTEN_AFTER_MS = 90_000;
const SAMPLES_KEPT_S = 15 * 60;
const MIN_SPAN_S = 5 * 60;

/** Points for `fn` (null = all functions) over the last `rangeMs`: roll-ups, then live samples. */
export function useStatsSeries(fn: string | null, rangeMs: number): { points: StatsPoint[]; error: Error | null } {
  const [rows, setRows] = useState<Rollup[]>([]);
  const [samples, setSamples] = useState<StatsPoint[]>([]);
  // Apart, so that a working sampler does not hide a failing history read, nor the other way round.
  const [historyError, setHistoryError] = useState<Error | null>(null);
  const [sampleError, setSampleError] = useState<Error | null>(null);
  const [now, setNow] = useState(Date.now());
  const rowsRef = useRef<Rollup[]>([]);

  useEffect(() => {
    const ctl = new AbortController();
    rowsRef.current = [];
    setRows([]);
    setSamples([]);
    let newest = Date.now() - rangeMs;
    const load = async () => {
      try {
        // Re-read from the newest minute held: another node may still add rows to it.
        const fresh = await fetchRollups(fn, newest, ctl.signal);
        // Rows that slid out of the range go, so a page left open for days holds one range's worth.
        const oldest = Date.now() - rangeMs;
        const kept = rowsRef.current.filter((r) => { const at = Date.parse(r.at); return at >= oldest && at < newest; });
        rowsRef.current = [...kept, ...fresh];
        const last = rowsRef.current[rowsRef.current.length - 1];
        if (last) newest = Date.parse(last.at);
        setRows(rowsRef.current);
        setHistoryError(null);
      } catch (e) {
        if ((e as Error).name !== 'AbortError') setHistoryError(e as Error);
      }
    };
    void load();
    const id = setInterval(() => document.visibilityState === 'visible' && void load(), HISTORY_REFRESH_MS);
    return () => {
      ctl.abort();
      clearInterval(id);
    };
  }, [fn, rangeMs]);

  useEffect(() => {
    const ctl = new AbortController();
    const sample = async () => {
      if (document.visibilityState !== 'visible') return;
      try {
        const snap = await api<StatsSnapshot>(withQuery('/api/v1/stats', { window: '1m' }), { signal: ctl.signal });
        const p = pointFromSnapshot(snap, fn);
        setNow(Date.now());
        setSampleError(null);
        // Roll-ups take over from samples once their minute is written: a quarter of an hour is plenty.
        if (p) setSamples((s) => [...s.filter((x) => x.t > p.t - Math.min(rangeMs / 1000, SAMPLES_KEPT_S) && x.t < p.t), p]);
      } catch (e) {
        if ((e as Error).name !== 'AbortError') setSampleError(e as Error);
      }
    };
    void sample();
    const id = setInterval(() => void sample(), SAMPLE_MS);
    return () => {
      ctl.abort();
      clearInterval(id);
    };
  }, [fn, rangeMs]);

  const points = useMemo(() => {
    const past = pointsFromRollups(rows, now - WRITTEN_AFTER_MS);
    const joined = past.length > 0 ? past[past.length - 1]!.t : 0;
    const from = now / 1000 - rangeMs / 1000;
    return [...past.filter((p) => p.t >= from), ...samples.filter((p) => p.t > joined)];
  }, [rows, samples, now, rangeMs]);
  return { points, error: historyError ?? sampleError };
}

const fmtMs = (v: number) => fmtDuration(v);

/** Throughput and queue depth, plus runtime and time-to-completion percentiles when `latency`. */
export function StatsCharts(props: { points: StatsPoint[]; rangeMs: number; latency?: boolean; testIdPrefix?: string }) {
  const { points } = props;
  // A leading empty point fixes where the time axis starts: at the range chosen, or — when the
  // data do not reach back that far (a new server, a function first seen minutes ago) — at their
  // first point but at least five minutes back, so the line is long enough to see it move.
  const end = points.length > 0 ? points[points.length - 1]!.t : Date.now() / 1000;
  const first = points.length > 0 ? points[0]!.t : end;
  const start = Math.max(end - props.rangeMs / 1000, Math.min(first, end - MIN_SPAN_S));
  const shown = points.filter((p) => p.t >= start);
  const lead = shown.length > 0 && shown[0]!.t === start ? 0 : 1;
  const x = [...(lead ? [start] : []), ...shown.map((p) => p.t)];
  const col = (k: keyof StatsPoint) => [...(lead ? [null] : []), ...shown.map((p) => p[k] as number | null)];
  const c = (n: number) => `--c${n}`;
  const prefix = props.testIdPrefix ?? 'chart';
  const charts = [
    <Chart key="throughput" title="Throughput (jobs per second)" testId={`${prefix}-throughput`} x={x} series={[
      { label: 'submitted', values: col('submitted'), color: c(1), fmt: fmtRate },
      { label: 'completed', values: col('completed'), color: c(2), fmt: fmtRate },
      { label: 'failed', values: col('failed'), color: c(3), fmt: fmtRate },
    ]} />,
    <Chart key="depth" title="Queue depth" testId={`${prefix}-depth`} x={x} series={[
      { label: 'queued', values: col('queued'), color: c(1), fmt: fmtCount },
      { label: 'running', values: col('running'), color: c(5), fmt: fmtCount },
    ]} />,
  ];
  if (props.latency) {
    charts.push(
      <Chart key="runtime" title="Runtime" testId={`${prefix}-runtime`} x={x} series={[
        { label: 'p50', values: col('runtimeP50'), color: c(2), fmt: fmtMs },
        { label: 'p95', values: col('runtimeP95'), color: c(4), fmt: fmtMs },
      ]} />,
      <Chart key="ttc" title="Time to completion" testId={`${prefix}-ttc`} x={x} series={[
        { label: 'p50', values: col('ttcP50'), color: c(1), fmt: fmtMs },
        { label: 'p95', values: col('ttcP95'), color: c(3), fmt: fmtMs },
      ]} />,
    );
  }
  return <div class="grid charts">{charts}</div>;
}
