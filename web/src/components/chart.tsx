/**
 * A uPlot time-series chart that fits its container's width and follows the colour scheme (it is
 * rebuilt when the system switches between light and dark). `x` is seconds since the epoch; each
 * series is one line.
 */
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { resolveColor, useColorScheme } from '../color-scheme';

export interface Series {
  label: string;
  values: (number | null)[];
  /** A colour, or a CSS custom property's name (`--c1`), read in the current scheme. */
  color: string;
  /** Formats values on the axis and in the legend. */
  fmt?: (v: number) => string;
}

/** Room for the longest y-axis label ("900 ms", "1 min 3 s"), which a fixed width cut off. */
function axisWidth(_u: uPlot, values: string[] | null): number {
  const longest = values?.reduce((n, v) => Math.max(n, String(v).length), 0) ?? 0;
  return Math.max(48, longest * 7 + 20);
}

export function Chart(props: { title: string; x: number[]; series: Series[]; height?: number; testId?: string }) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const shape = `${props.series.map((s) => s.label).join('|')}`;
  const scheme = useColorScheme();

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const fg = resolveColor('--muted');
    const grid = resolveColor('--grid', 'rgba(128,128,128,.2)');
    const fmt = props.series[0]?.fmt;
    const opts: uPlot.Options = {
      width: Math.max(200, el.clientWidth),
      height: props.height ?? 180,
      legend: { show: true },
      cursor: { drag: { x: false, y: false } },
      scales: { x: { time: true } },
      axes: [
        { stroke: fg, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid } },
        { stroke: fg, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid }, size: axisWidth, values: fmt ? (_u, vals) => vals.map((v) => fmt(v)) : undefined },
      ],
      series: [
        {},
        ...props.series.map((s) => ({ label: s.label, stroke: resolveColor(s.color), width: 1.5, points: { show: false }, value: s.fmt ? (_u: uPlot, v: number | null) => (v === null ? '–' : s.fmt!(v)) : undefined })),
      ],
    };
    const u = new uPlot(opts, [props.x, ...props.series.map((s) => s.values)] as uPlot.AlignedData, el);
    plot.current = u;
    const ro = new ResizeObserver(() => u.setSize({ width: Math.max(200, el.clientWidth), height: props.height ?? 180 }));
    ro.observe(el);
    return () => {
      ro.disconnect();
      u.destroy();
      plot.current = null;
    };
  }, [shape, props.height, scheme]);

  useEffect(() => {
    plot.current?.setData([props.x, ...props.series.map((s) => s.values)] as uPlot.AlignedData);
  }, [props.x, props.series]);

  return (
    <figure class="chart" data-testid={props.testId}>
      <figcaption>{props.title}</figcaption>
      <div ref={box} />
    </figure>
  );
}
