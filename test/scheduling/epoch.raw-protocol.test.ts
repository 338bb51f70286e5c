/**
 * Due-time jobs on the wire (PROTOCOL.md "Gearman HQ's choices": SUBMIT_JOB_EPOCH is held until
 * due and sleeping workers are woken then; SUBMIT_JOB_SCHED is a background job due at the next
 * time matching its fields, in the server's time zone). gearhq only: gearmand 1.1.20 never wakes
 * workers for epoch jobs and refuses SCHED, as test/server/jobs.scheduled.test.ts shows.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  PacketType, adminLines, epochAfter, fnStatus, grab, rawWorker, readHistory, schedEnv, submit,
} from './harness.js';

describe('SUBMIT_JOB_EPOCH and SUBMIT_JOB_SCHED over raw sockets', { timeout: 30000 }, () => {
  test('epoch jobs a few seconds ahead are held (GRAB gets NO_JOB); a sleeping worker gets NOOP as each one becomes due, in due order',
    async (t) => {
      const env = await schedEnv(t);
      const fn = 'epoch';
      const c = await env.connect();
      const base = epochAfter(1500);
      const dues = [base + 2, base, base + 1]; // submitted out of order
      const handleOf = new Map<number, string>();
      for (const due of dues) handleOf.set(due, await submit(c, PacketType.SUBMIT_JOB_EPOCH, [fn, `at-${due}`, String(due), `payload ${due}`]));
      const plain = await submit(c, PacketType.SUBMIT_JOB_BG, [fn, 'now', 'runs at once']);

      const admin = await env.connect();
      assert.deepEqual(await fnStatus(admin, fn), { total: 4, running: 0, workers: 0 }, 'status counts the held jobs');
      assert.ok((await adminLines(admin, 'prioritystatus')).includes(`${fn}\t0\t4\t0\t0`), 'all four at NORMAL priority');
      for (const h of handleOf.values()) {
        c.send(PacketType.GET_STATUS, [h]);
        assert.deepEqual((await c.expect(PacketType.STATUS_RES)).args, [h, '1', '0', '0', '0'], `${h} known, not running`);
      }

      const w = await rawWorker(env, [fn]);
      assert.equal((await grab(w))?.[0], plain, 'the plain job is not held up by the epoch jobs');
      w.send(PacketType.WORK_COMPLETE, [plain, 'done']);
      assert.equal(await grab(w), null, 'nothing else is runnable yet');
      const lateness: number[] = [];
      for (const due of [...dues].sort((a, b) => a - b)) {
        w.send(PacketType.PRE_SLEEP);
        await w.expect(PacketType.NOOP, due * 1000 - Date.now() + 2000);
        const late = Date.now() - due * 1000;
        lateness.push(late);
        assert.ok(late >= 0, `NOOP ${-late} ms before the job at ${due} was due`);
        const job = await grab(w);
        assert.deepEqual(job, [handleOf.get(due), fn, `at-${due}`, `payload ${due}`]);
        w.send(PacketType.WORK_COMPLETE, [job![0]!, 'done']);
        if (due !== base + 2) assert.equal(await grab(w), null, 'the next one is not due yet');
      }
      console.log(`epoch wake-ups: NOOP ${lateness.join(', ')} ms after each due time`);
      assert.ok(lateness.every((l) => l < 500), `woken within 500 ms: ${lateness}`);
      assert.deepEqual(await fnStatus(admin, fn), { total: 0, running: 0, workers: 1 });
    });

  test('SUBMIT_JOB_SCHED with the fields of the next minute is accepted, held, and due at the start of that minute', async (t) => {
    const env = await schedEnv(t, { store: 'sqlite' });
    const fn = 'sched';
    const now = Date.now();
    const target = new Date(now);
    target.setSeconds(0, 0);
    target.setMinutes(target.getMinutes() + 1);
    // Too close to the turn of the minute, the request could arrive after it: take the one after.
    if (target.getTime() - now < 3000) target.setMinutes(target.getMinutes() + 1);
    // minute, hour, day of month, month, day of week — in this machine's (= the server's) time zone.
    const fields = [target.getMinutes(), target.getHours(), target.getDate(), target.getMonth() + 1, target.getDay()].map(String);
    const c = await env.connect();
    const h = await submit(c, PacketType.SUBMIT_JOB_SCHED, [fn, 'next-minute', ...fields, 'payload']);
    assert.deepEqual(await fnStatus(c, fn), { total: 1, running: 0, workers: 0 }, 'status counts it');
    assert.ok((await adminLines(c, 'prioritystatus')).includes(`${fn}\t0\t1\t0\t0`), 'held at NORMAL priority');
    c.send(PacketType.GET_STATUS, [h]);
    assert.deepEqual((await c.expect(PacketType.STATUS_RES)).args, [h, '1', '0', '0', '0']);
    const w = await rawWorker(env, [fn]);
    assert.equal(await grab(w), null, 'not runnable before its minute');
    // Cron syntax in a field: every fifth minute, whatever the hour and day.
    const nextFifth = (ms: number): number => {
      const d = new Date(ms);
      d.setSeconds(0, 0);
      do d.setMinutes(d.getMinutes() + 1); while (d.getMinutes() % 5 !== 0);
      return d.getTime();
    };
    const before = Date.now();
    const everyFifth = await submit(c, PacketType.SUBMIT_JOB_SCHED, [fn, 'every-fifth', '*/5', '', '', '', '', 'payload']);
    const after = Date.now();
    // A field that names no time is refused and creates nothing.
    c.send(PacketType.SUBMIT_JOB_SCHED, [fn, 'bad', '61', '', '', '', '', 'payload']);
    assert.deepEqual((await c.expect(PacketType.ERROR)).args, ['INVALID_ARGUMENT', 'Invalid schedule']);
    assert.deepEqual(await fnStatus(c, fn), { total: 2, running: 0, workers: 1 });

    await env.stop();
    const fifthDue = (await readHistory(env.dataDir, everyFifth)).record.dueAt;
    assert.ok([nextFifth(before), nextFifth(after)].includes(fifthDue),
      `due at the next fifth minute: ${new Date(fifthDue).toString()}`);
    const { record } = await readHistory(env.dataDir, h);
    console.log(`SCHED fields ${fields.join(' ')}: due ${((record.dueAt - now) / 1000).toFixed(1)} s after submission`);
    assert.equal(record.state, 'scheduled');
    assert.equal(record.background, true);
    assert.equal(new Date(record.dueAt).toISOString(), target.toISOString(), 'due at the start of the minute the fields name');
    assert.ok(record.dueAt - now <= 63000, 'within the next minute (or the one after, near its turn)');
  });
});
