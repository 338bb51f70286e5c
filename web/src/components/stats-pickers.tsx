/** The stats window and chart range selects; both live in the URL (`?window=`, `?range=`). */
import { setQuery } from '../router';
import { STATS_WINDOWS } from '../stats-data';
import { CHART_RANGES } from './stats-charts';

export function WindowPicker(props: { value: string; label?: string }) {
  return (
    <label>
      {props.label ?? 'Window'}
      <select value={props.value} onChange={(e) => setQuery({ window: (e.target as HTMLSelectElement).value })} data-testid="window-picker">
        {STATS_WINDOWS.map((w) => <option key={w} value={w}>last {w}</option>)}
      </select>
    </label>
  );
}

export function RangePicker(props: { value: string }) {
  return (
    <label>
      Charts
      <select value={props.value} onChange={(e) => setQuery({ range: (e.target as HTMLSelectElement).value })} data-testid="range-picker">
        {Object.keys(CHART_RANGES).map((r) => <option key={r} value={r}>last {r}</option>)}
      </select>
    </label>
  );
}
