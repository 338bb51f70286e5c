/**
 * Builds an Engine on a fake clock with recording outboxes, for engine unit tests. Each test
 * calls `setup()` and gets its own engine, clock, sessions and event log.
 */
import assert from 'node:assert/strict';
import { Engine, type EngineOptions, type SubmitRequest } from '../../src/engine/engine.js';
import type { EngineEvents } from '../../src/engine/events.js';
import { Job, Priority } from '../../src/engine/job.js';
import { Session, type Outbox } from '../../src/engine/session.js';
import { packetName } from '../../src/protocol/packets.js';
import { FakeClock } from '../support/fake-clock.js';

/** Records what the engine sends to one connection, as readable lines. */
export class RecordingOutbox implements Outbox {
  readonly sent: string[] = [];

  noop(): void {
    this.sent.push('NOOP');
  }

  workStatus(handle: string, numerator: string, denominator: string): void {
    this.sent.push(`WORK_STATUS ${handle} ${numerator}/${denominator}`);
  }

  workBlob(type: number, handle: string, data: Buffer): void {
    this.sent.push(`${packetName(type)} ${handle} ${data.toString('latin1')}`);
  }

  workFail(handle: string): void {
    this.sent.push(`WORK_FAIL ${handle}`);
  }

  /** Everything sent since the last call. */
  take(): string[] {
    return this.sent.splice(0);
  }

  get noops(): number {
    return this.sent.filter((s) => s === 'NOOP').length;
  }
}

export type TestSession = Session & { out: RecordingOutbox };

export type EventRecord = { [K in keyof EngineEvents]: [K, ...EngineEvents[K]] }[keyof EngineEvents];

const EVENT_NAMES: (keyof EngineEvents)[] = [
  'job.submitted', 'job.coalesced', 'job.due', 'job.assigned', 'job.status', 'job.data', 'job.completed',
  'job.failed', 'job.requeued', 'job.retrying', 'job.rescheduled', 'job.cancelled', 'job.abandoned',
  'worker.connected', 'worker.disconnected',
  'session.opened', 'session.closed',
];

export interface SubmitOptions {
  unique?: string;
  payload?: string | Buffer;
  priority?: Priority;
  background?: boolean;
  dueAt?: number;
  reducer?: string;
}

export function setup(options: Partial<EngineOptions> = {}) {
  const clock = new FakeClock();
  const engine = new Engine({
    clock,
    handlePrefix: 'H:t',
    jobRetries: 0,
    workerWakeup: 0,
    roundRobin: false,
    maxFunctionBytes: 512,
    maxUniqueBytes: 64,
    maxPayloadBytes: 1024 * 1024,
    ...options,
  });
  const events: EventRecord[] = [];
  for (const name of EVENT_NAMES) {
    engine.events.on(name, (...args: unknown[]) => events.push([name, ...args] as unknown as EventRecord));
  }
  let nextId = 1;

  /** A new connection (opened in the engine). */
  function session(label?: string): TestSession {
    const id = nextId++;
    const s = new Session(id, '127.0.0.1', new RecordingOutbox(), clock.now(), label ?? `s${id}`);
    engine.open(s);
    return s as TestSession;
  }

  /** A connection registered for `fns` (CAN_DO in the given order; newest last). */
  function worker(fns: string[], timeoutMs = 0): TestSession {
    const s = session();
    for (const f of fns) assert.equal(engine.canDo(s, f, timeoutMs), null);
    return s;
  }

  /** A connection that registered and sent PRE_SLEEP with nothing to do. */
  function sleeper(fns: string[]): TestSession {
    const s = worker(fns);
    engine.preSleep(s);
    assert.deepEqual(s.out.take(), [], 'nothing to do yet');
    return s;
  }

  function request(fn: string, o: SubmitOptions = {}): SubmitRequest {
    const payload = o.payload ?? 'payload';
    return {
      fn,
      unique: o.unique ?? '',
      payload: typeof payload === 'string' ? payload : payload.latin1Slice(0, payload.length),
      priority: o.priority ?? Priority.NORMAL,
      background: o.background ?? false,
      dueAt: o.dueAt ?? 0,
      reducer: o.reducer ?? '',
    };
  }

  /** Submits and asserts a job came back (not an error code). */
  function submit(by: Session | null, fn: string, o: SubmitOptions = {}): Job {
    const r = engine.submit(by, request(fn, o));
    assert.ok(r instanceof Job, `submit ${fn} failed: ${String(r)}`);
    return r;
  }

  /** Grabs and returns the job's handle, or null for NO_JOB. */
  function grab(w: Session): string | null {
    return engine.grab(w)?.handle ?? null;
  }

  /** Grabs until NO_JOB; returns the payloads in order. */
  function drain(w: Session): string[] {
    const out: string[] = [];
    for (let job = engine.grab(w); job !== null; job = engine.grab(w)) {
      out.push(job.payload);
      assert.equal(engine.workComplete(w, job.handle, Buffer.alloc(0)), null);
    }
    return out;
  }

  /** Event names only, in order, optionally filtered. */
  function eventNames(filter?: (name: string) => boolean): string[] {
    return events.map((e) => e[0]).filter((n) => filter === undefined || filter(n));
  }

  return { clock, engine, events, session, worker, sleeper, request, submit, grab, drain, eventNames };
}

