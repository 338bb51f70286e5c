/**
 * The packet handler table. Handlers are thin: take the arguments apart, call the engine, encode
 * the answer. Business rules live in the engine. Every submit packet becomes one `engine.submit`.
 */
import type { SubmitRequest } from '../engine/engine.js';
import { payloadText, Priority } from '../engine/job.js';
import type { ErrorCode } from '../errors/catalogue.js';
import { PacketType } from '../protocol/packets.js';
import { nextSchedTime, parseEpochSeconds } from '../schedule/sched-fields.js';
import type { Connection } from './connection.js';

type Handler = (c: Connection, args: string[], data: Buffer | null) => void;

const MAX_HANDLE = 63;
const MAX_CLIENT_ID = 127;
const MAX_OPTION = 63;

/**
 * A submission's payload as a latin1 string (one char per byte): the job keeps it on V8's heap.
 * A Buffer copy per job would be external memory, and a few MiB of that starts an old-generation
 * collection: with 10 KiB payloads over a dozen mark-compacts a second, each a pause for every
 * connection (fg echo p99 6-7 ms, of which those pauses are most).
 */
function payloadOf(data: Buffer | null): string {
  return data === null ? '' : payloadText(data);
}

function submitter(priority: Priority, background: boolean): Handler {
  return (c, args, data) => {
    submit(c, { fn: args[0]!, unique: args[1]!, payload: payloadOf(data), priority, background, dueAt: 0, reducer: '' });
  };
}

function submit(c: Connection, req: SubmitRequest): void {
  // While the store catches up, a peer that submits is read no further (this job is taken).
  if (c.ctx.newWorkHeld) c.throttleForStore(true);
  const result = c.ctx.engine.submit(c.session, req);
  if (typeof result === 'string') {
    c.error(result);
    return;
  }
  if (req.background && c.ctx.acks !== null) {
    c.ctx.acks.hold(c, result.handle);
    return;
  }
  c.out.packet1(PacketType.JOB_CREATED, result.handle);
  c.replied();
}

function reply(c: Connection, err: ErrorCode | null): void {
  if (err !== null) c.error(err);
}

function assign(c: Connection, mode: 'plain' | 'uniq' | 'all'): void {
  const job = c.ctx.engine.grab(c.session);
  if (job === null) {
    c.out.packet0(PacketType.NO_JOB);
  } else if (mode === 'plain') {
    c.out.packet(PacketType.JOB_ASSIGN, [job.handle, job.fn.name], job.payload);
  } else if (mode === 'all' && job.reducer.length > 0) {
    c.out.packet(PacketType.JOB_ASSIGN_ALL, [job.handle, job.fn.name, job.unique, job.reducer], job.payload);
  } else {
    c.out.packet(PacketType.JOB_ASSIGN_UNIQ, [job.handle, job.fn.name, job.unique], job.payload);
  }
  c.replied();
}

function statusRes(c: Connection, handle: string): void {
  const s = c.ctx.engine.status(handle.length > MAX_HANDLE ? '' : handle);
  c.out.packet(PacketType.STATUS_RES,
    [handle, s.known ? '1' : '0', s.running ? '1' : '0', s.numerator, s.denominator], null);
  c.replied();
}

const notExpected: Handler = (c) => c.error('INVALID_COMMAND');

export const HANDLERS: Handler[] = (() => {
  const h: Handler[] = new Array(43).fill(notExpected);
  h[PacketType.CAN_DO] = (c, a) => reply(c, c.ctx.engine.canDo(c.session, a[0]!, 0));
  h[PacketType.CAN_DO_TIMEOUT] = (c, a) => {
    const t = parseInt(a[1]!, 10);
    reply(c, c.ctx.engine.canDo(c.session, a[0]!, Number.isFinite(t) && t > 0 ? t : 0));
  };
  h[PacketType.CANT_DO] = (c, a) => c.ctx.engine.cantDo(c.session, a[0]!);
  h[PacketType.RESET_ABILITIES] = (c) => c.ctx.engine.resetAbilities(c.session);
  h[PacketType.PRE_SLEEP] = (c) => c.ctx.engine.preSleep(c.session);
  h[PacketType.GRAB_JOB] = (c) => assign(c, 'plain');
  h[PacketType.GRAB_JOB_UNIQ] = (c) => assign(c, 'uniq');
  h[PacketType.GRAB_JOB_ALL] = (c) => assign(c, 'all');

  h[PacketType.SUBMIT_JOB] = submitter(Priority.NORMAL, false);
  h[PacketType.SUBMIT_JOB_HIGH] = submitter(Priority.HIGH, false);
  h[PacketType.SUBMIT_JOB_LOW] = submitter(Priority.LOW, false);
  h[PacketType.SUBMIT_JOB_BG] = submitter(Priority.NORMAL, true);
  h[PacketType.SUBMIT_JOB_HIGH_BG] = submitter(Priority.HIGH, true);
  h[PacketType.SUBMIT_JOB_LOW_BG] = submitter(Priority.LOW, true);
  h[PacketType.SUBMIT_JOB_EPOCH] = (c, a, data) => {
    const dueAt = parseEpochSeconds(a[2]!);
    if (dueAt === null) return c.error('INVALID_SCHEDULE');
    submit(c, { fn: a[0]!, unique: a[1]!, payload: payloadOf(data), priority: Priority.NORMAL,
      background: true, dueAt, reducer: '' });
  };
  h[PacketType.SUBMIT_JOB_SCHED] = (c, a, data) => {
    const dueAt = nextSchedTime(a.slice(2, 7), c.ctx.engine.clock.now());
    if (dueAt === null) return c.error('INVALID_SCHEDULE');
    submit(c, { fn: a[0]!, unique: a[1]!, payload: payloadOf(data), priority: Priority.NORMAL,
      background: true, dueAt, reducer: '' });
  };
  const reduce = (background: boolean): Handler => (c, a, data) => {
    // The aggregator (a[3]) is ignored, as gearmand does.
    submit(c, { fn: a[0]!, unique: a[1]!, payload: payloadOf(data), priority: Priority.NORMAL,
      background, dueAt: 0, reducer: a[2]! });
  };
  h[PacketType.SUBMIT_REDUCE_JOB] = reduce(false);
  h[PacketType.SUBMIT_REDUCE_JOB_BACKGROUND] = reduce(true);

  h[PacketType.WORK_STATUS] = (c, a) => reply(c, c.ctx.engine.workStatus(c.session, a[0]!, a[1]!, a[2]!));
  h[PacketType.WORK_COMPLETE] = (c, a, d) => reply(c, c.ctx.engine.workComplete(c.session, a[0]!, d!));
  h[PacketType.WORK_FAIL] = (c, a) => reply(c, c.ctx.engine.workFail(c.session, a[0]!));
  h[PacketType.WORK_EXCEPTION] = (c, a, d) => reply(c, c.ctx.engine.workException(c.session, a[0]!, d!));
  h[PacketType.WORK_DATA] = (c, a, d) =>
    reply(c, c.ctx.engine.workData(c.session, PacketType.WORK_DATA, a[0]!, d!));
  h[PacketType.WORK_WARNING] = (c, a, d) =>
    reply(c, c.ctx.engine.workData(c.session, PacketType.WORK_WARNING, a[0]!, d!));

  h[PacketType.GET_STATUS] = (c, a) => statusRes(c, a[0]!);
  h[PacketType.GET_STATUS_UNIQUE] = (c, a) => {
    const u = a[0]!;
    const s = c.ctx.engine.statusByUnique(u);
    c.out.packet(PacketType.STATUS_RES_UNIQUE,
      [u, s.known ? '1' : '0', s.running ? '1' : '0', s.numerator, s.denominator, String(s.clients)], null);
    c.replied();
  };
  h[PacketType.ECHO_REQ] = (c, _a, d) => {
    c.out.packet(PacketType.ECHO_RES, [], d);
    c.replied();
  };
  h[PacketType.SET_CLIENT_ID] = (c, a) => {
    const id = a[0]!;
    c.session.clientId = id.length > MAX_CLIENT_ID ? id.slice(0, MAX_CLIENT_ID) : id;
  };
  h[PacketType.OPTION_REQ] = (c, a) => {
    const name = a[0]!;
    if (name.length <= MAX_OPTION && name.replace(/\0+$/, '').toLowerCase() === 'exceptions') {
      c.session.exceptions = true;
      c.out.packet1(PacketType.OPTION_RES, name);
      c.replied();
    } else {
      c.error('UNKNOWN_OPTION');
    }
  };
  return h;
})();

