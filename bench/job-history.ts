/**
 * A big job history written straight through the SQLite store, as the server would have written
 * it, for the benchmarks that measure reading it back (search.ts: the store; dashboard-jobs.ts: the
 * jobs page). Job `id` of `total`: handle `H:bench:<id>`, function `fn<id % 20>`, unique
 * `order-<id>`, a JSON payload naming customer `c<id % 5000>`, a state from a fixed cycle (mostly
 * completed; failed ones carry "card declined for c…"; queued ones wait), submitted 10 ms apart
 * and ending now.
 */
import type { SqliteStore } from '../src/store/sqlite/sqlite-store.js';
import { emptyDelta, type JobDelta, type StoredState } from '../src/store/store.js';

export const HISTORY_FUNCTIONS = 20;
export const HISTORY_CUSTOMERS = 5000;
const STATES: StoredState[] = ['completed', 'completed', 'completed', 'failed', 'queued', 'completed', 'cancelled'];

export function historyJob(id: number, total: number, now: number): JobDelta {
  const state = STATES[id % STATES.length]!;
  const finished = state !== 'queued';
  const submittedAt = now - (total - id) * 10;
  return {
    ...emptyDelta(id),
    insert: {
      id, handle: `H:bench:${id}`, fn: `fn${id % HISTORY_FUNCTIONS}`, unique: `order-${id}`, priority: (id % 3) as 0 | 1 | 2,
      background: true, reducer: '', payload: Buffer.from(`{"order":${id},"customer":"c${id % HISTORY_CUSTOMERS}"}`), payloadSize: 40,
      submittedAt, dueAt: 0, submitter: '127.0.0.1#1',
    },
    state, startedAt: finished ? submittedAt + 5 : null, finishedAt: finished ? submittedAt + 9 : null,
    attempts: finished ? 1 : 0, retries: 0, worker: finished ? '127.0.0.1#2' : null,
    result: state === 'completed' ? Buffer.from('ok') : null, resultSize: state === 'completed' ? 2 : null,
    error: state === 'failed' ? Buffer.from(`card declined for c${id % HISTORY_CUSTOMERS}`) : null, outcome: state === 'failed' ? 'fail' : null,
  };
}

/** Writes jobs 1..total into an open store in batches of 10,000; answers how long it took (ms). */
export function writeHistory(store: SqliteStore, total: number, now: number): number {
  const t0 = Date.now();
  for (let start = 1; start <= total; start += 10000) {
    const deltas: JobDelta[] = [];
    for (let id = start; id < Math.min(start + 10000, total + 1); id++) deltas.push(historyJob(id, total, now));
    store.commit({ deltas, events: [], sync: false, nextHandle: start + deltas.length });
  }
  return Date.now() - t0;
}
