/**
 * The PostgreSQL driver's roll-up statements (the stats engine's minute rows), one named query
 * per operation. Appends go in one statement of column arrays, whatever the number of rows.
 */
import type pg from 'pg';
import { rollupValues, ROLLUP_COLUMNS } from '../rollup-columns.js';
import type { RollupFilter, RollupRecord } from '../store.js';
import { pgText } from './queries.js';

const PG_TYPE = { text: 'text', int: 'bigint', real: 'float8' } as const;
const NAMES = ROLLUP_COLUMNS.map((c) => c.name).join(', ');

const APPEND_TEXT = `INSERT INTO rollups (${NAMES})
  SELECT * FROM unnest(${ROLLUP_COLUMNS.map((c, i) => `$${i + 1}::${PG_TYPE[c.kind]}[]`).join(', ')})`;

export function rollupsAppendQuery(rows: readonly RollupRecord[]): pg.QueryConfig {
  const columns: unknown[][] = ROLLUP_COLUMNS.map(() => []);
  for (const r of rows) {
    const values = rollupValues({ ...r, fn: pgText(r.fn) });
    for (let i = 0; i < values.length; i++) columns[i]!.push(values[i]);
  }
  return { name: 'rollups_append', text: APPEND_TEXT, values: columns };
}

export function rollupsRangeQuery(f: RollupFilter): pg.QueryConfig {
  return f.fn === null
    ? { name: 'rollups_range', text: `SELECT ${NAMES} FROM rollups WHERE at >= $1 AND at < $2 ORDER BY at, fn LIMIT $3`,
      values: [f.since, f.until, f.limit] }
    : { name: 'rollups_range_fn', text: `SELECT ${NAMES} FROM rollups WHERE fn = $1 AND at >= $2 AND at < $3
      ORDER BY at LIMIT $4`, values: [pgText(f.fn), f.since, f.until, f.limit] };
}

export function rollupsPruneQuery(before: number, limit: number): pg.QueryConfig {
  return { name: 'rollups_prune', text: `DELETE FROM rollups WHERE ctid IN (
    SELECT ctid FROM rollups WHERE at < $1 ORDER BY at LIMIT $2)`, values: [before, limit] };
}
