/**
 * Per-function counters and histograms for the metrics every job touches, kept as plain numbers
 * on the hot path and handed to prom-client only when /metrics is scraped.
 *
 * prom-client's labelled metrics hash the label set on every call, even through a cached child:
 * measured here, ~0.11 µs per `inc()` and 0.4–0.6 µs per `observe()`, so about 2 µs for the five
 * updates of one completed job — several per cent of the server's CPU at tens of thousands of
 * jobs a second. A cell per function updated with arithmetic costs a few nanoseconds. prom-client
 * still owns the registry and the exposition format: counters fill themselves in from the cells
 * in their `collect()` hook; histograms are registered as metric objects whose `get()` returns
 * the same values prom-client's own Histogram would (cumulative `_bucket`s with `le`, `_sum`,
 * `_count`).
 */
import client from 'prom-client';
import { wireText } from '../protocol/wire-text.js';

export interface CounterCell {
  value: number;
}

export class FunctionCounter {
  private readonly cells = new Map<string, CounterCell>();

  constructor(registry: client.Registry, name: string, help: string) {
    const cells = this.cells;
    new client.Counter({
      name, help, labelNames: ['function'], registers: [registry],
      collect() {
        this.reset();
        for (const [fn, cell] of cells) this.inc({ function: wireText(fn) }, cell.value);
      },
    });
  }

  /** The cell for a function (callers keep it or look it up per job: one Map lookup). */
  cell(fn: string): CounterCell {
    let c = this.cells.get(fn);
    if (c === undefined) this.cells.set(fn, (c = { value: 0 }));
    return c;
  }
}

export interface HistogramCell {
  /** Observations per bucket (not cumulative); the last slot is above the highest bound. */
  readonly counts: Float64Array;
  sum: number;
  count: number;
}

interface MetricValue {
  metricName: string;
  labels: Record<string, string | number>;
  value: number;
}

export class FunctionHistogram {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  private readonly cells = new Map<string, HistogramCell>();

  constructor(registry: client.Registry, readonly name: string, readonly help: string, private readonly bounds: readonly number[]) {
    // prom-client's registry reads any object with name, help, type and get(); see the file comment.
    registry.registerMetric(this as unknown as client.Metric);
  }

  cell(fn: string): HistogramCell {
    let c = this.cells.get(fn);
    if (c === undefined) this.cells.set(fn, (c = { counts: new Float64Array(this.bounds.length + 1), sum: 0, count: 0 }));
    return c;
  }

  observe(cell: HistogramCell, value: number): void {
    const b = this.bounds;
    let i = 0;
    while (i < b.length && value > b[i]!) i++;
    cell.counts[i]!++;
    cell.sum += value;
    cell.count++;
  }

  /** The metric as prom-client's Histogram.get() shapes it. */
  get(): { name: string; help: string; type: string; aggregator: string; values: MetricValue[] } {
    const values: MetricValue[] = [];
    for (const [fn, cell] of this.cells) {
      const fnLabel = wireText(fn);
      let cumulative = 0;
      for (let i = 0; i < this.bounds.length; i++) {
        cumulative += cell.counts[i]!;
        values.push({ metricName: `${this.name}_bucket`, labels: { le: this.bounds[i]!, function: fnLabel }, value: cumulative });
      }
      values.push({ metricName: `${this.name}_bucket`, labels: { le: '+Inf', function: fnLabel }, value: cell.count });
      values.push({ metricName: `${this.name}_sum`, labels: { function: fnLabel }, value: cell.sum });
      values.push({ metricName: `${this.name}_count`, labels: { function: fnLabel }, value: cell.count });
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }

  reset(): void {
    this.cells.clear();
  }
}
