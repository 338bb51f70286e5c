/**
 * The durability promise under `kill -9` (issue 3, "Prove it"): submitters pipeline background jobs
 * and workers complete them while the server is killed at random moments, round after round, on
 * the same data directory and port. Every job that got JOB_CREATED must run at least once, keep
 * its handle across restarts, and still be there (GET_STATUS, `show jobs`) after each restart until
 * it ran. A background job running at the kill is assigned again; a foreground job in flight at
 * the kill is not brought back to run for nobody, and stays on record as abandoned.
 */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import {
  PacketType, RawClient, functionStatus, listedHandles, pause, readRecord, readRecords, site, statuses,
  type Durability, type Site,
} from './harness.js';

const ROUNDS = 10;
const SUBMITTERS = 3;
const WORKERS = 2;
/** Submissions in flight per submitter connection (pipelined, not waiting for each reply). */
const WINDOW = 8;
const FN = 'crash-work';
/** Nobody ever registers this function: a foreground job for it waits until the kill. */
const FG_FN = 'crash-nobody';

interface Assignment {
  round: number;
  handle: string;
}

/** What the clients saw, across every round. */
interface Ledger {
  /** unique → handle, for every JOB_CREATED a submitter received. */
  acked: Map<string, string>;
  ackedInRound: Map<string, number>;
  /** Every unique ever sent in a SUBMIT_JOB_BG. */
  sent: Set<string>;
  /** Sent, but the connection died before any reply: the job may or may not exist. */
  unanswered: Set<string>;
  /** unique → ERROR text, for submissions the server refused. */
  refused: Map<string, string>;
  /** unique → every JOB_ASSIGN_UNIQ a worker received for it. */
  assigned: Map<string, Assignment[]>;
  /** unique → WORK_COMPLETEs the workers sent for it. */
  completed: Map<string, number>;
  /** Jobs a worker held (never completed) when the server was killed. */
  held: { round: number; unique: string; handle: string }[];
  /** Foreground jobs whose client was waiting when the server was killed. */
  foreground: { round: number; handle: string }[];
  /** Acknowledged, never completed, and unknown to the next process. */
  missing: { round: number; unique: string; handle: string; why: string }[];
  /** Foreground jobs from before a kill that the next process still has as active jobs. */
  revived: { round: number; handle: string; why: string }[];
  /** Replies no client should ever get. */
  unexpected: string[];
}

function newLedger(): Ledger {
  return {
    acked: new Map(), ackedInRound: new Map(), sent: new Set(), unanswered: new Set(), refused: new Map(),
    assigned: new Map(), completed: new Map(), held: [], foreground: [], missing: [], revived: [],
    unexpected: [],
  };
}

/**
 * Half the jobs carry payloads and results large enough for the SQLite store to keep them in its
 * blob segments, so recovery after each kill reads those too; each is made of its job's name, so a
 * job handed another's bytes shows.
 */
function sized(text: string, unique: string): string {
  return /[02468]$/.test(unique) ? `${text};`.repeat(Math.ceil(6000 / (text.length + 1))) : text;
}

function payloadOf(unique: string): string {
  return sized(`payload of ${unique}`, unique);
}

function resultOf(unique: string): string {
  return sized(`done ${unique}`, unique);
}

/** Pipelines SUBMIT_JOB_BG with fresh uniques until the connection dies; records every reply. */
async function submitter(c: RawClient, prefix: string, round: number, ledger: Ledger): Promise<void> {
  const inFlight: string[] = [];
  let n = 0;
  const sendOne = (): void => {
    const unique = `${prefix}-${n++}`;
    ledger.sent.add(unique);
    inFlight.push(unique);
    c.send(PacketType.SUBMIT_JOB_BG, [FN, unique, payloadOf(unique)]);
  };
  try {
    for (let i = 0; i < WINDOW; i++) sendOne();
    for (;;) {
      const r = await c.next(10000);
      const unique = inFlight.shift()!;
      if (r.type === PacketType.JOB_CREATED) {
        ledger.acked.set(unique, r.args[0]!);
        ledger.ackedInRound.set(unique, round);
      } else if (r.type === PacketType.ERROR) {
        ledger.refused.set(unique, r.args.join(' '));
      } else {
        ledger.unexpected.push(`submitter ${prefix} got ${r.name} for ${unique}`);
      }
      // Replies that arrived before the kill are still read; only then does next() throw.
      if (!c.closed) sendOne();
    }
  } catch (e) {
    if (!c.closed) throw e;
  }
  for (const u of inFlight) ledger.unanswered.add(u);
}

function recordAssignment(ledger: Ledger, round: number, r: { args: string[] }): string {
  const [handle, fn, unique, payload] = r.args as [string, string, string, string];
  if (fn !== FN) ledger.unexpected.push(`assignment of ${handle} for function ${fn}`);
  if (!ledger.sent.has(unique)) ledger.unexpected.push(`assignment of ${handle} with a unique never sent: ${unique}`);
  else if (payload !== payloadOf(unique)) {
    ledger.unexpected.push(`assignment of ${unique}: payload ${JSON.stringify(payload)}`);
  }
  let list = ledger.assigned.get(unique);
  if (list === undefined) ledger.assigned.set(unique, list = []);
  list.push({ round, handle });
  return unique;
}

/**
 * A worker: GRAB_JOB_UNIQ, complete at once, repeat; sleeps (PRE_SLEEP) when there is nothing.
 * Runs until its connection closes (the kill, or the test closing it after the drain).
 */
async function worker(c: RawClient, round: number, ledger: Ledger): Promise<void> {
  try {
    c.send(PacketType.CAN_DO, [FN]);
    c.send(PacketType.GRAB_JOB_UNIQ);
    for (;;) {
      const r = await c.next(60000);
      if (r.type === PacketType.NO_JOB) {
        c.send(PacketType.PRE_SLEEP);
      } else if (r.type === PacketType.NOOP) {
        c.send(PacketType.GRAB_JOB_UNIQ);
      } else if (r.type === PacketType.JOB_ASSIGN_UNIQ) {
        const unique = recordAssignment(ledger, round, r);
        c.send(PacketType.WORK_COMPLETE, [r.args[0]!, resultOf(unique)]);
        ledger.completed.set(unique, (ledger.completed.get(unique) ?? 0) + 1);
        c.send(PacketType.GRAB_JOB_UNIQ);
      } else {
        ledger.unexpected.push(`worker got ${r.name} [${r.args.join(' | ')}]`);
      }
    }
  } catch (e) {
    if (!c.closed) throw e;
  }
}

/** A worker that takes one job and sits on it, so a job is running at the kill. */
async function holder(c: RawClient, round: number, ledger: Ledger, holding: () => void): Promise<void> {
  try {
    c.send(PacketType.CAN_DO, [FN]);
    c.send(PacketType.GRAB_JOB_UNIQ);
    for (;;) {
      const r = await c.next(60000);
      if (r.type === PacketType.NO_JOB) c.send(PacketType.PRE_SLEEP);
      else if (r.type === PacketType.NOOP) c.send(PacketType.GRAB_JOB_UNIQ);
      else if (r.type === PacketType.JOB_ASSIGN_UNIQ) {
        const unique = recordAssignment(ledger, round, r);
        ledger.held.push({ round, unique, handle: r.args[0]! });
        holding();
        await c.waitClosed(60000);
        return;
      } else ledger.unexpected.push(`holder got ${r.name} [${r.args.join(' | ')}]`);
    }
  } catch (e) {
    if (!c.closed) throw e;
  }
}

/**
 * A client waiting on a foreground job nobody can run. A background submission acknowledged after
 * it on the same connection proves the foreground job's record was committed with that batch.
 */
async function foregroundClient(c: RawClient, round: number, ledger: Ledger, onRecord: () => void): Promise<void> {
  try {
    c.send(PacketType.SUBMIT_JOB, [FG_FN, `fg-${round}`, 'for nobody']);
    const fg = await c.expect(PacketType.JOB_CREATED, 10000);
    const fence = `fence-${round}`;
    ledger.sent.add(fence);
    c.send(PacketType.SUBMIT_JOB_BG, [FN, fence, payloadOf(fence)]);
    const ack = await c.expect(PacketType.JOB_CREATED, 10000);
    ledger.acked.set(fence, ack.args[0]!);
    ledger.ackedInRound.set(fence, round);
    ledger.foreground.push({ round, handle: fg.args[0]! });
    onRecord();
    await c.waitClosed(60000);
  } catch (e) {
    if (!c.closed) throw e;
  }
}

/**
 * Right after a restart, before any worker connects: every acknowledged job no worker completed
 * must be known under its old handle and listed by `show jobs`, and not running; no foreground job
 * from before may be back.
 */
async function checkRecovered(s: Site, round: number, ledger: Ledger): Promise<number> {
  const admin = await s.connect();
  const listed = await listedHandles(admin);
  const expected = [...ledger.acked].filter(([u]) => (ledger.completed.get(u) ?? 0) === 0);
  for (const [unique, handle] of expected) {
    if (!listed.has(handle)) ledger.missing.push({ round, unique, handle, why: 'not listed by show jobs' });
  }
  const answers = await statuses(admin, expected.map(([, h]) => h));
  answers.forEach((a, i) => {
    const unique = expected[i]![0];
    if (!a.known) ledger.missing.push({ round, unique, handle: a.handle, why: 'GET_STATUS known=0' });
    else if (a.running) ledger.missing.push({ round, unique, handle: a.handle, why: 'running with no worker connected' });
  });
  for (const fg of ledger.foreground) {
    if (listed.has(fg.handle)) ledger.revived.push({ round, handle: fg.handle, why: 'listed by show jobs' });
  }
  const fgStatus = await statuses(admin, ledger.foreground.map((f) => f.handle));
  for (const a of fgStatus) if (a.known) ledger.revived.push({ round, handle: a.handle, why: 'GET_STATUS known=1' });
  const st = await functionStatus(admin, FG_FN);
  if (st !== undefined && st[0] !== 0) ledger.revived.push({ round, handle: '-', why: `status ${FG_FN} total ${st[0]}` });
  admin.close();
  return expected.length;
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout>;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => { timer = setTimeout(() => reject(new Error(`timed out: ${what}`)), ms); }),
  ]);
}

it(`every acknowledged background job survives ${ROUNDS} kill -9 rounds and runs at least once`,
  { timeout: 90000 }, async (t) => {
    const s = await site(t);
    const ledger = newLedger();
    const rounds: string[] = [];

    for (let round = 1; round <= ROUNDS; round++) {
      // Alternate the two durability modes: both promise to survive a process crash.
      const durability: Durability = round % 2 === 1 ? 'fsync' : 'os';
      const server = await s.start(durability);
      const waiting = round > 1 ? await checkRecovered(s, round, ledger) : 0;
      const ackedBefore = ledger.acked.size;
      const completedBefore = [...ledger.completed.values()].reduce((a, b) => a + b, 0);

      let markHolding!: () => void;
      const holding = new Promise<void>((r) => { markHolding = r; });
      let markOnRecord!: () => void;
      const onRecord = new Promise<void>((r) => { markOnRecord = r; });
      const loops: Promise<void>[] = [];
      for (let i = 0; i < WORKERS; i++) loops.push(worker(await s.connect(), round, ledger));
      loops.push(holder(await s.connect(), round, ledger, markHolding));
      loops.push(foregroundClient(await s.connect(), round, ledger, markOnRecord));
      for (let i = 0; i < SUBMITTERS; i++) loops.push(submitter(await s.connect(), `r${round}s${i}`, round, ledger));

      // The kill comes at a random moment, but only once a job is running and the foreground
      // job is on record, so every round exercises both.
      const delay = 50 + Math.floor(Math.random() * 351);
      const clients = Promise.all(loops);
      let killed = false;
      // A client failing before the kill ends the wait at once; afterwards `clients` reports it.
      const early = clients.then(
        () => { if (!killed) throw new Error(`round ${round}: the clients stopped before the kill`); },
        (e: unknown) => { if (!killed) throw e; });
      await withTimeout(Promise.race([Promise.all([pause(delay), holding, onRecord]), early]), 10000,
        `round ${round}: a held job and a foreground job on record\n${server.output()}`);
      killed = true;
      await server.stop('SIGKILL');
      assert.equal(server.process.signalCode, 'SIGKILL', `round ${round}: the server died of the kill`);
      await withTimeout(clients, 15000, `round ${round}: clients noticing the kill`);

      const acked = ledger.acked.size - ackedBefore;
      const completed = [...ledger.completed.values()].reduce((a, b) => a + b, 0) - completedBefore;
      rounds.push(`round ${round} (${durability}, kill after ${delay} ms): ${waiting} acknowledged jobs expected back, `
        + `${acked} acknowledged, ${completed} completions sent`);
    }

    // The last process: check recovery once more, then drain everything.
    const final = await s.start('fsync');
    const waiting = await checkRecovered(s, ROUNDS + 1, ledger);
    const drainers: RawClient[] = [];
    const loops: Promise<void>[] = [];
    for (let i = 0; i < WORKERS; i++) {
      const w = await s.connect();
      drainers.push(w);
      loops.push(worker(w, ROUNDS + 1, ledger));
    }
    // Drained when the server has nothing left, queued or running; whatever never ran by then is lost.
    const admin = await s.connect();
    const deadline = Date.now() + 30000;
    let left: number[] | undefined;
    for (;;) {
      left = await functionStatus(admin, FN);
      if (left === undefined || left[0] === 0 || Date.now() > deadline) break;
      await pause(100);
    }
    for (const w of drainers) w.close();
    await withTimeout(Promise.all(loops), 5000, 'drain workers stopping');
    rounds.push(`final start: ${waiting} acknowledged jobs expected back, then drained by ${WORKERS} workers`);

    // The figures the issue asks for.
    const ackedUniques = [...ledger.acked.keys()];
    const lost = ackedUniques.filter((u) => (ledger.completed.get(u) ?? 0) === 0);
    const reRun = ackedUniques.filter((u) => (ledger.completed.get(u) ?? 0) > 1);
    const unackedRan = [...ledger.unanswered].filter((u) => ledger.completed.has(u)).length;
    const missingJobs = new Set(ledger.missing.map((m) => m.unique)).size;
    const reAssigned = ackedUniques.filter((u) => (ledger.assigned.get(u)?.length ?? 0) > 1).length;
    console.log([
      `crash rounds: ${ROUNDS} kill -9, ${SUBMITTERS} submitters x ${WINDOW} in flight, ${WORKERS} workers + 1 holder`,
      ...rounds.map((r) => `  ${r}`),
      `  acknowledged ${ackedUniques.length} / lost ${lost.length} / re-run ${reRun.length}`
        + ` (assigned more than once: ${reAssigned}; unanswered at a kill: ${ledger.unanswered.size},`
        + ` of which ran anyway: ${unackedRan};`
        + ` refused: ${ledger.refused.size}; unknown after a restart before they ran: ${missingJobs})`,
    ].join('\n'));

    await final.stop('SIGTERM');

    assert.ok(left === undefined || left[0] === 0,
      `the drain finished within 30 s (status ${FN}: ${JSON.stringify(left)})\n${final.output().slice(-4000)}`);
    assert.ok(ledger.unexpected.length === 0,
      `no client got a reply it should not have:\n${ledger.unexpected.slice(0, 10).join('\n')}`);
    assert.ok(ledger.refused.size === 0,
      `no submission was refused (the disk is not full): ${JSON.stringify([...ledger.refused].slice(0, 5))}`);
    assert.ok(ledger.missing.length === 0,
      `${missingJobs} acknowledged jobs were unknown after a restart before they ran, e.g.\n`
      + `${ledger.missing.slice(0, 10).map((m) => `  start ${m.round}: ${m.unique} ${m.handle}: ${m.why}`).join('\n')}\n`
      + s.logs().slice(-6000));
    assert.ok(lost.length === 0, `${lost.length} acknowledged jobs never ran, e.g. `
      + lost.slice(0, 10)
        .map((u) => `${u} ${ledger.acked.get(u)} (acknowledged in round ${ledger.ackedInRound.get(u)})`).join(', '));

    // Same handle, same job: every assignment of an acknowledged job carries its acknowledged
    // handle, and no handle ever named two jobs.
    const jobOfHandle = new Map<string, string>();
    const clash: string[] = [];
    const name = (h: string, u: string): void => {
      const prev = jobOfHandle.get(h);
      if (prev !== undefined && prev !== u) clash.push(`${h}: ${prev} and ${u}`);
      jobOfHandle.set(h, u);
    };
    for (const [u, h] of ledger.acked) name(h, u);
    const wrongHandle: string[] = [];
    for (const [u, list] of ledger.assigned) {
      for (const a of list) {
        name(a.handle, u);
        const h = ledger.acked.get(u);
        if (h !== undefined && a.handle !== h) {
          wrongHandle.push(`${u}: acknowledged ${h}, assigned ${a.handle} in round ${a.round}`);
        }
      }
    }
    assert.ok(clash.length === 0, `no handle names two jobs (reused after a restart?):\n${clash.slice(0, 10).join('\n')}`);
    assert.ok(wrongHandle.length === 0, `jobs keep their handles across restarts:\n${wrongHandle.slice(0, 10).join('\n')}`);

    // Running at the kill → assigned again after the restart.
    assert.equal(ledger.held.length, ROUNDS, 'a job was held at every kill');
    for (const h of ledger.held) {
      const later = (ledger.assigned.get(h.unique) ?? []).filter((a) => a.round > h.round);
      assert.ok(later.length > 0, `${h.unique} (${h.handle}), running at the kill of round ${h.round}, was assigned again`);
      assert.equal(later[0]!.handle, h.handle);
    }

    // In flight at the kill → not back as a job, but on record as abandoned.
    assert.equal(ledger.foreground.length, ROUNDS);
    assert.ok(ledger.revived.length === 0, 'foreground jobs from before a kill do not come back as runnable jobs:\n'
      + ledger.revived.slice(0, 10).map((r) => `  start ${r.round}: ${r.handle}: ${r.why}`).join('\n'));
    // Completed → on record with the result the worker sent (the last process stopped cleanly).
    const records = await readRecords(s.dataDir, [...ledger.acked.values()]);
    const wrongResult = [...ledger.acked].filter(([u, h]) => {
      const rec = records.get(h);
      return rec?.state !== 'completed' || rec.result?.toString('latin1') !== resultOf(u) || rec.payload.toString('latin1') !== payloadOf(u);
    });
    assert.ok(wrongResult.length === 0, `${wrongResult.length} acknowledged jobs are not on record as completed with their `
      + `payload and result, e.g. ${wrongResult.slice(0, 5).map(([u, h]) => `${u} ${h}: ${records.get(h)?.state}`).join(', ')}`);

    for (const fg of ledger.foreground) {
      const rec = await readRecord(s.dataDir, fg.handle);
      assert.ok(rec !== null, `the foreground job ${fg.handle} of round ${fg.round} is on record`);
      assert.equal(rec.background, false);
      assert.equal(rec.state, 'abandoned', `the foreground job ${fg.handle} of round ${fg.round} is recorded as abandoned`);
    }
  });
