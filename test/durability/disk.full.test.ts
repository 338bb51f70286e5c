/**
 * A full disk (issue 3, "Prove it"): with its data directory on a 2 MiB tmpfs, the server answers
 * background submissions it cannot store with `ERROR QUEUE_ERROR "Job could not be stored…"`,
 * keeps serving every connection, keeps every job it acknowledged (through a `kill -9` too, and a
 * restart on the full disk), and accepts submissions again once space returns. Needs root on
 * Linux to mount the tmpfs; without it the test fails and says so, it is never skipped.
 */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PacketType, functionStatus, listedHandles, site, type RawClient } from './harness.js';

const FN = 'disk-work';
const PAYLOAD_BYTES = 10 * 1024;
const WINDOW = 4;
/** 2 MiB holds about 200 such jobs: far more than that means the disk never filled. */
const MAX_SUBMISSIONS = 1000;

function payloadOf(unique: string): Buffer {
  return Buffer.from(unique.padEnd(PAYLOAD_BYTES, '.'), 'latin1');
}

interface Outcome {
  acked: Map<string, string>;
  /** unique → "CODE text" of the ERROR it got. */
  refused: Map<string, string>;
}

/** Pipelines 10 KiB background jobs until the first refusal, then reads what is still in flight. */
async function fillUntilRefused(c: RawClient, prefix: string, out: Outcome): Promise<void> {
  const inFlight: string[] = [];
  let n = 0;
  let refusedHere = false;
  const sendOne = (): void => {
    const unique = `${prefix}-${n++}`;
    inFlight.push(unique);
    c.send(PacketType.SUBMIT_JOB_BG, [FN, unique, payloadOf(unique)]);
  };
  for (let i = 0; i < WINDOW; i++) sendOne();
  while (inFlight.length > 0) {
    const r = await c.next(10000);
    const unique = inFlight.shift()!;
    if (r.type === PacketType.JOB_CREATED) out.acked.set(unique, r.args[0]!);
    else if (r.type === PacketType.ERROR) {
      out.refused.set(unique, `${r.args[0]} ${r.args[1]}`);
      refusedHere = true;
    } else assert.fail(`SUBMIT_JOB_BG of ${unique} answered ${r.name}`);
    if (!refusedHere && n < MAX_SUBMISSIONS) sendOne();
  }
  assert.ok(refusedHere,
    `${prefix}: ${MAX_SUBMISSIONS} submissions of ${PAYLOAD_BYTES} bytes were never refused on a 2 MiB disk`);
}

/** One submission and its answer. */
async function submitOne(c: RawClient, unique: string, out: Outcome): Promise<boolean> {
  c.send(PacketType.SUBMIT_JOB_BG, [FN, unique, payloadOf(unique)]);
  const r = await c.next(10000);
  if (r.type === PacketType.JOB_CREATED) {
    out.acked.set(unique, r.args[0]!);
    return true;
  }
  assert.equal(r.type, PacketType.ERROR, `SUBMIT_JOB_BG of ${unique} answered ${r.name}`);
  out.refused.set(unique, `${r.args[0]} ${r.args[1]}`);
  return false;
}

/** `status` counts exactly the acknowledged jobs as queued, and `show jobs` lists their handles. */
async function checkQueued(c: RawClient, out: Outcome, when: string): Promise<void> {
  assert.deepEqual(await functionStatus(c, FN), [out.acked.size, 0, 0],
    `${when}: status counts every acknowledged job as queued, and no refused one`);
  const listed = await listedHandles(c);
  for (const [unique, handle] of out.acked) assert.ok(listed.has(handle), `${when}: show jobs lists ${unique} (${handle})`);
  assert.equal(listed.size, out.acked.size, `${when}: show jobs lists the acknowledged jobs and nothing else`);
}

async function echoes(c: RawClient, what: string): Promise<void> {
  c.send(PacketType.ECHO_REQ, [what]);
  const r = await c.expect(PacketType.ECHO_RES, 5000);
  assert.equal(r.args[0], what);
}

it('a full disk: QUEUE_ERROR for new background jobs, service goes on, nothing acknowledged is lost, '
  + 'submissions are accepted again when space returns', { timeout: 60000 }, async (t) => {
  assert.ok(process.platform === 'linux' && process.getuid?.() === 0,
    'this test mounts a 2 MiB tmpfs for the data directory: run it as root on Linux');
  const dir = mkdtempSync(join(tmpdir(), 'gearhq-fulldisk-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', dir], { stdio: 'pipe' });
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    assert.fail(`cannot mount a 2 MiB tmpfs on ${dir} (the test needs it to fill the disk): ${(e as Error).message}`);
  }
  const s = await site(t, { dataDir: dir });
  t.after(async () => {
    // The server holds files on the mount: it must be gone before the unmount.
    await s.current()?.stop('SIGKILL');
    execFileSync('umount', [dir], { stdio: 'pipe' });
    rmSync(dir, { recursive: true, force: true });
  });

  const first = await s.start('fsync');
  const out: Outcome = { acked: new Map(), refused: new Map() };
  const a = await s.connect();
  const b = await s.connect();
  await Promise.all([fillUntilRefused(a, 'a', out), fillUntilRefused(b, 'b', out)]);
  const ackedWhileFilling = out.acked.size;
  const firstRefusal = [...out.refused.values()][0]!;
  for (const [unique, error] of out.refused) {
    assert.match(error, /^QUEUE_ERROR Job could not be stored/, `the refusal of ${unique}`);
  }
  assert.ok(ackedWhileFilling > 0, 'some jobs were stored before the disk filled');

  // The disk is still full: submissions keep being refused (the refused batch may have left room
  // for a job or two), while everything else goes on, on old and new connections alike.
  const refusedBefore = out.refused.size;
  let refusedAgain = false;
  for (let i = 0; i < 50 && !refusedAgain; i++) refusedAgain = !(await submitOne(a, `a-full-${i}`, out));
  assert.ok(refusedAgain, 'a submission while the disk is still full is refused');
  const ackedWhileFull = out.acked.size - ackedWhileFilling;
  const other = await s.connect();
  await echoes(other, 'still here');
  await echoes(a, 'still here too');
  await checkQueued(other, out, 'while the disk is full');

  // A crash while the disk is full: the next process starts on the full disk with every
  // acknowledged job, and still refuses what it cannot store.
  await first.stop('SIGKILL');
  const second = await s.start('fsync');
  const c = await s.connect();
  await checkQueued(c, out, `after kill -9 and a restart on the full disk\n${s.logs().slice(-4000)}`);
  assert.equal(await submitOne(c, 'c-full', out), false, 'a submission after the restart on the full disk is refused');

  // Space returns: the same process and connection accept submissions again.
  execFileSync('mount', ['-o', 'remount,size=64m', dir], { stdio: 'pipe' });
  for (let i = 0; i < 20; i++) {
    assert.ok(await submitOne(c, `c-after-${i}`, out), `accepted again after the remount: ${[...out.refused].at(-1)}`);
  }
  await checkQueued(c, out, 'after the remount');

  // Everything acknowledged is on disk: it survives another kill -9 and runs once, with its
  // handle and payload; nothing refused ever runs.
  await second.stop('SIGKILL');
  const third = await s.start('fsync');
  const admin = await s.connect();
  await checkQueued(admin, out, 'after the last kill -9');
  const w = await s.connect();
  w.send(PacketType.CAN_DO, [FN]);
  const ran = new Map<string, string>();
  for (let i = 0; i <= out.acked.size; i++) {
    w.send(PacketType.GRAB_JOB_UNIQ);
    const r = await w.next(5000);
    if (r.type === PacketType.NO_JOB) break;
    assert.equal(r.type, PacketType.JOB_ASSIGN_UNIQ, `GRAB_JOB_UNIQ answered ${r.name}`);
    const [handle, , unique] = r.args as [string, string, string];
    assert.ok(!ran.has(unique), `${unique} assigned twice`);
    assert.ok(r.body.subarray(r.body.length - PAYLOAD_BYTES).equals(payloadOf(unique)),
      `the payload of ${unique} is intact`);
    ran.set(unique, handle);
    w.send(PacketType.WORK_COMPLETE, [handle, 'done']);
  }
  const refusedRan = [...out.refused.keys()].filter((u) => ran.has(u));
  assert.deepEqual(refusedRan, [], 'no refused submission ever ran');
  assert.deepEqual([...ran].sort(), [...out.acked].sort(), 'exactly the acknowledged jobs ran, under their handles');
  assert.deepEqual(await functionStatus(admin, FN), [0, 0, 1]);

  const storeLog = [first, second].flatMap((p) => p.output().split('\n'))
    .map((l) => { try { return (JSON.parse(l) as { msg?: string }).msg ?? ''; } catch { return l; } })
    .filter((m) => /^store /.test(m));
  console.log([
    `full disk (2 MiB tmpfs, ${PAYLOAD_BYTES} B payloads, ${WINDOW} in flight x 2 connections):`,
    `  ${ackedWhileFilling} acknowledged before the first refusal, ${refusedBefore} refused while filling;`
      + ` then ${ackedWhileFull} more acknowledged before the next refusal`,
    `  first refusal: ${firstRefusal}`,
    `  restart on the full disk: every acknowledged job back, new submission refused`,
    `  after remount to 64 MiB: 20 of 20 accepted by the same process; after kill -9: ${out.acked.size} acknowledged,`
      + ` ${ran.size} ran, ${out.refused.size} refused, 0 of them ran`,
    `  server log: ${storeLog.join(' | ')}`,
  ].join('\n'));
  w.close();
  await third.stop('SIGTERM');
});
