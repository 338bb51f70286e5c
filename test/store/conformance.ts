/**
 * The store conformance suite: every driver (memory, sqlite, postgres) runs these cases through
 * the `Store` seam only. Differences between drivers are read from `store.capabilities`, never
 * from the driver's name.
 *
 * `makeStore` returns a fresh, empty, opened store; `reopen()` closes the current instance and
 * opens a new one on the same storage (what a restart does); `cleanup()` closes whatever is open
 * and removes the storage.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { jobClaims } from '../../src/store/claims.js';
import { encodeCursor } from '../../src/store/job-filter.js';
import { uniqueHash } from '../../src/store/sqlite/unique-key.js';
import {
  emptyDelta, type CommitBatch, type JobDelta, type JobEventRecord, type JobFilter, type JobRecord, type NewJobRecord,
  type RetentionRules, type RollupRecord, type Store, type StoredJob, type StoredState,
} from '../../src/store/store.js';

export interface StoreFixture {
  store: Store;
  reopen(): Promise<Store>;
  cleanup(): Promise<void>;
}

export type MakeStore = () => Promise<StoreFixture>;

/** A fixed base time, so expectations are exact. */
export const T0 = 1_750_000_000_000;
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

// ---- builders -------------------------------------------------------------------------------

export function newJob(id: number, over: Partial<NewJobRecord> = {}): NewJobRecord {
  const payload = over.payload ?? Buffer.from(`payload ${id}`);
  return {
    id, handle: `H:test:${id}`, fn: 'f', unique: '', priority: 1, background: true, reducer: '',
    payload, payloadSize: payload.length, submittedAt: T0 + id, dueAt: 0, submitter: '127.0.0.1:40000#1',
    ...over,
  };
}

/** A delta that changes nothing; spread a change over it. */
export function delta(id: number, change: Partial<JobDelta> = {}): JobDelta {
  return { ...emptyDelta(id), ...change };
}

/** The insert delta the journal makes for a new job (queued, or scheduled when due later). */
export function inserted(rec: NewJobRecord, change: Partial<JobDelta> = {}): JobDelta {
  return delta(rec.id, { insert: rec, state: rec.dueAt > 0 ? 'scheduled' : 'queued', ...change });
}

export function batch(deltas: JobDelta[], events: JobEventRecord[] = [], nextHandle?: number): CommitBatch {
  const top = deltas.reduce((m, d) => Math.max(m, d.id), 0);
  return { deltas, events, sync: true, nextHandle: nextHandle ?? top + 1 };
}

/** Commits through whichever shape the driver has (sync or promise). */
export async function commit(store: Store, b: CommitBatch): Promise<void> {
  await store.commit(b);
}

/** The record a lookup should return for an insert delta committed alone. */
function expectedRecord(rec: NewJobRecord, d: JobDelta): JobRecord {
  return {
    id: rec.id, handle: rec.handle, fn: rec.fn, unique: rec.unique, priority: rec.priority,
    background: rec.background || d.pinBackground, reducer: rec.reducer, state: d.state ?? 'queued',
    payload: rec.payload, payloadSize: rec.payloadSize, submittedAt: rec.submittedAt, dueAt: rec.dueAt,
    submitter: rec.submitter, startedAt: d.startedAt, finishedAt: d.finishedAt, attempts: d.attempts ?? 0,
    retries: d.retries ?? 0, worker: d.worker, numerator: d.numerator, denominator: d.denominator,
    result: d.result, resultSize: d.resultSize, error: d.error, outcome: d.outcome, warnings: d.warnings,
    dataChunks: d.dataChunks, data: d.data, dataSize: d.dataSize,
  };
}

function ids(jobs: { id: number }[]): number[] {
  return jobs.map((j) => j.id);
}

/** Commits one insert per job, each already in its final state (one batch). */
async function seed(store: Store, jobs: { rec: NewJobRecord; change?: Partial<JobDelta> }[]): Promise<void> {
  await commit(store, batch(jobs.map((j) => inserted(j.rec, j.change ?? {}))));
}

function finishedAs(state: StoredState, finishedAt: number): Partial<JobDelta> {
  return { state, finishedAt, startedAt: finishedAt - 1 };
}

/** Commits `rows` new jobs in batches of `perBatch` and returns rows per second (for a log line). */
export async function measureBatchCommits(store: Store, rows: number, perBatch: number, firstId = 1): Promise<number> {
  const payload = randomBytes(100);
  const started = process.hrtime.bigint();
  for (let id = firstId; id < firstId + rows; id += perBatch) {
    const deltas: JobDelta[] = [];
    for (let i = id; i < Math.min(id + perBatch, firstId + rows); i++) {
      deltas.push(inserted(newJob(i, { fn: `fn${i % 8}`, unique: `u${i}`, payload, payloadSize: payload.length })));
    }
    await commit(store, batch(deltas));
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return Math.round(rows / seconds);
}

// ---- the suite ------------------------------------------------------------------------------

export function runStoreConformance(name: string, makeStore: MakeStore): void {
  const it = (title: string, body: (f: StoreFixture) => Promise<void>): void => {
    test(`${name}: ${title}`, async () => {
      const f = await makeStore();
      try {
        await body(f);
      } finally {
        await f.cleanup();
      }
    });
  };

  it('a fresh store is empty and starts handles at 1', async ({ store }) => {
    assert.deepEqual(await store.loadActive(), []);
    assert.equal(await store.nextHandleNumber(), 1);
    assert.equal(await store.findJob('H:test:1'), null);
    assert.deepEqual(await store.listJobs({ limit: 10 }), { jobs: [], nextCursor: null });
  });

  it('commit: a big batch mixing new jobs with jobs that also started or finished in it stores each one whole', async ({ store }) => {
    // Drivers may write plain new jobs differently from the rest (SQLite: many rows per INSERT);
    // 75 jobs cover full groups, a remainder, and other deltas in between.
    const deltas: JobDelta[] = [];
    for (let id = 1; id <= 75; id++) {
      const rec = newJob(id, {
        fn: `fn${id % 3}`, unique: id % 4 === 0 ? `u${id}` : '', priority: (id % 3) as 0 | 1 | 2, background: id % 5 !== 0,
        reducer: id === 7 ? 'sum' : '', payload: randomBytes(id), payloadSize: id + 1000, dueAt: id % 6 === 0 ? T0 + DAY : 0,
        submitter: `10.0.0.${id}:4000#${id}`,
      });
      let change: Partial<JobDelta> = {};
      if (id % 10 === 3) change = { state: 'running', startedAt: T0 + id, attempts: 1, worker: `w${id}` };
      if (id % 10 === 7) change = { ...finishedAs('completed', T0 + id), attempts: 1, result: Buffer.from(`r${id}`), resultSize: 2 };
      if (id === 11) change = { pinBackground: true };
      deltas.push(inserted(rec, change));
    }
    await commit(store, batch(deltas));
    for (const d of deltas) {
      assert.deepEqual(await store.findJob(d.insert!.handle), expectedRecord(d.insert!, d), `job ${d.id}`);
    }
    assert.equal(await store.countJobs({}), 75);
  });

  it('commit: a batch of many MiB (PostgreSQL writes it in several statements) is stored whole, events and handle counter too', async ({ store }) => {
    await commit(store, batch([inserted(newJob(1, { unique: 'first' }))]));
    const deltas: JobDelta[] = [delta(1, finishedAs('completed', T0 + 5))];
    for (let id = 2; id <= 8; id++) {
      const payload = randomBytes(1024 * 1024 + id);
      deltas.push(inserted(newJob(id, { payload, payloadSize: payload.length, unique: `big-${id}` }),
        id % 2 === 0 ? { ...finishedAs('completed', T0 + id), attempts: 1, result: randomBytes(700_000), resultSize: 700_000 } : {}));
    }
    const events = [{ jobId: 1, at: T0 + 5, type: 'note', detail: 'before' }, { jobId: 8, at: T0 + 8, type: 'note', detail: 'last' }];
    await commit(store, batch(deltas, events, 42));
    assert.equal((await store.findJob('H:test:1'))!.state, 'completed', 'the update ahead of the inserts');
    for (const d of deltas.slice(1)) {
      assert.deepEqual(await store.findJob(d.insert!.handle), expectedRecord(d.insert!, d), `job ${d.id}`);
    }
    assert.deepEqual((await store.jobEvents(8)).map((e) => e.detail), ['last']);
    assert.equal(await store.nextHandleNumber(), 42);
  });

  it('commit: an insert carries the final state of a job that lived its whole life in one batch', async ({ store }) => {
    const rec = newJob(1, {
      fn: 'resize', unique: 'img-1', priority: 0, background: false, reducer: 'sum',
      submitter: '10.0.0.7:5555#12',
    });
    const d = inserted(rec, {
      state: 'completed', pinBackground: true, startedAt: T0 + 10, finishedAt: T0 + 20, attempts: 1, retries: 0,
      worker: '10.0.0.8:6000#3 worker-a', numerator: '3', denominator: '4', result: Buffer.from('done'),
      resultSize: 4, warnings: 2, dataChunks: 5,
    });
    await commit(store, batch([d]));
    assert.deepEqual(await store.findJob(rec.handle), expectedRecord(rec, d));
    assert.deepEqual(await store.loadActive(), [], 'a finished insert is not active');
  });

  it('commit: an insert without a state is queued; a failed insert keeps its reason and error data', async ({ store }) => {
    const a = newJob(1);
    const b = newJob(2, { background: false });
    const da = delta(1, { insert: a });
    const db = inserted(b, { state: 'failed', finishedAt: T0 + 9, outcome: 'exception', error: Buffer.from('boom\0!') });
    await commit(store, batch([da, db]));
    assert.deepEqual(await store.findJob(a.handle), expectedRecord(a, da));
    assert.deepEqual(await store.findJob(b.handle), expectedRecord(b, db));
  });

  it('commit: updates keep what they leave null, add warnings and data chunks, and only ever pin background', async ({ store }) => {
    const rec = newJob(1, { background: false });
    await commit(store, batch([inserted(rec)]));
    await commit(store, batch([delta(1, {
      state: 'running', startedAt: T0 + 5, attempts: 1, worker: 'w1', numerator: '1', denominator: '10',
      warnings: 1, dataChunks: 2,
    })]));
    await commit(store, batch([delta(1, { numerator: '5', warnings: 2, dataChunks: 3 })]));
    let got = (await store.findJob(rec.handle))!;
    assert.equal(got.state, 'running');
    assert.equal(got.startedAt, T0 + 5);
    assert.equal(got.attempts, 1);
    assert.equal(got.worker, 'w1');
    assert.equal(got.numerator, '5');
    assert.equal(got.denominator, '10', 'a null leaves the stored value');
    assert.equal(got.warnings, 3, 'warnings add up across batches');
    assert.equal(got.dataChunks, 5, 'data chunks add up across batches');
    assert.equal(got.background, false);

    await commit(store, batch([delta(1, { pinBackground: true })]));
    assert.equal((await store.findJob(rec.handle))!.background, true, 'pinBackground makes it background');
    await commit(store, batch([delta(1, { pinBackground: false, retries: 2, state: 'queued' })]));
    got = (await store.findJob(rec.handle))!;
    assert.equal(got.background, true, 'pinBackground false never clears it');
    assert.equal(got.state, 'queued');
    assert.equal(got.retries, 2);

    const result = Buffer.from([0, 1, 2, 0, 255]);
    await commit(store, batch([delta(1, { state: 'completed', finishedAt: T0 + 50, result, resultSize: 4096 })]));
    got = (await store.findJob(rec.handle))!;
    assert.deepEqual(
      { state: got.state, finishedAt: got.finishedAt, result: got.result, resultSize: got.resultSize,
        startedAt: got.startedAt, worker: got.worker, attempts: got.attempts, retries: got.retries,
        numerator: got.numerator, warnings: got.warnings, error: got.error, outcome: got.outcome },
      { state: 'completed', finishedAt: T0 + 50, result, resultSize: 4096, startedAt: T0 + 5, worker: 'w1',
        attempts: 1, retries: 2, numerator: '5', warnings: 3, error: null, outcome: null },
    );
  });

  it('commit: batches with and without sync apply in commit order', async (f) => {
    const lazy = (b: CommitBatch): CommitBatch => ({ ...b, sync: false });
    const pending = [
      f.store.commit(batch([inserted(newJob(1))])),
      f.store.commit(lazy(batch([delta(1, { state: 'running', startedAt: T0 + 1, attempts: 1, worker: 'w' })]))),
      f.store.commit(lazy(batch([delta(1, { state: 'completed', finishedAt: T0 + 2 }), inserted(newJob(2))]))),
      f.store.commit(batch([inserted(newJob(3))])),
    ];
    // Issued back to back without waiting, as the journal may: each batch sees the ones before.
    await Promise.all(pending);
    const one = (await f.store.findJob('H:test:1'))!;
    assert.deepEqual([one.state, one.attempts, one.finishedAt], ['completed', 1, T0 + 2]);
    assert.deepEqual(ids(await f.store.loadActive()), [2, 3]);
    const again = await f.reopen();
    if (again.capabilities.durable) assert.deepEqual(ids(await again.loadActive()), [2, 3]);
  });

  it('commit: deltas of one batch apply in order, also several for one job', async ({ store }) => {
    // The journal collapses each job into one delta; a store still honours order if it does not.
    await commit(store, batch([inserted(newJob(1, { unique: 'a' }))]));
    await commit(store, batch([
      inserted(newJob(2, { unique: 'b' })),
      delta(2, { state: 'running', startedAt: T0 + 1, attempts: 1, warnings: 1 }),
      delta(1, { state: 'running', startedAt: T0 + 2, attempts: 1 }),
      delta(2, { state: 'completed', finishedAt: T0 + 3, warnings: 2 }),
      delta(1, { state: 'failed', finishedAt: T0 + 4, outcome: 'fail' }),
      inserted(newJob(3, { unique: 'a' })),
    ]));
    const two = (await store.findJob('H:test:2'))!;
    assert.deepEqual([two.state, two.startedAt, two.finishedAt, two.attempts, two.warnings], ['completed', T0 + 1, T0 + 3, 1, 3]);
    const one = (await store.findJob('H:test:1'))!;
    assert.deepEqual([one.state, one.startedAt, one.finishedAt, one.outcome], ['failed', T0 + 2, T0 + 4, 'fail']);
    assert.deepEqual(ids(await store.loadActive()), [3]);
  });

  it('commit: an update for a job the store does not hold changes nothing and does not fail', async ({ store }) => {
    await commit(store, batch([delta(42, { state: 'completed', finishedAt: T0 })]));
    assert.equal(await store.findJob('H:test:42'), null);
  });

  it('commit: a failed batch applies nothing, and the store goes on working', async ({ store }) => {
    const first = newJob(1, { payload: Buffer.from('original') });
    await commit(store, batch([inserted(first)], [], 2));
    const before = await store.findJob(first.handle);

    const fresh = newJob(2);
    const duplicate = newJob(1, { payload: Buffer.from('impostor') });
    const bad = batch(
      [inserted(fresh), delta(1, { state: 'running', worker: 'w' }), inserted(duplicate)],
      [{ jobId: 2, at: T0, type: 'note', detail: 'should vanish' }],
      1000,
    );
    await assert.rejects(async () => { await store.commit(bad); }, 'a duplicate id must make the commit fail');

    assert.equal(await store.findJob(fresh.handle), null, 'the first insert of the failed batch is absent');
    assert.deepEqual(await store.jobEvents(2), []);
    assert.deepEqual(await store.findJob(first.handle), before, 'the earlier job is untouched');
    assert.ok(await store.nextHandleNumber() < 1000, 'the failed batch did not move the handle counter');
    assert.deepEqual(ids(await store.loadActive()), [1]);

    await commit(store, batch([inserted(fresh)]));
    assert.equal((await store.findJob(fresh.handle))!.id, 2, 'the next batch commits');
  });

  it('commit: a finished job\'s unique can be reused in the same batch, whatever the delta order', async ({ store }) => {
    await commit(store, batch([inserted(newJob(1, { unique: 'u' })), inserted(newJob(2, { unique: 'v' }))]));
    await commit(store, batch([
      inserted(newJob(3, { unique: 'u' })),
      delta(1, { state: 'completed', finishedAt: T0 + 100 }),
      delta(2, { state: 'cancelled', finishedAt: T0 + 100 }),
      inserted(newJob(4, { unique: 'v' })),
    ]));
    assert.deepEqual((await store.findByUnique('u', 10)).map((j) => [j.id, j.state]), [[3, 'queued'], [1, 'completed']]);
    assert.deepEqual((await store.findByUnique('v', 10)).map((j) => [j.id, j.state]), [[4, 'queued'], [2, 'cancelled']]);
  });

  it('commit: jobs without a unique, or with the unique "-", may be active side by side', async ({ store }) => {
    await commit(store, batch([1, 2, 3, 4].map((id) => inserted(newJob(id, { unique: id <= 2 ? '' : '-' })))));
    assert.deepEqual(ids(await store.loadActive()), [1, 2, 3, 4]);
  });

  it('commit: text with NUL characters does not fail a batch', async ({ store }) => {
    const rec = newJob(1, { submitter: 'client\0id' });
    await commit(store, batch([inserted(rec, { worker: 'w\0x', numerator: '1\0', denominator: '\x002' })],
      [{ jobId: 1, at: T0, type: 'warning', detail: 'bad\0bytes' }]));
    const got = (await store.findJob(rec.handle))!;
    // PostgreSQL text cannot hold NUL; a driver may store U+FFFD in its place, but never refuses.
    const same = (stored: string | null, sent: string) =>
      assert.ok(stored === sent || stored === sent.replaceAll('\0', '\uFFFD'), `${JSON.stringify(stored)} for ${JSON.stringify(sent)}`);
    same(got.submitter, 'client\0id');
    same(got.worker, 'w\0x');
    same(got.numerator, '1\0');
    same(got.denominator, '\x002');
    same((await store.jobEvents(1))[0]!.detail, 'bad\0bytes');
  });

  it('loadActive: scheduled, queued and running jobs in id order with their fields intact', async ({ store }) => {
    const recs = new Map<number, NewJobRecord>([
      [1, newJob(1, { priority: 2 })],
      [2, newJob(2, { priority: 0, dueAt: T0 + HOUR, fn: 'later', unique: 'sched-1' })],
      [3, newJob(3, { reducer: 'r' })],
      [4, newJob(4)],
      [5, newJob(5, { priority: 0, background: false, payload: Buffer.from([0, 0, 7]), payloadSize: 3 })],
      [6, newJob(6)],
      [7, newJob(7)],
      [8, newJob(8, { background: false })],
      [9, newJob(9, { priority: 1, dueAt: T0 + 2 * HOUR })],
    ]);
    const r = (id: number) => recs.get(id)!;
    // Deltas deliberately out of id order: the store orders by id, not by commit order.
    await commit(store, batch([
      inserted(r(5)), inserted(r(2)), inserted(r(8), finishedAs('abandoned', T0 + 8)), inserted(r(1)),
      inserted(r(7), finishedAs('failed', T0 + 7)), inserted(r(6), finishedAs('cancelled', T0 + 6)),
      inserted(r(4), finishedAs('completed', T0 + 4)),
    ]));
    await commit(store, batch([inserted(r(3), { state: 'running', startedAt: T0 + 30, attempts: 2, retries: 1, worker: 'w' })]));
    await commit(store, batch([inserted(r(9))]));

    const stored = (id: number, state: StoredState, attempts = 0, retries = 0): StoredJob => {
      const x = r(id);
      return {
        id, handle: x.handle, fn: x.fn, unique: x.unique, payload: x.payload, priority: x.priority,
        background: x.background, reducer: x.reducer, state, dueAt: x.dueAt, submittedAt: x.submittedAt,
        attempts, retries,
      };
    };
    assert.deepEqual(await store.loadActive(), [
      stored(1, 'queued'), stored(2, 'scheduled'), stored(3, 'running', 2, 1), stored(5, 'queued'),
      stored(9, 'scheduled'),
    ]);
  });

  it('eachActive: the same jobs as loadActive, scheduled then queued then running, each in id order', async ({ store }) => {
    const deltas: JobDelta[] = [];
    for (let id = 1; id <= 40; id++) {
      const kind = id % 5;
      const rec = newJob(id, { dueAt: kind === 0 ? T0 + DAY : 0, priority: (id % 3) as 0 | 1 | 2 });
      deltas.push(inserted(rec, kind === 0 ? {} : kind === 1 ? { state: 'running', startedAt: T0, attempts: 1 }
        : kind === 2 ? finishedAs('completed', T0) : {}));
    }
    await commit(store, batch(deltas.reverse()));
    const seen: StoredJob[] = [];
    const count = await store.eachActive((j) => seen.push(j));
    const all = await store.loadActive();
    assert.equal(count, all.length);
    const rank = { scheduled: 0, queued: 1, running: 2 } as Record<StoredState, number>;
    assert.deepEqual(seen, [...all].sort((a, b) => rank[a.state]! - rank[b.state]! || a.id - b.id));
    assert.deepEqual(seen.map((j) => j.state).filter((s, i, a) => a.indexOf(s) === i), ['scheduled', 'queued', 'running']);
    assert.equal(await store.eachActive(() => {}), 32);
  });

  it('restart: what was committed comes back (durable), or nothing does (memory)', async (f) => {
    const { store } = f;
    await commit(store, batch([inserted(newJob(1, { priority: 0 })), inserted(newJob(2, { dueAt: T0 + HOUR }))], [], 3));
    await commit(store, batch([delta(1, { state: 'running', startedAt: T0 + 1, attempts: 1, worker: 'w' }),
      inserted(newJob(3, { priority: 2, unique: 'u3' }))],
    [{ jobId: 1, at: T0 + 1, type: 'note', detail: 'hello' }], 17));
    await commit(store, batch([inserted(newJob(4), finishedAs('completed', T0 + 40))], [], 20));
    const active = await store.loadActive();
    const job1 = await store.findJob('H:test:1');
    const job4 = await store.findJob('H:test:4');

    const again = await f.reopen();
    if (again.capabilities.durable) {
      assert.deepEqual(await again.loadActive(), active);
      assert.deepEqual(await again.findJob('H:test:1'), job1);
      assert.deepEqual(await again.findJob('H:test:4'), job4);
      assert.deepEqual(await again.jobEvents(1), [{ jobId: 1, at: T0 + 1, type: 'note', detail: 'hello' }]);
      assert.deepEqual(ids(await again.findByUnique('u3', 5)), [3]);
      assert.equal(await again.nextHandleNumber(), 20);
    } else {
      assert.deepEqual(await again.loadActive(), [], 'a store that is not durable forgets everything');
      assert.equal(await again.findJob('H:test:1'), null);
      assert.equal(await again.nextHandleNumber(), 1);
    }
  });

  it('nextHandleNumber: the larger of the stored counter and the highest id, never going backwards', async (f) => {
    let { store } = f;
    await commit(store, batch([inserted(newJob(5))], [], 10));
    assert.equal(await store.nextHandleNumber(), 10);
    await commit(store, batch([inserted(newJob(20))], [], 12));
    assert.equal(await store.nextHandleNumber(), 21, 'an id above the counter wins');
    await commit(store, batch([], [], 100));
    assert.equal(await store.nextHandleNumber(), 100);
    await commit(store, batch([delta(5, { state: 'running' })], [], 50));
    assert.equal(await store.nextHandleNumber(), 100, 'a lower counter in a later batch does not move it back');
    store = await f.reopen();
    if (store.capabilities.durable) assert.equal(await store.nextHandleNumber(), 100);
  });

  it('findJob: by its exact handle only', async ({ store }) => {
    await commit(store, batch([inserted(newJob(7, { handle: 'H:node-a:7' }))]));
    assert.equal((await store.findJob('H:node-a:7'))!.id, 7);
    assert.equal(await store.findJob('H:node-b:7'), null, 'the right number with the wrong prefix');
    assert.equal(await store.findJob('H:node-a:8'), null);
    assert.equal(await store.findJob('H:node-a:'), null);
    assert.equal(await store.findJob('not a handle'), null);
    assert.equal(await store.findJob(''), null);
  });

  it('findByUnique: newest first, up to the limit; an empty unique finds nothing', async ({ store }) => {
    await seed(store, [
      { rec: newJob(1, { unique: 'u1' }), change: finishedAs('completed', T0 + 10) },
      { rec: newJob(2, { unique: 'u2' }) },
      { rec: newJob(3, { unique: 'u1', fn: 'g' }), change: finishedAs('failed', T0 + 20) },
      { rec: newJob(4, { unique: '' }) },
      { rec: newJob(5, { unique: 'u1' }) },
    ]);
    assert.deepEqual(ids(await store.findByUnique('u1', 10)), [5, 3, 1]);
    assert.deepEqual(ids(await store.findByUnique('u1', 2)), [5, 3]);
    assert.deepEqual(ids(await store.findByUnique('u2', 10)), [2]);
    assert.deepEqual(await store.findByUnique('', 10), []);
    assert.deepEqual(await store.findByUnique('nope', 10), []);
  });

  it('findByUnique and listJobs by unique: across blocks of ids, with NUL and non-ASCII bytes', async ({ store }) => {
    const odd = '\u00e9\u0000x\u00ff';
    await seed(store, [
      { rec: newJob(1, { unique: odd }), change: finishedAs('completed', T0) },
      { rec: newJob(1500, { unique: odd }), change: finishedAs('completed', T0) },
      { rec: newJob(70_000, { unique: 'u' }), change: finishedAs('failed', T0) },
      { rec: newJob(70_001, { unique: odd }) },
      { rec: newJob(70_002, { unique: `${odd}!` }) },
    ]);
    assert.deepEqual(ids(await store.findByUnique(odd, 10)), [70_001, 1500, 1]);
    assert.deepEqual(ids(await store.findByUnique('u', 10)), [70_000]);
    const first = await store.listJobs({ limit: 2, unique: odd });
    assert.deepEqual(ids(first.jobs), [70_001, 1500]);
    assert.deepEqual(ids((await store.listJobs({ limit: 2, unique: odd, cursor: first.nextCursor })).jobs), [1]);
    assert.equal(await store.countJobs({ unique: odd }), 3);
  });

  it('findByUnique and listJobs by unique: across thousands of jobs, never confused with another unique', async ({ store }) => {
    // Two uniques whose 20-bit hashes collide (the SQLite store looks uniques up by such hashes),
    // and jobs far apart in id so a lookup spans many blocks of jobs.
    const [a, b] = collidingUniques();
    const deltas: JobDelta[] = [];
    for (let id = 1; id <= 5000; id++) {
      const unique = id === 3 || id === 2100 ? a : id === 4999 ? b : id === 4000 ? a : `other-${id}`;
      const done = id !== 4000;
      deltas.push(inserted(newJob(id, { unique, fn: id % 2 === 0 ? 'even' : 'odd' }),
        done ? { state: 'completed', finishedAt: T0 + id } : {}));
    }
    await commit(store, batch(deltas));
    assert.deepEqual(ids(await store.findByUnique(a, 10)), [4000, 2100, 3]);
    assert.deepEqual(ids(await store.findByUnique(b, 10)), [4999]);
    assert.deepEqual(ids((await store.listJobs({ unique: a, limit: 10 })).jobs), [4000, 2100, 3]);
    assert.deepEqual(ids((await store.listJobs({ unique: a, fn: 'even', state: 'completed', limit: 10 })).jobs), [2100]);
    assert.deepEqual(ids((await store.listJobs({ unique: a, limit: 10, cursor: encodeCursor(2100) })).jobs), [3]);
    assert.equal(await store.countJobs({ unique: a }), 3);
    assert.equal(await store.countJobs({ unique: b, fn: 'odd' }), 1);
  });

  it('listJobs: each filter and their combinations select exactly the matching jobs, newest first', async ({ store }) => {
    const fns = ['a', 'b', 'c'];
    const states: StoredState[] = ['queued', 'completed', 'failed', 'running', 'completed', 'scheduled', 'cancelled'];
    const model: { id: number; fn: string; state: StoredState; unique: string; submittedAt: number }[] = [];
    const deltas: JobDelta[] = [];
    for (let id = 1; id <= 42; id++) {
      const rec = newJob(id, {
        // 'k' only on finished jobs: active jobs never share a (function, unique).
        fn: fns[id % 3]!, unique: [1, 2, 4].includes(id % 7) ? 'k' : id % 7 === 3 ? '' : `u${id}`, submittedAt: T0 + id * 1000,
        dueAt: states[id % 7] === 'scheduled' ? T0 + DAY : 0,
      });
      const state = states[id % 7]!;
      model.push({ id, fn: rec.fn, state, unique: rec.unique, submittedAt: rec.submittedAt });
      deltas.push(inserted(rec, { state, finishedAt: ['completed', 'failed', 'cancelled'].includes(state) ? T0 + DAY : null }));
    }
    await commit(store, batch(deltas));
    const filters: Omit<JobFilter, 'limit'>[] = [
      {}, { fn: 'a' }, { state: 'completed' }, { fn: 'b', state: 'queued' }, { unique: 'k' },
      { since: T0 + 10_000 }, { until: T0 + 20_000 }, { since: T0 + 10_000, until: T0 + 20_000 },
      { fn: 'c', state: 'completed', since: T0 + 5_000, until: T0 + 40_000 }, { fn: 'zzz' }, { unique: 'k', fn: 'a' },
      { unique: '' }, { unique: '', fn: 'b' },
    ];
    for (const filter of filters) {
      const want = model.filter((m) =>
        (filter.fn === undefined || m.fn === filter.fn) && (filter.state === undefined || m.state === filter.state) &&
        (filter.unique === undefined || m.unique === filter.unique) &&
        (filter.since === undefined || m.submittedAt >= filter.since) &&
        (filter.until === undefined || m.submittedAt < filter.until)).map((m) => m.id).reverse();
      const page = await store.listJobs({ ...filter, limit: 100 });
      assert.deepEqual(ids(page.jobs), want, JSON.stringify(filter));
      assert.equal(page.nextCursor, null);
      assert.equal(await store.countJobs(filter), want.length, `countJobs ${JSON.stringify(filter)}`);
      const cursor = encodeCursor(21);
      assert.equal(await store.countJobs({ ...filter, cursor }), want.filter((id) => id < 21).length,
        `countJobs below a cursor ${JSON.stringify(filter)}`);
    }
    const one = (await store.listJobs({ fn: 'a', state: 'completed', limit: 1 })).jobs[0]!;
    assert.deepEqual(one, await store.findJob(one.handle), 'listed records are whole records');
  });

  it('listJobs: keyset pages cover every match once, with no empty last page, even while jobs are added', async ({ store }) => {
    const deltas: JobDelta[] = [];
    for (let id = 1; id <= 60; id++) deltas.push(inserted(newJob(id, { fn: id % 3 === 0 ? 'a' : 'b' })));
    await commit(store, batch(deltas));

    const walk = async (filter: Omit<JobFilter, 'limit' | 'cursor'>, limit: number, addBetween: boolean) => {
      const seen: number[] = [];
      const sizes: number[] = [];
      let cursor: string | null = null;
      let extra = 1000;
      do {
        const page = await store.listJobs({ ...filter, limit, cursor });
        sizes.push(page.jobs.length);
        seen.push(...ids(page.jobs));
        cursor = page.nextCursor;
        if (addBetween) await commit(store, batch([inserted(newJob(extra++, { fn: 'a' }))]));
        assert.ok(sizes.length <= 100, 'pagination must end');
      } while (cursor !== null);
      return { seen, sizes };
    };
    const all = await walk({}, 10, false);
    assert.deepEqual(all.seen, Array.from({ length: 60 }, (_, i) => 60 - i));
    assert.deepEqual(all.sizes, [10, 10, 10, 10, 10, 10], 'an exact multiple ends without an empty page');

    const onlyA = await walk({ fn: 'a' }, 7, true);
    assert.deepEqual(onlyA.seen, Array.from({ length: 20 }, (_, i) => 60 - 3 * i), 'jobs added meanwhile do not shift pages');
    assert.deepEqual(onlyA.sizes, [7, 7, 6]);
    assert.equal(new Set(onlyA.seen).size, onlyA.seen.length, 'no duplicates');

    const single = await walk({ fn: 'b' }, 1, false);
    assert.equal(single.seen.length, 40);
    assert.equal(new Set(single.seen).size, 40);
  });

  it('jobEvents: in the order they were committed, per job', async ({ store }) => {
    await commit(store, batch([inserted(newJob(1)), inserted(newJob(2))], [
      { jobId: 1, at: T0 + 5, type: 'warning', detail: 'first' },
      { jobId: 2, at: T0 + 5, type: 'note', detail: null },
      { jobId: 1, at: T0 + 5, type: 'requeued', detail: 'second' },
    ]));
    await commit(store, batch([], [{ jobId: 1, at: T0 + 1, type: 'lost', detail: 'third, with an earlier clock' }], 3));
    assert.deepEqual(await store.jobEvents(1), [
      { jobId: 1, at: T0 + 5, type: 'warning', detail: 'first' },
      { jobId: 1, at: T0 + 5, type: 'requeued', detail: 'second' },
      { jobId: 1, at: T0 + 1, type: 'lost', detail: 'third, with an earlier clock' },
    ]);
    assert.deepEqual(await store.jobEvents(2), [{ jobId: 2, at: T0 + 5, type: 'note', detail: null }]);
    assert.deepEqual(await store.jobEvents(3), []);
  });

  const now = T0 + 100 * DAY;
  const rules = (over: Partial<RetentionRules> = {}): RetentionRules => ({
    keepMs: { completed: 7 * DAY, failed: 30 * DAY, abandoned: 7 * DAY },
    byFunction: { audit: { completed: 90 * DAY }, noisy: { completed: HOUR } },
    maxFinishedJobs: 0,
    ...over,
  });
  const retentionSet = async (store: Store) => {
    await seed(store, [
      { rec: newJob(1), change: finishedAs('completed', now - 8 * DAY) }, // pruned: completed 7d
      { rec: newJob(2), change: finishedAs('completed', now - 6 * DAY) }, // kept
      { rec: newJob(3), change: finishedAs('failed', now - 8 * DAY) }, // kept: failed 30d
      { rec: newJob(4), change: finishedAs('failed', now - 31 * DAY) }, // pruned
      { rec: newJob(5), change: finishedAs('cancelled', now - 365 * DAY) }, // kept: no rule for cancelled
      { rec: newJob(6, { fn: 'audit' }), change: finishedAs('completed', now - 8 * DAY) }, // kept: override 90d
      { rec: newJob(7, { fn: 'audit' }), change: finishedAs('completed', now - 91 * DAY) }, // pruned
      { rec: newJob(8, { fn: 'audit' }), change: finishedAs('failed', now - 31 * DAY) }, // pruned: default failed rule
      { rec: newJob(9, { fn: 'noisy' }), change: finishedAs('completed', now - 2 * HOUR) }, // pruned: override 1h
      { rec: newJob(10, { submittedAt: T0 - 400 * DAY }) }, // active, never pruned
      { rec: newJob(11, { submittedAt: T0 - 400 * DAY }), change: { state: 'running', startedAt: T0 - 399 * DAY } },
      { rec: newJob(12, { dueAt: T0 - 300 * DAY }) },
      { rec: newJob(13, { background: false }), change: finishedAs('abandoned', now - 8 * DAY) }, // pruned
    ]);
    await commit(store, batch([], [
      { jobId: 1, at: now - 8 * DAY, type: 'note', detail: 'gone with its job' },
      { jobId: 2, at: now - 6 * DAY, type: 'note', detail: 'stays' },
    ], 14));
  };
  const remaining = async (store: Store) => ids((await store.listJobs({ limit: 1000 })).jobs).reverse();

  it('prune: per end state, with per-function overrides; active jobs are never deleted', async ({ store }) => {
    await retentionSet(store);
    assert.equal(await store.prune(rules(), now, 1000), 6);
    assert.deepEqual(await remaining(store), [2, 3, 5, 6, 10, 11, 12]);
    assert.deepEqual(await store.jobEvents(1), [], 'a pruned job\'s events go with it');
    assert.equal((await store.jobEvents(2)).length, 1);
    assert.equal(await store.prune(rules(), now, 1000), 0, 'a second pass finds nothing');
  });

  it('prune: at most `limit` jobs per call, the rest on the next calls', async ({ store }) => {
    await retentionSet(store);
    const counts: number[] = [];
    for (let i = 0; i < 6; i++) counts.push(await store.prune(rules(), now, 2));
    assert.deepEqual(counts, [2, 2, 2, 0, 0, 0]);
    assert.deepEqual(await remaining(store), [2, 3, 5, 6, 10, 11, 12]);
  });

  it('prune: the cap keeps the newest finished jobs after the time rules, and ignores active jobs', async ({ store }) => {
    const recent = now - HOUR / 2;
    await seed(store, [
      { rec: newJob(1), change: { state: 'running', startedAt: T0 } }, // old and active: never counted or pruned
      { rec: newJob(2) },
      ...[3, 4, 5, 6, 7, 8].map((id) => ({ rec: newJob(id), change: finishedAs('completed', recent) })),
      // Newer, but expired by their function's own rule: they go by time, not against the cap.
      { rec: newJob(9, { fn: 'noisy' }), change: finishedAs('completed', now - 2 * HOUR) },
      { rec: newJob(10, { fn: 'noisy' }), change: finishedAs('completed', now - 2 * HOUR) },
      { rec: newJob(11), change: { state: 'scheduled' } },
    ]);
    assert.equal(await store.prune(rules({ maxFinishedJobs: 3 }), now, 1000), 5);
    assert.deepEqual(await remaining(store), [1, 2, 6, 7, 8, 11]);
    assert.equal(await store.prune(rules({ maxFinishedJobs: 3 }), now, 1000), 0);
  });

  it('retries and reschedules: a new due time is stored and comes back with the active job', async (f) => {
    await commit(f.store, batch([inserted(newJob(1))]));
    await commit(f.store, batch([delta(1, { state: 'scheduled', dueAt: T0 + 60_000, attempts: 1, outcome: 'fail' })]));
    const rec = (await f.store.findJob('H:test:1'))!;
    assert.equal(rec.state, 'scheduled');
    assert.equal(rec.dueAt, T0 + 60_000);
    const active = await f.store.loadActive();
    assert.equal(active[0]!.dueAt, T0 + 60_000);
    if (f.store.capabilities.durable) {
      const again = await f.reopen();
      assert.equal((await again.loadActive())[0]!.dueAt, T0 + 60_000);
    }
  });

  it('listJobs: text in payload, result or error, bounded below by minId', async ({ store }) => {
    await commit(store, batch([
      inserted(newJob(1, { payload: Buffer.from('order for ACME') })),
      inserted(newJob(2, { payload: Buffer.from('nothing') }), { state: 'completed', result: Buffer.from('sent to ACME'), resultSize: 12 }),
      inserted(newJob(3, { payload: Buffer.from('x') }), { state: 'failed', error: Buffer.from('ACME\0down') }),
      inserted(newJob(4, { payload: Buffer.from('acme in lower case') })),
    ]));
    const ids = async (f: Partial<JobFilter>) => (await store.listJobs({ limit: 10, ...f })).jobs.map((j) => j.id);
    assert.deepEqual(await ids({ text: Buffer.from('ACME') }), [3, 2, 1], 'bytes match exactly, case and all');
    assert.deepEqual(await ids({ text: Buffer.from('ACME'), minId: 2 }), [3, 2]);
    assert.deepEqual(await ids({ text: Buffer.from('ACME'), minId: 2, cursor: '3' }), [2]);
    assert.deepEqual(await ids({ text: Buffer.from('Initech') }), []);
  });

  it('cron firings: stored with their batch; the latest tick per schedule comes back', async (f) => {
    assert.deepEqual(await f.store.lastFirings(), {});
    await commit(f.store, { ...batch([inserted(newJob(1))]), firings: [{ schedule: 'nightly', tickAt: T0, jobId: 1 }] });
    await commit(f.store, { ...batch([inserted(newJob(2))]), firings: [
      { schedule: 'nightly', tickAt: T0 + 86_400_000, jobId: 2 },
      { schedule: 'hourly', tickAt: T0 + 3_600_000, jobId: null },
    ] });
    const expected = { nightly: T0 + 86_400_000, hourly: T0 + 3_600_000 };
    assert.deepEqual(await f.store.lastFirings(), expected);
    if (f.store.capabilities.durable) assert.deepEqual(await (await f.reopen()).lastFirings(), expected);
  });

  it('cron firings: pruning keeps each schedule\'s newest, in chunks', async ({ store }) => {
    const firings = [
      ...Array.from({ length: 10 }, (_, i) => ({ schedule: 'every-minute', tickAt: T0 + i * 60_000, jobId: null })),
      ...Array.from({ length: 3 }, (_, i) => ({ schedule: 'hourly', tickAt: T0 + i * 3_600_000, jobId: null })),
    ];
    await commit(store, { ...batch([]), firings });
    assert.equal(await store.firingsPrune(4, 3), 3, 'a chunk of every-minute\'s six oldest');
    assert.equal(await store.firingsPrune(4, 3), 3);
    assert.equal(await store.firingsPrune(4, 3), 0, 'hourly has only three: all kept');
    assert.deepEqual(await store.lastFirings(), { 'every-minute': T0 + 9 * 60_000, hourly: T0 + 2 * 3_600_000 });
    assert.equal(await store.firingsPrune(1, 100), 5, 'down to the newest of each');
    assert.deepEqual(await store.lastFirings(), { 'every-minute': T0 + 9 * 60_000, hourly: T0 + 2 * 3_600_000 });
  });

  it('prune: the cap alone, oldest first, in chunks', async ({ store }) => {
    await seed(store, [
      ...Array.from({ length: 10 }, (_, i) => ({ rec: newJob(i + 1), change: finishedAs('completed', now - 1000 + i) })),
      { rec: newJob(11) },
      { rec: newJob(12), change: { state: 'running', startedAt: now } },
    ]);
    const capOnly: RetentionRules = { keepMs: {}, byFunction: {}, maxFinishedJobs: 4 };
    assert.equal(await store.prune(capOnly, now, 4), 4);
    assert.deepEqual(await remaining(store), [5, 6, 7, 8, 9, 10, 11, 12]);
    assert.equal(await store.prune(capOnly, now, 4), 2);
    assert.equal(await store.prune(capOnly, now, 4), 0);
    assert.deepEqual(await remaining(store), [7, 8, 9, 10, 11, 12]);
    assert.equal(await store.prune({ keepMs: {}, byFunction: {}, maxFinishedJobs: 100 }, now, 10), 0);
  });

  it('prune: pass after pass, each job goes when its own rule says, jobs finished later too', async ({ store }) => {
    const MIN = 60_000;
    const minutes: RetentionRules = { keepMs: { completed: 10 * MIN }, byFunction: { audit: { completed: 50 * MIN } }, maxFinishedJobs: 0 };
    await seed(store, [
      { rec: newJob(1, { fn: 'audit' }), change: finishedAs('completed', now - 20 * MIN) },
      { rec: newJob(2), change: finishedAs('completed', now - 20 * MIN) },
      { rec: newJob(3), change: finishedAs('completed', now - 5 * MIN) },
    ]);
    assert.equal(await store.prune(minutes, now, 100), 1);
    assert.deepEqual(await remaining(store), [1, 3]);
    await commit(store, batch([inserted(newJob(4), finishedAs('completed', now + MIN)),
      inserted(newJob(5, { fn: 'audit' }), finishedAs('completed', now + MIN))]));
    assert.equal(await store.prune(minutes, now + 6 * MIN, 100), 1, 'job 3 is due now');
    assert.deepEqual(await remaining(store), [1, 4, 5]);
    assert.equal(await store.prune(minutes, now + 12 * MIN, 100), 1, 'job 4, finished after the first pass');
    assert.equal(await store.prune(minutes, now + 31 * MIN, 100), 1, 'audit job 1 after its 50 minutes');
    assert.deepEqual(await remaining(store), [5]);
    assert.equal(await store.prune(minutes, now + 52 * MIN, 100), 1);
    assert.deepEqual(await remaining(store), []);
  });

  it('prune: the cap counts the jobs finished since its last pass, by a change or submitted finished', async ({ store }) => {
    const capOnly: RetentionRules = { keepMs: {}, byFunction: {}, maxFinishedJobs: 3 };
    await seed(store, [
      ...[1, 2, 3].map((id) => ({ rec: newJob(id), change: finishedAs('completed', now - 100 + id) })),
      { rec: newJob(4) },
    ]);
    assert.equal(await store.prune(capOnly, now, 10), 0, 'three finished: at the cap');
    await commit(store, batch([delta(4, finishedAs('failed', now - 10)), inserted(newJob(5), finishedAs('completed', now - 5))]));
    assert.equal(await store.prune(capOnly, now, 10), 2, 'two more finished: the two oldest go');
    assert.deepEqual(await remaining(store), [3, 4, 5]);
    await commit(store, batch([inserted(newJob(6), finishedAs('cancelled', now - 1))]));
    assert.equal(await store.prune(capOnly, now + 1, 10), 1);
    assert.deepEqual(await remaining(store), [4, 5, 6]);
  });

  it('payloads: empty and missing blobs stay apart, mixed in one batch with others, inserted and updated', async ({ store }) => {
    const empty = Buffer.alloc(0);
    await commit(store, batch([
      inserted(newJob(1, { payload: empty, payloadSize: 0 }), { ...finishedAs('completed', T0), result: empty, resultSize: 0 }),
      inserted(newJob(2, { payload: Buffer.from('two'), payloadSize: 3 })),
      inserted(newJob(3, { payload: Buffer.from([0, 1, 0]), payloadSize: 3 }),
        { ...finishedAs('failed', T0), error: Buffer.from('e\0rr'), outcome: 'exception' }),
      inserted(newJob(4, { payload: empty, payloadSize: 0 })),
    ]));
    await commit(store, batch([
      delta(2, { ...finishedAs('completed', T0 + 1), result: Buffer.from('done'), resultSize: 4 }),
      delta(4, { ...finishedAs('failed', T0 + 1), error: empty, outcome: 'exception' }),
    ]));
    const blobs = async (id: number) => {
      const r = (await store.findJob(`H:test:${id}`))!;
      return [r.payload.toString('latin1'), r.result?.toString('latin1') ?? null, r.error?.toString('latin1') ?? null];
    };
    assert.deepEqual(await blobs(1), ['', '', null]);
    assert.deepEqual(await blobs(2), ['two', 'done', null]);
    assert.deepEqual(await blobs(3), ['\0\u0001\0', null, 'e\0rr']);
    assert.deepEqual(await blobs(4), ['', null, '']);
  });

  it('WORK_DATA: appended batch after batch, to an inserted record and to a stored one, bytes intact', async ({ store }) => {
    await commit(store, batch([
      inserted(newJob(1), { state: 'running', startedAt: T0, dataChunks: 2, data: Buffer.from('one\0two '), dataSize: 8 }),
      inserted(newJob(2)),
    ]));
    await commit(store, batch([delta(1, { dataChunks: 1, data: Buffer.from([0xff, 0x00]), dataSize: 2 }), delta(2, { state: 'running' })]));
    // Job 2's chunk was over the cap: counted, not kept.
    await commit(store, batch([delta(1, finishedAs('completed', T0 + 5)), delta(2, { dataChunks: 1, dataSize: 5000 })]));
    await commit(store, batch([delta(2, { dataChunks: 1, data: Buffer.from('late'), dataSize: 4 })]));
    const one = (await store.findJob('H:test:1'))!;
    assert.deepEqual([one.data, one.dataSize, one.dataChunks, one.state],
      [Buffer.concat([Buffer.from('one\0two '), Buffer.from([0xff, 0x00])]), 10, 3, 'completed']);
    const two = (await store.findJob('H:test:2'))!;
    assert.deepEqual([two.data, two.dataSize, two.dataChunks], [Buffer.from('late'), 5004, 2]);
    assert.equal((await store.listJobs({ limit: 10 })).jobs.find((j) => j.id === 1)!.data!.length, 10, 'listings carry it too');
  });

  it('payloads: 1 MiB of binary with NUL bytes round-trips in lookups, recovery and results', async (f) => {
    const payload = randomBytes(1024 * 1024);
    payload.fill(0, 0, 1000);
    payload.fill(0, payload.length - 1000);
    const rec = newJob(1, { payload, payloadSize: payload.length });
    await commit(f.store, batch([inserted(rec)]));
    const active = await f.store.loadActive();
    assert.equal(active.length, 1);
    assert.ok(active[0]!.payload.equals(payload), 'loadActive gives the payload back byte for byte');
    const result = Buffer.concat([Buffer.from([0]), randomBytes(1024 * 1024 - 2), Buffer.from([0])]);
    await commit(f.store, batch([delta(1, { state: 'completed', finishedAt: T0 + 1, result, resultSize: result.length })]));
    let got = (await f.store.findJob(rec.handle))!;
    assert.ok(got.payload.equals(payload));
    assert.ok(got.result!.equals(result));
    assert.equal(got.payloadSize, payload.length);
    const again = await f.reopen();
    if (again.capabilities.durable) {
      got = (await again.findJob(rec.handle))!;
      assert.ok(got.payload.equals(payload) && got.result!.equals(result), 'and after a restart');
    }
  });

  it('claims: due jobs of the asked functions, best priority then oldest, never one job twice (stores that claim)', async ({ store }) => {
    const claims = jobClaims(store);
    if (claims === null) {
      assert.equal(store.capabilities.multiNode, false, 'a store shared by several nodes must offer claims');
      return;
    }
    const wall = Date.now();
    await seed(store, [
      { rec: newJob(1, { priority: 2 }) },
      { rec: newJob(2, { priority: 1 }) },
      { rec: newJob(3, { priority: 0, fn: 'g' }) },
      { rec: newJob(4, { priority: 1, dueAt: wall + HOUR }) }, // not due yet
      { rec: newJob(5, { priority: 0, dueAt: wall - HOUR }) }, // scheduled, already due
      { rec: newJob(6, { priority: 0 }) },
      { rec: newJob(7, { priority: 0 }), change: finishedAs('completed', T0) },
      { rec: newJob(8, { priority: 0 }), change: { state: 'running', startedAt: T0, attempts: 1 } },
      { rec: newJob(9, { priority: 0, fn: 'h' }) },
    ]);
    const first = await claims.claimNext(['f', 'g'], 3, 'node-a#1');
    assert.deepEqual(ids(first), [3, 5, 6]);
    assert.ok(first.every((j) => j.state === 'running' && j.attempts === 1));
    const rec = (await store.findJob('H:test:5'))!;
    assert.equal(rec.state, 'running');
    assert.equal(rec.worker, 'node-a#1');
    assert.ok(rec.startedAt !== null && Math.abs(rec.startedAt - wall) < 60_000, 'started by the store\'s clock');
    assert.deepEqual(ids(await claims.claimNext(['f', 'g'], 10, 'node-a#1')), [2, 1]);
    assert.deepEqual(await claims.claimNext(['f', 'g'], 10, 'node-a#1'), [], 'job 4 is not due');
    assert.deepEqual(await claims.claimNext([], 10, 'x'), []);

    // Concurrent claimers get disjoint jobs and together get them all.
    const many: JobDelta[] = [];
    for (let id = 100; id < 400; id++) many.push(inserted(newJob(id, { fn: id % 2 === 0 ? 'p' : 'q', priority: (id % 3) as 0 | 1 | 2 })));
    await commit(store, batch(many));
    const claimer = async (n: number) => {
      const got: number[] = [];
      for (;;) {
        const jobs = await claims.claimNext(['p', 'q'], 7, `claimer-${n}`);
        if (jobs.length === 0) return got;
        got.push(...ids(jobs));
      }
    };
    const results = await Promise.all([0, 1, 2, 3].map(claimer));
    const all = results.flat();
    assert.equal(all.length, 300);
    assert.equal(new Set(all).size, 300, 'no job claimed twice');
  });

  it('roll-ups: appended rows come back by range and function, oldest first, and survive a restart', async (f) => {
    const MIN = 60_000;
    const rows = [
      rollup('resize', T0 + MIN, { completed: 7, runtime: { p50: 12.5, p95: 80.25, p99: 99.75, count: 7 } }),
      rollup('resize', T0, { submitted: 3, failed: 1, exceptions: 1 }),
      rollup('caf\u00e9', T0, { queued: 42, workers: 2, running: 1 }),
      rollup('resize', T0 + 2 * MIN, { retried: 2, cancelled: 1 }),
    ];
    await f.store.rollupsAppend(rows.slice(0, 2));
    await f.store.rollupsAppend(rows.slice(2));
    await f.store.rollupsAppend([]);
    const expectAll = [rows[2], rows[1], rows[0], rows[3]];
    assert.deepEqual(await f.store.rollupsRange({ fn: null, since: T0, until: T0 + 3 * MIN, limit: 100 }), expectAll);
    assert.deepEqual(await f.store.rollupsRange({ fn: 'resize', since: T0 + MIN, until: T0 + 3 * MIN, limit: 100 }),
      [rows[0], rows[3]], 'since inclusive, one function');
    assert.deepEqual(await f.store.rollupsRange({ fn: 'resize', since: T0, until: T0 + 2 * MIN, limit: 1 }), [rows[1]],
      'until exclusive, limited');
    assert.deepEqual(await f.store.rollupsRange({ fn: 'nope', since: 0, until: T0 * 2, limit: 10 }), []);
    const same = rollup('resize', T0, { submitted: 5 });
    await f.store.rollupsAppend([same]);
    assert.equal((await f.store.rollupsRange({ fn: 'resize', since: T0, until: T0 + 1, limit: 10 })).length, 2,
      'a second row for the same minute is kept (several nodes, or a restart)');
    if (f.store.capabilities.durable) {
      const again = await f.reopen();
      assert.deepEqual(await again.rollupsRange({ fn: null, since: T0 + MIN, until: T0 + 3 * MIN, limit: 100 }),
        [rows[0], rows[3]]);
    }
  });

  it('roll-ups: prune deletes minutes before the cut-off, oldest first, in chunks', async ({ store }) => {
    const MIN = 60_000;
    await store.rollupsAppend(Array.from({ length: 10 }, (_, i) => rollup(i % 2 === 0 ? 'a' : 'b', T0 + i * MIN)));
    assert.equal(await store.rollupsPrune(T0 + 5 * MIN, 3), 3);
    const left = async () => (await store.rollupsRange({ fn: null, since: 0, until: T0 * 2, limit: 100 })).map((r) => (r.at - T0) / MIN);
    assert.deepEqual(await left(), [3, 4, 5, 6, 7, 8, 9]);
    assert.equal(await store.rollupsPrune(T0 + 5 * MIN, 3), 2);
    assert.equal(await store.rollupsPrune(T0 + 5 * MIN, 3), 0);
    assert.deepEqual(await left(), [5, 6, 7, 8, 9]);
  });
}

function rollup(fn: string, at: number, over: Partial<RollupRecord> = {}): RollupRecord {
  const none = { p50: null, p95: null, p99: null, count: 0 };
  return {
    fn, at, submitted: 0, completed: 0, failed: 0, exceptions: 0, retried: 0, cancelled: 0,
    wait: { ...none }, runtime: { ...none }, timeToCompletion: { p50: 3, p95: 4.5, p99: 1e7, count: 2 },
    queued: 0, running: 0, workers: 0, ...over,
  };
}

/** Two different uniques with the same hash in the SQLite store's unique keys. */
function collidingUniques(): [string, string] {
  const seen = new Map<number, string>();
  for (let i = 0; ; i++) {
    const u = `collide-${i}`;
    const h = uniqueHash(u);
    const earlier = seen.get(h);
    if (earlier !== undefined) return [earlier, u];
    seen.set(h, u);
  }
}
