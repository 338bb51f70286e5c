/**
 * The journal between engine and store: what is committed when, how a job's changes collapse into
 * one record per batch, and what happens when the store refuses a batch.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { Journal, type BackPressure, type JournalOptions } from '../../src/store/journal.js';
import { MemoryStore } from '../../src/store/memory/memory-store.js';
import type { CommitBatch } from '../../src/store/store.js';
import { PacketType } from '../../src/protocol/packets.js';
import { setup as engineSetup } from '../engine/engine-setup.js';
import { bytesOf } from '../support/bytes.js';

const silent = pino({ level: 'silent' });

/** A memory store that records the batches it is sent and can be told to refuse them or answer later. */
class ProbeStore extends MemoryStore {
  batches: CommitBatch[] = [];
  refuse: Error | null = null;
  /** When set, commits are answered only when `release()` is called. */
  async = false;
  private pending: { batch: CommitBatch; resolve: () => void; reject: (e: Error) => void }[] = [];

  override commit(batch: CommitBatch): void | Promise<void> {
    if (this.refuse !== null) throw this.refuse;
    this.batches.push(batch);
    if (this.async) return new Promise<void>((resolve, reject) => this.pending.push({ batch, resolve, reject }));
    this.apply(batch);
  }

  /** Stores the batch (when the commit is answered). */
  protected apply(batch: CommitBatch): void {
    super.commit(batch);
  }

  /** Answers the commits waiting: stored, or refused with `error`. */
  release(error: Error | null = null): void {
    for (const p of this.pending.splice(0)) {
      if (error !== null) {
        p.reject(error);
        continue;
      }
      this.apply(p.batch);
      p.resolve();
    }
  }
}

/**
 * A store like the SQL drivers: done with a batch's buffers once its commit is answered, so the
 * journal reuses their memory (blob-arena.ts). It keeps copies, made when it applies a batch.
 */
class CopyingStore extends ProbeStore {
  override readonly capabilities = { durable: false, multiNode: false, keepsBatchBuffers: false };

  protected override apply(batch: CommitBatch): void {
    const copy = (b: Buffer | null) => (b === null ? null : Buffer.from(b));
    super.apply({
      ...batch,
      deltas: batch.deltas.map((d) => ({
        ...d, insert: d.insert === null ? null : { ...d.insert, payload: copy(d.insert.payload)! },
        result: copy(d.result), error: copy(d.error), data: copy(d.data),
      })),
    });
  }
}

function setup(options: Partial<JournalOptions> = {}, store = new ProbeStore()) {
  const t = engineSetup();
  const journal = new Journal(t.engine, store, silent, {
    maxStoredBytes: 16, lazyCommitMs: 5, maxBatchJobs: 1000, ...options,
  });
  const settled: [number, Error | null][] = [];
  journal.onCommit((batch, err) => settled.push([batch, err]));
  return { ...t, store, journal, settled };
}

test('journal: a background submission makes the batch urgent and commits it durably', () => {
  const t = setup();
  const job = t.submit(t.session(), 'f', { background: true, unique: 'u1' });
  assert.equal(t.journal.hasUrgent, true);
  t.journal.commitIfUrgent();
  assert.equal(t.store.batches.length, 1);
  const b = t.store.batches[0]!;
  assert.equal(b.sync, true);
  assert.equal(b.deltas.length, 1);
  assert.equal(b.deltas[0]!.insert!.handle, job.handle);
  assert.equal(b.deltas[0]!.state, 'queued');
  assert.equal(b.nextHandle, job.id + 1);
  assert.deepEqual(t.settled, [[1, null]]);
});

test('journal: submitted, started and finished in one batch is one insert carrying the end state', async () => {
  const t = setup();
  const w = t.worker(['f']);
  const job = t.submit(t.session(), 'f', { background: true });
  t.engine.grab(w);
  t.engine.workComplete(w, job.handle, Buffer.from('result'));
  t.journal.commit();
  const d = t.store.batches[0]!.deltas;
  assert.equal(d.length, 1);
  assert.ok(d[0]!.insert);
  assert.equal(d[0]!.state, 'completed');
  assert.equal(d[0]!.attempts, 1);
  assert.equal(d[0]!.result!.toString(), 'result');
  const rec = await t.store.findJob(job.handle);
  assert.equal(rec!.state, 'completed');
  assert.ok(rec!.startedAt !== null && rec!.finishedAt !== null);
  assert.match(rec!.worker!, /^127\.0\.0\.1#\d+$/);
});

test('journal: foreground records wait for the lazy timer and are not fsync\'d', async () => {
  const t = setup({ lazyCommitMs: 5 });
  t.submit(t.session(), 'f', { payload: 'x' });
  t.journal.commitIfUrgent();
  assert.equal(t.store.batches.length, 0, 'nothing urgent: no commit this turn');
  await new Promise((r) => setTimeout(r, 30));
  assert.equal(t.store.batches.length, 1);
  assert.equal(t.store.batches[0]!.sync, false);
});

test('journal: a large batch is committed without waiting for the timer', () => {
  const t = setup({ maxBatchJobs: 10, lazyCommitMs: 60000 });
  const c = t.session();
  for (let i = 0; i < 10; i++) t.submit(c, 'f', { payload: `p${i}` });
  t.journal.commitIfUrgent();
  assert.equal(t.store.batches.length, 1);
  assert.equal(t.store.batches[0]!.deltas.length, 10);
});

test('journal: foreground payloads and results are capped, background payloads kept whole', async () => {
  const t = setup({ maxStoredBytes: 16 });
  const w = t.worker(['f']);
  const big = Buffer.alloc(100, 7);
  const fg = t.submit(t.session(), 'f', { payload: big });
  const bg = t.submit(null, 'f', { payload: big, background: true });
  t.engine.grab(w);
  t.engine.workComplete(w, fg.handle, Buffer.alloc(50, 1));
  t.journal.commit();
  const fgRec = (await t.store.findJob(fg.handle))!;
  assert.equal(fgRec.payload.length, 16);
  assert.equal(fgRec.payloadSize, 100);
  assert.equal(fgRec.result!.length, 16);
  assert.equal(fgRec.resultSize, 50);
  const bgRec = (await t.store.findJob(bg.handle))!;
  assert.equal(bgRec.payload.length, 100, 'a background payload is needed whole to run it after a restart');
});

test('journal: requeues, warnings and cancellations are in the timeline', async () => {
  const t = setup();
  const w = t.worker(['f']);
  const c = t.session();
  const job = t.submit(c, 'f', { background: true });
  t.engine.grab(w);
  t.engine.workData(w, 29 /* WORK_WARNING */, job.handle, Buffer.from('careful'));
  t.engine.close(w);
  assert.ok(t.engine.cancel(job.handle));
  t.journal.commit();
  const events = await t.store.jobEvents(job.id);
  assert.deepEqual(events.map((e) => [e.type, e.detail]),
    [['warning', 'careful'], ['requeued', `lost (attempt 1 on ${w.name})`], ['cancelled', null]],
    'the requeue names the worker of the attempt it ended');
  const rec = (await t.store.findJob(job.handle))!;
  assert.equal(rec.state, 'cancelled');
  assert.equal(rec.warnings, 1);
  assert.equal(rec.retries, 1);
});

test('journal: a refused batch withdraws its background jobs and reports the error', () => {
  const t = setup();
  const job = t.submit(t.session(), 'f', { background: true, unique: 'gone' });
  t.store.refuse = new Error('database or disk is full');
  t.journal.commitIfUrgent();
  assert.equal(t.settled.length, 1);
  assert.match(t.settled[0]![1]!.message, /disk is full/);
  assert.equal(t.engine.status(job.handle).known, false, 'the job is not kept in memory either');
  assert.equal(t.engine.fn('f').total, 0);
  // The next submission with the same unique is a new job, and commits once the store is back.
  t.store.refuse = null;
  const again = t.submit(t.session(), 'f', { background: true, unique: 'gone' });
  assert.notEqual(again.handle, job.handle);
  t.journal.commitIfUrgent();
  assert.deepEqual(t.settled[1], [2, null]);
  assert.equal(t.journal.lastError, null);
});

test('journal: with an asynchronous store one commit runs at a time and the next batch collects meanwhile', async () => {
  const t = setup();
  t.store.async = true;
  const c = t.session();
  t.submit(c, 'f', { background: true, payload: 'a' });
  t.journal.commitIfUrgent();
  t.submit(c, 'f', { background: true, payload: 'b' });
  t.submit(c, 'f', { background: true, payload: 'c' });
  t.journal.commitIfUrgent();
  assert.equal(t.store.batches.length, 1, 'second commit waits for the first');
  t.store.release();
  await new Promise((r) => setImmediate(r));
  assert.equal(t.store.batches.length, 2);
  assert.deepEqual(t.store.batches[1]!.deltas.map((d) => d.insert!.payload.toString()), ['b', 'c']);
  assert.deepEqual(t.settled.map(([b]) => b), [1]);
  t.store.release();
  await t.journal.drain();
  assert.deepEqual(t.settled.map(([b]) => b), [1, 2]);
});

test('journal: changes refused with a batch are kept and stored with the next one that succeeds', async () => {
  const t = setup();
  const w = t.worker(['f']);
  const stored = t.submit(t.session(), 'f', { background: true, payload: 'on record' });
  t.journal.commitIfUrgent();
  // The disk fills up: the completion of a job already on record and a new submission are refused.
  t.store.refuse = new Error('database or disk is full');
  t.engine.grab(w);
  t.engine.workComplete(w, stored.handle, Buffer.from('done'));
  const refused = t.submit(t.session(), 'f', { background: true, payload: 'refused' });
  t.journal.commitIfUrgent();
  assert.equal(t.engine.status(refused.handle).known, false);
  // Space returns: the next commit carries the completion; the refused job never reaches the store.
  t.store.refuse = null;
  t.journal.commit();
  const rec = (await t.store.findJob(stored.handle))!;
  assert.equal(rec.state, 'completed');
  assert.equal(rec.result!.toString(), 'done');
  assert.equal(await t.store.findJob(refused.handle), null);
});

test('journal: for a store done with batch buffers once stored, large payloads and results reuse memory and stay intact', async () => {
  const t = setup({ maxStoredBytes: 1 << 20 }, new CopyingStore());
  t.store.async = true;
  const w = t.worker(['f']);
  const c = t.session();
  /** One foreground job with a 5 KB payload run to completion with a 6 KB result (one batch). */
  const runJob = (name: string) => {
    const job = t.submit(c, 'f', { payload: bytesOf(`payload ${name}`, 5000) });
    t.engine.grab(w);
    t.engine.workComplete(w, job.handle, bytesOf(`result ${name}`, 6000));
    return { name, handle: job.handle };
  };
  const check = async (jobs: { name: string; handle: string }[]) => {
    for (const j of jobs) {
      const rec = (await t.store.findJob(j.handle))!;
      assert.ok(rec.payload.equals(bytesOf(`payload ${j.name}`, 5000)), `${j.name}: payload intact`);
      assert.ok(rec.result!.equals(bytesOf(`result ${j.name}`, 6000)), `${j.name}: result intact`);
    }
  };
  const memoryOf = (batch: number) => new Set(t.store.batches[batch]!.deltas.map((d) => d.result!.buffer));

  // Batch 1 in flight while batch 2 collects: the two never share memory.
  const first = [runJob('a1'), runJob('a2')];
  t.journal.commit();
  const second = [runJob('b1'), runJob('b2')];
  t.journal.commit();
  assert.equal(t.store.batches.length, 1);
  t.store.release();
  await new Promise((r) => setImmediate(r));
  assert.equal(t.store.batches.length, 2);
  assert.ok([...memoryOf(1)].every((m) => !memoryOf(0).has(m)), 'a batch collected while another is in flight has memory of its own');
  t.store.release();
  await t.journal.drain();
  await check([...first, ...second]);

  // Stored: the next batch reuses that memory.
  const third = [runJob('c1')];
  t.journal.commit();
  assert.ok([...memoryOf(2)].some((m) => memoryOf(0).has(m) || memoryOf(1).has(m)), 'the memory of stored batches is reused');
  t.store.release();
  await t.journal.drain();

  // A refused batch's bytes are not reused before they are stored, with the batch after it.
  t.store.async = false;
  t.store.refuse = new Error('disk full');
  const refusedOnce = [runJob('d1'), runJob('d2')];
  t.journal.commit();
  t.store.refuse = null;
  const after = [runJob('e1')];
  t.journal.commit();
  const last = [runJob('f1')];
  t.journal.commit();
  await check([...first, ...second, ...third, ...refusedOnce, ...after, ...last]);
});

test('journal: a change that produces no reply (a worker\'s WORK_COMPLETE) is committed on its own', async () => {
  const t = setup({ lazyCommitMs: 5 });
  const w = t.worker(['f']);
  const job = t.submit(null, 'f', { background: true });
  t.journal.commit();
  t.engine.grab(w);
  t.engine.workComplete(w, job.handle, Buffer.from('done'));
  // Nobody calls commitIfUrgent (no connection had output): the journal must see to it itself.
  await new Promise((r) => setTimeout(r, 40));
  assert.equal((await t.store.findJob(job.handle))!.state, 'completed');
});

/**
 * A journal whose store answers only when told (`t.store.release()`), with a first background job
 * in flight; `calls` records the back-pressure it asks for.
 */
function behindSlowStore(options: Partial<JournalOptions>, firstPayload: string) {
  const t = setup(options);
  const calls: BackPressure[] = [];
  t.journal.onBackPressure = (p) => calls.push(p);
  t.store.async = true;
  const c = t.session();
  const submit = (payload: string) => t.submit(c, 'f', { background: true, payload });
  submit(firstPayload);
  t.journal.commitIfUrgent(); // in flight, not answered yet
  return { ...t, calls, submit };
}

test('journal: a store that falls behind holds new work back until half of the backlog is stored', async () => {
  const t = behindSlowStore({ maxBacklogJobs: 4 }, 'first');
  for (let i = 0; i < 4; i++) t.submit(`p${i}`);
  assert.deepEqual(t.calls, ['new-work'], 'four jobs waiting behind a slow commit: hold new work');
  t.store.release();
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(t.calls, ['new-work'], 'the first batch is in; the four still wait');
  t.store.release();
  await t.journal.drain();
  assert.deepEqual(t.calls, ['new-work', 'none'], 'caught up: take new work again');
});

test('journal: a backlog that keeps growing to twice the limit stops all reading, until it is half stored', async () => {
  const t = behindSlowStore({ maxBacklogJobs: 4 }, 'first');
  for (let i = 0; i < 7; i++) t.submit(`p${i}`);
  assert.deepEqual(t.calls, ['new-work'], 'seven waiting: over the limit, under twice it');
  t.submit('p7');
  assert.deepEqual(t.calls, ['new-work', 'everything'], 'eight waiting: twice the limit');
  t.submit('p8');
  assert.deepEqual(t.calls, ['new-work', 'everything'], 'told once');
  t.store.release();
  await new Promise((r) => setImmediate(r));
  t.store.release();
  await t.journal.drain();
  assert.deepEqual(t.calls, ['new-work', 'everything', 'none'], 'caught up: everyone is read again');
});

test('journal: big results held for a slow store hold new work back by bytes, before the job count is reached', async () => {
  const t = behindSlowStore({ maxBacklogJobs: 1000, maxBacklogBytes: 1000, maxStoredBytes: 1 << 20 }, 'x'.repeat(600));
  assert.deepEqual(t.calls, [], '600 bytes in flight');
  t.submit('y'.repeat(500));
  assert.deepEqual(t.calls, ['new-work'], '600 in flight + 500 pending reach 1000 bytes with two jobs');
  t.store.release();
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(t.calls, ['new-work'], 'the first batch is in; 500 bytes pending are not under half yet');
  t.store.release();
  await t.journal.drain();
  assert.deepEqual(t.calls, ['new-work', 'none'], 'caught up: take new work again');
});

test('journal: WORK_DATA is counted, and with keepWorkData kept in order up to the cap per job, across batches', async () => {
  for (const keepWorkData of [false, true]) {
    const t = setup({ keepWorkData, maxStoredBytes: 10 });
    const job = t.submit(t.session(), 'f', { payload: 'p' });
    const w = t.worker(['f']);
    t.engine.grab(w);
    const send = (text: string) => t.engine.workData(w, PacketType.WORK_DATA, job.handle, Buffer.from(text));
    send('abc');
    send('\0de');
    await t.journal.commitAndWait(false);
    send('fghijkl'); // only 'fghi' fits under the 10-byte cap
    send('more');
    t.engine.workComplete(w, job.handle, Buffer.from('done'));
    await t.journal.drain();
    const rec = (await t.store.findJob(job.handle))!;
    assert.equal(rec.dataChunks, 4);
    assert.equal(rec.dataSize, 17, 'every byte received is counted');
    assert.deepEqual(rec.data, keepWorkData ? Buffer.from('abc\0defghi') : null, `keepWorkData ${keepWorkData}`);
    const sent = t.store.batches.flatMap((b) => b.deltas).map((d) => d.data?.toString('latin1') ?? null);
    assert.deepEqual(sent.filter((x) => x !== null), keepWorkData ? ['abc\0de', 'fghi'] : [], 'two batches, each with what came');
  }
});

test('journal: kept WORK_DATA survives a refused batch, in order with what came after', async () => {
  const t = setup({ keepWorkData: true, maxStoredBytes: 100 });
  const job = t.submit(t.session(), 'f', { payload: 'p' });
  const w = t.worker(['f']);
  t.engine.grab(w);
  const send = (text: string) => t.engine.workData(w, PacketType.WORK_DATA, job.handle, Buffer.from(text));
  t.store.async = true;
  send('one ');
  t.journal.commit(); // in flight...
  send('two '); // ...while more comes
  t.store.release(new Error('disk full')); // refused: 'one ' comes back, to go before 'two '
  await new Promise((r) => setImmediate(r));
  t.store.async = false;
  send('three');
  t.engine.workComplete(w, job.handle, Buffer.from('done'));
  await t.journal.drain();
  const rec = (await t.store.findJob(job.handle))!;
  assert.deepEqual([rec.data?.toString(), rec.dataSize, rec.dataChunks, rec.state], ['one two three', 13, 3, 'completed']);
});
