/**
 * The SQLite store keeps payloads and results of MIN_EXTERNAL_BYTES or more in blob segment files
 * (src/store/sqlite/blob-segments.ts), its rows holding references. Everything that reads a job
 * must still see the whole bytes, batches must apply in order, and retention must remove segments
 * nobody refers to any more, and only those.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { BlobSegments, MIN_EXTERNAL_BYTES, blobRef } from '../../src/store/sqlite/blob-segments.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { RetentionRules } from '../../src/store/store.js';
import { T0, batch, commit, delta, inserted, newJob } from './conformance.js';
import { bytesOf } from '../support/bytes.js';

const DAY = 86_400_000;
/** Failures kept 30 days, everything else one day; `now` is 60 days after the test jobs' T0. */
const rules: RetentionRules = {
  keepMs: { completed: DAY, failed: 30 * DAY, cancelled: DAY, abandoned: DAY }, byFunction: {}, maxFinishedJobs: 0,
};
const now = T0 + 60 * DAY;

async function setup(t: TestContext) {
  const dataDir = mkdtempSync(join(tmpdir(), 'gearhq-blobs-'));
  let store = new SqliteStore({ dataDir, durability: 'fsync' });
  await store.open();
  t.after(async () => {
    await store.close();
    rmSync(dataDir, { recursive: true, force: true });
  });
  return {
    dataDir,
    get store() { return store; },
    async reopen() {
      await store.close();
      store = new SqliteStore({ dataDir, durability: 'fsync' });
      await store.open();
      return store;
    },
    /** The segment files on disk. */
    segments: () => readdirSync(join(dataDir, 'blobs')).sort(),
    /** What the rows hold, read past the store: column lengths and the `external` bits. */
    rawRow(id: number) {
      const db = new Database(join(dataDir, 'gearhq.sqlite'), { readonly: true });
      try {
        return db.prepare('SELECT length(payload) AS payload, length(result) AS result, external, blob_segment FROM jobs WHERE id = ?')
          .get(id) as { payload: number; result: number | null; external: number; blob_segment: number | null };
      } finally {
        db.close();
      }
    },
  };
}

test('blob segments: large payloads and results are kept outside the rows and read back whole by every lookup', async (t) => {
  const f = await setup(t);
  const bigPayload = bytesOf('payload of job 1', 10 * 1024);
  const bigResult = bytesOf('result of job 1', 20 * 1024);
  const queuedPayload = bytesOf('payload of job 2', 64 * 1024);
  const edge = bytesOf('payload of job 3', MIN_EXTERNAL_BYTES);
  const under = bytesOf('payload of job 4', MIN_EXTERNAL_BYTES - 1);
  await commit(f.store, batch([
    inserted(newJob(1, { payload: bigPayload, payloadSize: bigPayload.length, unique: 'one', background: false }), {
      state: 'completed', startedAt: T0 + 2, finishedAt: T0 + 3, attempts: 1, worker: 'w', result: bigResult, resultSize: bigResult.length,
    }),
    inserted(newJob(2, { payload: queuedPayload, payloadSize: queuedPayload.length })),
    inserted(newJob(3, { payload: edge, payloadSize: edge.length })),
    inserted(newJob(4, { payload: under, payloadSize: under.length })),
  ]));

  assert.deepEqual(f.rawRow(1), { payload: 16, result: 16, external: 3, blob_segment: 1 }, 'job 1: two references');
  assert.deepEqual(f.rawRow(2), { payload: 16, result: null, external: 1, blob_segment: 1 });
  assert.deepEqual(f.rawRow(3), { payload: 16, result: null, external: 1, blob_segment: 1 }, 'a blob of exactly the threshold goes out');
  assert.deepEqual(f.rawRow(4), { payload: MIN_EXTERNAL_BYTES - 1, result: null, external: 0, blob_segment: null }, 'one byte less stays in');
  assert.deepEqual(f.segments(), ['00000001.seg']);

  const one = await f.store.findJob('H:test:1');
  assert.ok(one !== null);
  assert.ok(one.payload.equals(bigPayload) && one.result!.equals(bigResult), 'findJob: whole payload and result');
  assert.ok((await f.store.findByUnique('one', 1))[0]!.result!.equals(bigResult), 'findByUnique: whole result');
  const listed = await f.store.listJobs({ limit: 10 });
  assert.deepEqual(listed.jobs.map((j) => j.payload.length), [under.length, edge.length, queuedPayload.length, bigPayload.length]);
  assert.ok(listed.jobs[2]!.payload.equals(queuedPayload));

  // Text search reads the bytes wherever they are; the word is near the end of each blob.
  const found = async (text: string) => (await f.store.listJobs({ limit: 10, text: Buffer.from(text) })).jobs.map((j) => j.id);
  assert.deepEqual(await found('result of job 1'), [1], 'text inside an external result');
  assert.deepEqual(await found('payload of job 2'), [2], 'text inside an external payload');
  assert.deepEqual(await found('payload of job 4'), [4], 'text inside a payload kept in the row');
  assert.deepEqual(await found('nowhere'), []);

  // After a restart the queued jobs come back with their whole payloads (recovery reads them).
  await f.reopen();
  const active = await f.store.loadActive();
  assert.deepEqual(active.map((j) => j.id), [2, 3, 4]);
  assert.ok(active[0]!.payload.equals(queuedPayload) && active[1]!.payload.equals(edge) && active[2]!.payload.equals(under));
  const streamed: Buffer[] = [];
  await f.store.eachActive((j) => streamed.push(j.payload));
  assert.ok(streamed[0]!.equals(queuedPayload) && streamed[1]!.equals(edge), 'eachActive: whole payloads');
  assert.deepEqual(f.segments(), ['00000001.seg'], 'opening the store writes no segment until it has blobs to write');
});

test('blob segments: a later result replaces the earlier one, whichever way each is kept', async (t) => {
  const f = await setup(t);
  const big = bytesOf('first result', 8192);
  const bigger = bytesOf('third result', 30_000);
  await commit(f.store, batch([inserted(newJob(1), { state: 'completed', finishedAt: T0 + 5, result: big, resultSize: big.length })]));
  assert.equal(f.rawRow(1).external, 2);
  // Retried by hand: its new result is small, then large again.
  await commit(f.store, batch([delta(1, { state: 'completed', finishedAt: T0 + 9, result: Buffer.from('second'), resultSize: 6 })]));
  assert.equal(f.rawRow(1).external, 0, 'the small result is in the row, and the flag says so');
  assert.equal((await f.store.findJob('H:test:1'))!.result!.toString(), 'second');
  await commit(f.store, batch([delta(1, { state: 'completed', finishedAt: T0 + 12, result: bigger, resultSize: bigger.length })]));
  assert.ok((await f.store.findJob('H:test:1'))!.result!.equals(bigger));
  // An update without a result leaves the external one alone.
  await commit(f.store, batch([delta(1, { warnings: 1 })]));
  assert.ok((await f.store.findJob('H:test:1'))!.result!.equals(bigger));
});

test('blob segments: batches apply in the order handed over, a batch waiting for its blobs included; a failed one applies nothing', async (t) => {
  const f = await setup(t);
  const payload = bytesOf('ordered', 12_000);
  const result = bytesOf('its result', 12_000);
  // Not awaited one by one: the first waits for its segment write, the others must wait for it.
  await Promise.all([
    f.store.commit(batch([inserted(newJob(1, { payload, payloadSize: payload.length }))])),
    f.store.commit(batch([delta(1, { state: 'running', startedAt: T0 + 2, attempts: 1, worker: 'w' })])),
    f.store.commit(batch([delta(1, { state: 'completed', finishedAt: T0 + 3, result, resultSize: result.length })])),
  ]);
  const rec = (await f.store.findJob('H:test:1'))!;
  assert.equal(rec.state, 'completed');
  assert.equal(rec.attempts, 1);
  assert.ok(rec.payload.equals(payload) && rec.result!.equals(result));

  // A duplicate id fails the batch after its blobs were written: none of it is applied...
  const other = bytesOf('never stored', 9000);
  await assert.rejects(async () => {
    await f.store.commit(batch([inserted(newJob(2, { payload: other, payloadSize: other.length })), inserted(newJob(1))]));
  });
  assert.equal(await f.store.findJob('H:test:2'), null);
  // ...and the store goes on, with the same bytes readable.
  await commit(f.store, batch([inserted(newJob(2, { payload: other, payloadSize: other.length }))]));
  assert.ok((await f.store.findJob('H:test:2'))!.payload.equals(other));
  assert.ok((await f.store.findJob('H:test:1'))!.result!.equals(result));
});

test('blob segments: retention removes a segment once no kept job refers to it or an older one, never the one being written', async (t) => {
  const f = await setup(t);
  const finishedJob = async (id: number, finishedAt: number, state: 'completed' | 'failed' = 'completed') => {
    const payload = bytesOf(`payload ${id}`, 5000);
    await commit(f.store, batch([inserted(newJob(id, { payload, payloadSize: payload.length }), { state, finishedAt })]));
  };
  // Each opening of the store writes a segment of its own: jobs 1-2 in 1, job 3 in 2, job 4 in 3.
  await finishedJob(1, T0);
  await finishedJob(2, now - 10 * DAY, 'failed');
  await f.reopen();
  await finishedJob(3, now - 2 * DAY);
  await f.reopen();
  await finishedJob(4, now);
  assert.deepEqual(f.segments(), ['00000001.seg', '00000002.seg', '00000003.seg']);

  // Jobs 1 and 3 are past their keep time; job 2, failed, is kept 30 days and holds segment 1,
  // and with it the newer ones (segments go oldest first).
  assert.equal(await f.store.prune(rules, now, 1000), 2);
  assert.deepEqual(f.segments(), ['00000001.seg', '00000002.seg', '00000003.seg']);
  assert.ok((await f.store.findJob('H:test:2'))!.payload.equals(bytesOf('payload 2', 5000)));

  // Once job 2 and job 4 are gone, nothing refers to any segment; the one being written stays.
  assert.equal(await f.store.prune(rules, now + 21 * DAY, 1000), 2);
  assert.deepEqual(f.segments(), ['00000003.seg'], 'segments 1 and 2 are removed, segment 3 is still written to');
  await f.reopen();
  await f.store.prune(rules, now + 21 * DAY, 1000);
  assert.deepEqual(f.segments(), [], 'after a restart nothing writes to segment 3, and it goes');
});

for (const bypassPageCache of [true, false]) {
  test(`blob segments (${bypassPageCache ? 'O_DIRECT' : 'through the page cache'}): appends over several staging buffers, a sync, a new segment per opening, bytes read back`, async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'gearhq-segments-'));
    try {
      const blobs = [bytesOf('a', 5000), bytesOf('b', 6 * 1024 * 1024 + 3), bytesOf('c', 1), bytesOf('d', 70_000)];
      const first = new BlobSegments(dir, { bypassPageCache });
      first.open();
      const one = await first.append(blobs.slice(0, 2), false);
      const two = await first.append(blobs.slice(2), true);
      // Asked for O_DIRECT it depends on the file system (ext4 has it); asked not to, never.
      if (bypassPageCache) t.diagnostic(`O_DIRECT under ${tmpdir()}: ${first.bypassesPageCache}`);
      else assert.equal(first.bypassesPageCache, false);
      assert.equal(first.needsSync, false, 'a sync append leaves nothing unsynced');
      first.close();
      const again = new BlobSegments(dir, { bypassPageCache });
      again.open();
      const three = await again.append([blobs[0]!], false);
      assert.deepEqual([one.segment, two.segment, three.segment], [1, 1, 2]);
      [...one.refs, ...two.refs].forEach((ref, i) => assert.ok(again.read(ref)!.equals(blobs[i]!), `blob ${i} read back whole`));
      assert.ok(again.read(three.refs[0]!)!.equals(blobs[0]!));
      assert.equal(again.read(blobRef(9, 0, 10)), null, 'a segment that is not there reads as nothing');
      assert.equal(again.read(blobRef(1, 50 * 1024 * 1024, 10)), null, 'bytes past the end read as nothing');
      again.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

test('blob segments: jobs kept long have their bytes moved into their rows, so the old segment they hold can go', async (t) => {
  const f = await setup(t);
  const payloadOf = (id: number) => bytesOf(`payload ${id}`, 5000);
  const resultOf = (id: number) => bytesOf(`result ${id}`, 4500);
  // Segment 1: 70 failures kept 30 days among 400 completions kept one day, all of 5 KB.
  const deltas = [];
  for (let id = 1; id <= 470; id++) {
    const failed = id <= 70;
    deltas.push(inserted(newJob(id, { payload: payloadOf(id), payloadSize: 5000 }), {
      state: failed ? 'failed' : 'completed', finishedAt: failed ? now - 5 * DAY : T0,
      ...(failed && id % 2 === 0 ? { result: resultOf(id), resultSize: 4500 } : {}),
    }));
  }
  await commit(f.store, batch(deltas));
  // Segment 2: one job still referred to from a later opening.
  await f.reopen();
  await commit(f.store, batch([inserted(newJob(471, { payload: payloadOf(471), payloadSize: 5000 }))]));
  assert.deepEqual(f.segments(), ['00000001.seg', '00000002.seg']);

  // The completions go; the failures are 70 x 5 KB of a 2.3 MB segment: moved 64 per pass.
  assert.equal(await f.store.prune(rules, now, 1000), 400);
  assert.deepEqual(f.segments(), ['00000001.seg', '00000002.seg'], 'six failures still refer to segment 1');
  assert.equal(await f.store.prune(rules, now + 1000, 1000), 0);
  assert.deepEqual(f.segments(), ['00000002.seg'], 'segment 1 is gone; segment 2, still in use, stays');
  assert.deepEqual(f.rawRow(1), { payload: 5000, result: null, external: 0, blob_segment: null });
  assert.deepEqual(f.rawRow(2), { payload: 5000, result: 4500, external: 0, blob_segment: null });
  for (const id of [1, 2, 69, 70]) {
    const rec = (await f.store.findJob(`H:test:${id}`))!;
    assert.ok(rec.payload.equals(payloadOf(id)), `job ${id}: payload moved intact`);
    if (id % 2 === 0) assert.ok(rec.result!.equals(resultOf(id)), `job ${id}: result moved intact`);
  }
  assert.equal(f.rawRow(471).external, 1, 'a job in a segment that is mostly in use keeps its reference');

  // After a restart (the rows' new bytes were committed durably) the moved jobs read the same.
  await f.reopen();
  assert.ok((await f.store.findJob('H:test:70'))!.result!.equals(resultOf(70)));
});

test('blob segments: compaction moves at most about 8 MiB per pass, so large payloads do not stall the server', async (t) => {
  const f = await setup(t);
  const MiB = 1024 * 1024;
  // 10 failures of 1.5 MiB kept among 50 completions pruned: 15 MiB to move, in two passes.
  const deltas = [];
  for (let id = 1; id <= 60; id++) {
    const payload = bytesOf(`payload ${id}`, 1.5 * MiB);
    deltas.push(inserted(newJob(id, { payload, payloadSize: payload.length }),
      { state: id <= 10 ? 'failed' : 'completed', finishedAt: id <= 10 ? now - DAY : T0 }));
  }
  await commit(f.store, batch(deltas));
  await f.reopen();
  const inRows = () => [...Array(10).keys()].filter((i) => f.rawRow(i + 1).external === 0).length;
  assert.equal(await f.store.prune(rules, now, 1000), 50);
  assert.equal(inRows(), 6, 'the first pass stops at the row that reaches 8 MiB');
  assert.deepEqual(f.segments(), ['00000001.seg']);
  await f.store.prune(rules, now + 1000, 1000);
  assert.equal(inRows(), 10);
  assert.deepEqual(f.segments(), [], 'then the segment goes');
  assert.ok((await f.store.findJob('H:test:10'))!.payload.equals(bytesOf('payload 10', 1.5 * MiB)));
});

test('blob segments: compaction counts the bytes a segment holds, not the sizes jobs were submitted with', async (t) => {
  const f = await setup(t);
  // 10 failures of which only 5 KB of a 1 MiB payload is kept (the stored-size cap), among 40
  // completions pruned: 50 KB of 250 KB still referred to. Counted by submitted size, 10 MiB.
  const deltas = [];
  for (let id = 1; id <= 50; id++) {
    const payload = bytesOf(`payload ${id}`, 5000);
    const failed = id <= 10;
    deltas.push(inserted(newJob(id, { payload, payloadSize: failed ? 1024 * 1024 : payload.length }),
      { state: failed ? 'failed' : 'completed', finishedAt: failed ? now - DAY : T0 }));
  }
  await commit(f.store, batch(deltas));
  await f.reopen();
  assert.equal(await f.store.prune(rules, now, 1000), 40);
  assert.deepEqual(f.segments(), [], 'the ten kept jobs were moved into their rows and the segment went');
  assert.ok((await f.store.findJob('H:test:3'))!.payload.equals(bytesOf('payload 3', 5000)));
});
