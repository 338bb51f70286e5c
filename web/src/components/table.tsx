/**
 * A table whose columns sort on click (the sort lives in the URL when `sortParam` is given, so a
 * sorted view is shareable). Each column says how to render a cell and how to compare rows.
 */
import type { ComponentChildren } from 'preact';
import { setQuery, useRoute } from '../router';
import { useState } from 'preact/hooks';

export interface Column<T> {
  key: string;
  label: string;
  render: (row: T) => ComponentChildren;
  /** A sortable value; omit for columns that do not sort. */
  value?: (row: T) => number | string | null;
  numeric?: boolean;
  title?: string;
}

export function Table<T>(props: {
  rows: T[];
  columns: Column<T>[];
  rowKey: (row: T) => string;
  defaultSort?: string;
  sortParam?: string;
  empty?: ComponentChildren;
  testId?: string;
}) {
  const route = useRoute();
  const [localSort, setLocalSort] = useState(props.defaultSort ?? '');
  const sort = props.sortParam ? route.query.get(props.sortParam) ?? props.defaultSort ?? '' : localSort;
  const desc = sort.startsWith('-');
  const key = desc ? sort.slice(1) : sort;
  const col = props.columns.find((c) => c.key === key && c.value);
  const rows = col
    ? [...props.rows].sort((a, b) => {
        const x = col.value!(a);
        const y = col.value!(b);
        // Rows without a value go last in either direction.
        if (x === null || y === null) return x === y ? 0 : x === null ? 1 : -1;
        const c = x === y ? 0 : x < y ? -1 : 1;
        return desc ? -c : c;
      })
    : props.rows;
  const toggle = (c: Column<T>) => {
    const next = key === c.key && !desc ? `-${c.key}` : key === c.key ? c.key : c.numeric ? `-${c.key}` : c.key;
    if (props.sortParam) setQuery({ [props.sortParam]: next });
    else setLocalSort(next);
  };
  return (
    <div class="table-wrap">
      <table data-testid={props.testId}>
        <thead>
          <tr>
            {props.columns.map((c) => (
              <th
                key={c.key}
                class={`${c.numeric ? 'num' : ''} ${c.value ? 'sortable' : ''}`}
                title={c.title}
                aria-sort={key === c.key ? (desc ? 'descending' : 'ascending') : undefined}
                onClick={c.value ? () => toggle(c) : undefined}
              >
                {c.label}
                {key === c.key ? (desc ? ' ▾' : ' ▴') : ''}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.length === 0 ? (
            <tr>
              <td colSpan={props.columns.length} class="empty">{props.empty ?? 'Nothing here.'}</td>
            </tr>
          ) : (
            rows.map((r) => (
              <tr key={props.rowKey(r)}>
                {props.columns.map((c) => (
                  <td key={c.key} class={c.numeric ? 'num' : ''}>{c.render(r)}</td>
                ))}
              </tr>
            ))
          )}
        </tbody>
      </table>
    </div>
  );
}
