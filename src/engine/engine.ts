import type { ErrorCode } from '../errors/catalogue.js';
import { PacketType } from '../protocol/packets.js';
import type { Clock, TimerHandle } from './clock.js';
import { EngineEmitter, type FailReason, type RequeueReason } from './events.js';
import { ActiveJobs } from './active-jobs.js';
import { FunctionQueue } from './function-queue.js';
import { Job, Priority } from './job.js';
import { DueIndex } from './due-index.js';
import { coalesceKey, UniqueIndex } from './unique-index.js';
import { nextAttemptAt, parseRescheduleRequest, type RetryOutcome, type RetryPolicy } from './retry-policy.js';
import type { Session } from './session.js';

export interface EngineOptions {
  clock: Clock;
  /** Handles are `<prefix>:<n>`. */
  handlePrefix: string;
  /** As gearmand's -j: a job taken back from workers this many times fails; 0 = unlimited. */
  jobRetries: number;
  /** As gearmand's -w: NOOPs sent per new job; 0 = every sleeping worker. */
  workerWakeup: number;
  /** As gearmand's -R: rotate a worker's functions after each assignment. */
  roundRobin: boolean;
  maxFunctionBytes: number;
  maxUniqueBytes: number;
  maxPayloadBytes: number;
  /** First handle number (a persistent store resumes its counter). */
  firstHandle?: number;
  /** Retry policy for functions without their own; null = gearmand's behaviour. */
  defaultPolicy?: RetryPolicy | null;
  /** Source of randomness for back-off jitter (tests pass a fixed one). */
  random?: () => number;
}

export interface SubmitRequest {
  fn: string;
  unique: string;
  payload: string;
  priority: Priority;
  background: boolean;
  /** Ms since the epoch when the job may run; 0 or past = now. */
  dueAt: number;
  reducer: string;
}

/** A job recovered from a store at start-up. */
export interface RestoreRequest extends SubmitRequest {
  id: number;
  handle: string;
  submittedAt: number;
  retries: number;
  attempts: number;
}

export type JobAssignMode = 'plain' | 'uniq' | 'all';

export interface JobStatus {
  known: boolean;
  running: boolean;
  numerator: string;
  denominator: string;
  clients: number;
}

const UNKNOWN_STATUS: JobStatus = { known: false, running: false, numerator: '0', denominator: '0', clients: 0 };

/**
 * The job server's state machine: functions and their queues, unique coalescing, workers and
 * wake-ups, assignment, results, timeouts and due times. Pure and synchronous: it takes a clock,
 * talks to connections only through their `Outbox`, and reports every change as an event.
 */
export class Engine {
  readonly events = new EngineEmitter();
  readonly functions = new Map<string, FunctionQueue>();
  /** Active jobs (scheduled, queued, running) by handle. */
  readonly jobs = new ActiveJobs();
  /** Coalescing keys per function, and GET_STATUS_UNIQUE across them. */
  private readonly uniques = new UniqueIndex();
  private readonly due: DueIndex;
  private nextHandle: number;
  /** No job is handed out (see holdAssignments). */
  private assignmentsHeld = false;

  constructor(readonly options: EngineOptions) {
    this.nextHandle = options.firstHandle ?? 1;
    this.due = new DueIndex(options.clock, (job) => {
      job.fn.scheduledByPriority[job.priority]!--;
      this.events.emit('job.due', job);
      this.enqueue(job);
    });
  }

  get clock(): Clock {
    return this.options.clock;
  }

  /** The number the next new job's handle will carry. */
  get handleCounter(): number {
    return this.nextHandle;
  }

  fn(name: string): FunctionQueue {
    let f = this.functions.get(name);
    if (f === undefined) {
      f = new FunctionQueue(name);
      this.functions.set(name, f);
    }
    return f;
  }

  // ---------------------------------------------------------------------------------- sessions

  open(session: Session): void {
    this.events.emit('session.opened', session);
  }

  /** A connection went away: its running jobs are requeued, its waits dropped. */
  close(session: Session): void {
    if (session.closed) return;
    session.closed = true;
    const wasWorker = session.isWorker;
    // Unregister first, so requeued jobs wake live workers rather than this one.
    for (const a of session.abilities) a.fn.removeWorker(session);
    session.abilities = [];
    if (session.held !== null) {
      for (const job of [...session.held]) this.takeBack(job, 'lost');
    }
    if (session.attached !== null) {
      for (const job of session.attached) this.detachClient(job, session);
      session.attached = null;
    }
    if (wasWorker) this.events.emit('worker.disconnected', session);
    this.events.emit('session.closed', session);
  }

  // ----------------------------------------------------------------------------------- clients

  /** Creates a job, or joins an active one with the same unique. Returns the job or an error. */
  submit(session: Session | null, req: SubmitRequest): Job | ErrorCode {
    const o = this.options;
    if (req.fn.length === 0) return 'FUNCTION_EMPTY';
    if (req.fn.length > o.maxFunctionBytes) return 'FUNCTION_TOO_LARGE';
    if (req.unique.length > o.maxUniqueBytes) return 'UNIQUE_TOO_LARGE';
    if (req.payload.length > o.maxPayloadBytes) return 'PAYLOAD_TOO_LARGE';
    const fn = this.fn(req.fn);
    const key = coalesceKey(req.unique, req.payload);
    const existing = this.uniques.find(fn, key);
    if (existing !== undefined) {
      if (req.background) existing.backgroundRefs++;
      else if (session !== null) this.attachClient(existing, session);
      this.events.emit('job.coalesced', existing, session, req.background);
      return existing;
    }
    const limit = fn.maxQueue[req.priority]!;
    if (limit > 0 && fn.total >= limit) return 'QUEUE_FULL';

    const now = this.clock.now();
    const id = this.nextHandle++;
    const handle = `${o.handlePrefix}:${id}`;
    const job = new Job(id, handle, fn, req.unique, req.payload, req.priority, req.background,
      req.reducer, req.dueAt > now ? req.dueAt : 0, now);
    this.jobs.add(job);
    this.uniques.add(job, key, true);
    if (!req.background && session !== null) this.attachClient(job, session);
    this.events.emit('job.submitted', job, session);
    this.placeAt(job, job.dueAt);
    return job;
  }

  /**
   * Puts back a job recovered from the store, with its handle, place and counters. Restores must
   * come in the store's submission order so FIFO order survives the restart.
   */
  restore(r: RestoreRequest): Job {
    const fn = this.fn(r.fn);
    const now = this.clock.now();
    const job = new Job(r.id, r.handle, fn, r.unique, r.payload, r.priority, r.background, r.reducer,
      r.dueAt > now ? r.dueAt : 0, r.submittedAt);
    job.retries = r.retries;
    job.attempts = r.attempts;
    this.jobs.add(job);
    this.uniques.add(job, coalesceKey(r.unique, r.payload));
    if (r.id >= this.nextHandle) this.nextHandle = r.id + 1;
    this.placeAt(job, job.dueAt);
    return job;
  }

  /**
   * Runs a finished job again (a retry by hand): it comes back queued, or scheduled at `dueAt`,
   * with its handle and history. Returns null when an active job already holds its unique.
   */
  revive(r: RestoreRequest): Job | null {
    const fn = this.fn(r.fn);
    if (this.jobs.has(r.handle) || this.uniques.find(fn, coalesceKey(r.unique, r.payload)) !== undefined) return null;
    const job = this.restore(r);
    this.events.emit('job.requeued', job, 'manual', null);
    return job;
  }

  /**
   * Withdraws a job whose record could not be made durable (the store failed), as if it had
   * never been submitted. A job a worker already took keeps running. Emits nothing.
   */
  discard(job: Job): void {
    if (job.state === 'queued' || job.state === 'scheduled') this.finish(job, 'cancelled');
  }

  status(handle: string): JobStatus {
    const job = this.jobs.get(handle);
    if (job === undefined) return UNKNOWN_STATUS;
    return statusOf(job);
  }

  statusByUnique(unique: string): JobStatus {
    const job = this.uniques.byUniqueAnywhere(unique, this.functions.values(), this.jobs.values());
    if (job === undefined || !job.isActive) return UNKNOWN_STATUS;
    return statusOf(job);
  }

  // ----------------------------------------------------------------------------------- workers

  canDo(session: Session, name: string, timeoutMs: number): ErrorCode | null {
    if (name.length > this.options.maxFunctionBytes) return 'FUNCTION_TOO_LARGE';
    const fn = this.fn(name);
    const existing = session.ability(fn);
    if (existing !== undefined) {
      existing.timeoutMs = timeoutMs;
      return null;
    }
    const first = !session.isWorker;
    session.abilities.unshift({ fn, timeoutMs });
    fn.addWorker(session);
    this.events.emit(first ? 'worker.connected' : 'worker.abilities', session);
    return null;
  }

  cantDo(session: Session, name: string): void {
    const fn = this.functions.get(name);
    if (fn === undefined) return;
    const i = session.abilities.findIndex((a) => a.fn === fn);
    if (i < 0) return;
    session.abilities.splice(i, 1);
    fn.removeWorker(session);
    this.releaseHeld(session, fn);
    this.abilitiesChanged(session);
  }

  resetAbilities(session: Session): void {
    const had = session.abilities.length > 0;
    for (const a of session.abilities) a.fn.removeWorker(session);
    session.abilities = [];
    this.releaseHeld(session, null);
    if (had) this.abilitiesChanged(session);
  }

  /** A worker with functions left changed; one without any is no longer a worker (until CAN_DO). */
  private abilitiesChanged(session: Session): void {
    this.events.emit(session.isWorker ? 'worker.abilities' : 'worker.disconnected', session);
  }

  /**
   * Stops (or starts again) handing out jobs to every worker, while the store catches up: GRAB_JOB
   * gets NO_JOB, nobody is woken; when released, sleeping workers of every function with jobs
   * waiting are woken. Jobs keep queueing meanwhile, and running ones finish as usual.
   */
  holdAssignments(on: boolean): void {
    if (this.assignmentsHeld === on) return;
    this.assignmentsHeld = on;
    if (on) return;
    for (const fn of this.functions.values()) {
      if (fn.queuedTotal > 0 && !fn.paused) this.wake(fn);
    }
  }

  /** PRE_SLEEP: NOOP at once when a job is waiting, else sleep until one arrives. */
  preSleep(session: Session): void {
    if (this.assignmentsHeld) {
      session.sleeping = true;
      return;
    }
    for (const a of session.abilities) {
      if (a.fn.queuedTotal > 0 && !a.fn.paused) {
        if (!session.noopSent) {
          session.noopSent = true;
          session.out.noop();
        }
        return;
      }
    }
    session.sleeping = true;
  }

  /**
   * GRAB_JOB*: the next job across the worker's functions, HIGH before NORMAL before LOW over
   * all of them, FIFO within a level, newest registration first (rotated with round-robin).
   */
  grab(session: Session): Job | null {
    session.sleeping = false;
    session.noopSent = false;
    if (this.assignmentsHeld) return null;
    const abilities = session.abilities;
    for (let p = 0; p < 3; p++) {
      for (let i = 0; i < abilities.length; i++) {
        const ability = abilities[i]!;
        const fn = ability.fn;
        if (fn.paused) continue;
        const job = fn.take(p);
        if (job === undefined) continue;
        if (this.options.roundRobin && abilities.length > 1) {
          abilities.splice(i, 1);
          abilities.push(ability);
        }
        this.start(job, session, ability.timeoutMs || (this.policyOf(fn)?.timeoutMs ?? 0));
        return job;
      }
    }
    return null;
  }

  workStatus(session: Session, handle: string, numerator: string, denominator: string): ErrorCode | null {
    const job = this.heldBy(session, handle);
    if (job === null) return 'JOB_NOT_FOUND_RESULT';
    // Stored as integers (GET_STATUS answers with numbers), forwarded byte-for-byte as sent.
    job.numerator = integerText(numerator);
    job.denominator = integerText(denominator);
    const clients = job.clients;
    if (clients !== null) {
      for (let i = 0; i < clients.length; i++) clients[i]!.out.workStatus(handle, numerator, denominator);
    }
    this.events.emit('job.status', job);
    return null;
  }

  /** WORK_DATA or WORK_WARNING: forwarded to waiting clients, the job carries on. */
  workData(session: Session, type: PacketType.WORK_DATA | PacketType.WORK_WARNING, handle: string,
    data: Buffer): ErrorCode | null {
    const job = this.heldBy(session, handle);
    if (job === null) return 'JOB_NOT_FOUND_DATA';
    this.forward(job, type, data);
    this.events.emit('job.data', job, type === PacketType.WORK_DATA ? 'data' : 'warning', data);
    return null;
  }

  workComplete(session: Session, handle: string, result: Buffer): ErrorCode | null {
    const job = this.heldBy(session, handle);
    if (job === null) return this.afterException(session, handle) ? null : 'JOB_NOT_FOUND_RESULT';
    if (this.endCancelled(job)) return null;
    this.forward(job, PacketType.WORK_COMPLETE, result);
    this.finish(job, 'completed');
    this.events.emit('job.completed', job, result);
    return null;
  }

  workFail(session: Session, handle: string): ErrorCode | null {
    const job = this.heldBy(session, handle);
    if (job === null) return this.afterException(session, handle) ? null : 'JOB_NOT_FOUND_RESULT';
    if (this.endCancelled(job)) return null;
    this.endAttempt(job, 'fail', null);
    return null;
  }

  workException(session: Session, handle: string, data: Buffer): ErrorCode | null {
    const job = this.heldBy(session, handle);
    if (job === null) return 'JOB_NOT_FOUND_EXCEPTION';
    if (this.endCancelled(job)) return null;
    // Several worker libraries follow an exception with WORK_FAIL (or a result) for the same job;
    // that one report is accepted quietly instead of answered with JOB_NOT_FOUND.
    session.lastExceptionHandle = handle;
    const rescheduleAt = job.background ? parseRescheduleRequest(data, this.clock.now()) : null;
    if (rescheduleAt !== null) this.reschedule(job, rescheduleAt);
    else this.endAttempt(job, 'exception', data);
    return null;
  }

  /** Stops handing out a function's jobs (they keep queueing); false if unknown. */
  pause(name: string): boolean {
    const fn = this.functions.get(name);
    if (fn === undefined) return false;
    fn.paused = true;
    return true;
  }

  /** Hands out a paused function's jobs again, waking its sleeping workers. */
  resume(name: string): boolean {
    const fn = this.functions.get(name);
    if (fn === undefined) return false;
    if (fn.paused) {
      fn.paused = false;
      if (fn.queuedTotal > 0 && !this.assignmentsHeld) this.wake(fn);
    }
    return true;
  }

  /**
   * Moves a job that is waiting (queued or scheduled) to run at `at` instead. Running jobs cannot
   * be moved from outside (their worker has them); returns the job, or why not.
   */
  rescheduleWaiting(handle: string, at: number): Job | 'not-found' | 'running' {
    const job = this.jobs.get(handle);
    if (job === undefined) return 'not-found';
    if (job.state === 'running') return 'running';
    if (job.state === 'queued' && at <= this.clock.now()) {
      // Already runnable: it keeps its place rather than going to the back.
      job.dueAt = at;
      this.events.emit('job.rescheduled', job, at);
      return job;
    }
    if (job.state === 'queued') job.fn.queued[job.priority]!--; // its FIFO entry is skipped from now on
    else job.fn.scheduledByPriority[job.priority]!--;
    this.placeAt(job, at);
    this.events.emit('job.rescheduled', job, at);
    return job;
  }

  /** Sets (or, with null, removes) a function's retry policy. */
  setPolicy(name: string, policy: RetryPolicy | null): void {
    this.fn(name).policy = policy;
  }

  policyOf(fn: FunctionQueue): RetryPolicy | null {
    return fn.policy ?? this.options.defaultPolicy ?? null;
  }

  // ------------------------------------------------------------------------------------- admin

  /**
   * Cancels a job. A queued or scheduled job is removed; a running one keeps running but its
   * clients are released and its result goes nowhere. Clients get WORK_FAIL. False if unknown.
   */
  cancel(handle: string): boolean {
    const job = this.jobs.get(handle);
    if (job === undefined) return false;
    this.notifyFail(job);
    if (job.clients !== null) {
      for (const c of job.clients) c.attached?.delete(job);
      job.clients = null;
    }
    job.backgroundRefs = 0;
    if (job.state === 'running') {
      // The worker may still send its result; it is accepted and dropped (no ERROR to a worker
      // that did nothing wrong), and the job ends as cancelled. New submissions no longer join it.
      if (job.cancelRequested) return true;
      job.cancelRequested = true;
      this.uniques.remove(job);
      this.events.emit('job.cancelled', job);
      return true;
    }
    this.finish(job, 'cancelled');
    this.events.emit('job.cancelled', job);
    return true;
  }

  /** maxqueue: limits per priority (0 = unlimited); false when the function does not exist. */
  setMaxQueue(name: string, limits: [number, number, number]): boolean {
    const fn = this.functions.get(name);
    if (fn === undefined) return false;
    fn.maxQueue[0] = limits[0];
    fn.maxQueue[1] = limits[1];
    fn.maxQueue[2] = limits[2];
    return true;
  }

  /** Removes an idle function; refuses while it has workers or jobs. */
  dropFunction(name: string): 'ok' | 'busy' | 'not-found' {
    let fn = this.functions.get(name);
    if (fn === undefined) {
      const lower = name.toLowerCase();
      for (const f of this.functions.values()) if (f.name.toLowerCase() === lower) { fn = f; break; }
    }
    if (fn === undefined) return 'not-found';
    if (fn.workers.length > 0 || fn.total > 0) return 'busy';
    this.functions.delete(fn.name);
    return 'ok';
  }

  // ---------------------------------------------------------------------------------- internals

  /** True once for the report that follows a WORK_EXCEPTION for the same job from the same worker. */
  private afterException(session: Session, handle: string): boolean {
    if (session.lastExceptionHandle !== handle) return false;
    session.lastExceptionHandle = null;
    return true;
  }

  /**
   * An attempt ended badly. With a retry policy that covers the outcome the job waits for its
   * next attempt (same handle, clients still attached) or, out of attempts, fails for good.
   * Without one it ends as gearmand would: fail and exception end the job, loss and timeout requeue.
   */
  private endAttempt(job: Job, outcome: RetryOutcome, data: Buffer | null, requeueReason: RequeueReason = 'lost',
    worker: Session | null = job.worker): void {
    const policy = this.policyOf(job.fn);
    const applies = policy !== null && policy.retryOn.includes(outcome) &&
      (job.background || job.backgroundRefs > 0 || policy.foreground);
    if (applies) {
      this.stopRunning(job);
      const at = nextAttemptAt(this.clock.now(), job.attempts, policy, this.random());
      if (at !== null) {
        job.numerator = '0';
        job.denominator = '0';
        this.placeAt(job, at);
        this.events.emit('job.retrying', job, outcome, at, worker);
        return;
      }
      if (outcome === 'exception' && data !== null) this.failJob(job, 'exception', data);
      else this.failJob(job, 'retries-exhausted', null);
      return;
    }
    if (outcome === 'fail') this.failJob(job, 'fail', null);
    else if (outcome === 'exception') this.failJob(job, 'exception', data);
    else this.requeueLegacy(job, requeueReason, worker);
  }

  /**
   * A worker asked (WORK_EXCEPTION `gearhq:reschedule …`) to run its job again at `at`: same
   * handle and record, the attempt given back rather than counted as a failure.
   */
  private reschedule(job: Job, at: number): void {
    this.stopRunning(job);
    job.attempts--;
    job.numerator = '0';
    job.denominator = '0';
    this.placeAt(job, at);
    this.events.emit('job.rescheduled', job, at);
  }

  /** Waits for `at` (scheduled), or queues at once when that time has come. */
  private placeAt(job: Job, at: number): void {
    job.dueAt = at;
    if (at > this.clock.now()) this.schedule(job);
    else this.enqueue(job);
  }

  private random(): number {
    return (this.options.random ?? Math.random)();
  }

  /** A cancelled job's worker reported back: the job ends as cancelled, the result goes nowhere. */
  private endCancelled(job: Job): boolean {
    if (!job.cancelRequested) return false;
    this.finish(job, 'cancelled');
    return true;
  }

  private attachClient(job: Job, session: Session): void {
    const attached = (session.attached ??= new Set());
    if (attached.has(job)) return; // the same client submitting the same unique again
    attached.add(job);
    (job.clients ??= []).push(session);
  }

  private detachClient(job: Job, session: Session): void {
    const clients = job.clients;
    if (clients === null) return;
    const i = clients.indexOf(session);
    if (i >= 0) clients.splice(i, 1);
    if (job.isWanted) return;
    // Nobody waits and no background submission needs it: a job not yet started is dropped now;
    // a running one finishes normally and its results go nowhere.
    if (job.state === 'queued' || job.state === 'scheduled') {
      this.finish(job, 'abandoned');
      this.events.emit('job.abandoned', job);
    }
  }

  private enqueue(job: Job): void {
    const fn = job.fn;
    job.state = 'queued';
    fn.push(job);
    fn.queued[job.priority]!++;
    if (!fn.paused && !this.assignmentsHeld) this.wake(fn);
  }

  /** NOOPs sleeping workers of a function, starting where the last walk stopped. */
  private wake(fn: FunctionQueue): void {
    const workers = fn.workers;
    const n = workers.length;
    if (n === 0) return;
    const limit = this.options.workerWakeup;
    let woken = 0;
    let i = fn.wakeHead;
    for (let visited = 0; visited < n; visited++) {
      const s = workers[i]!;
      i = i + 1 === n ? 0 : i + 1;
      if (s.sleeping && !s.noopSent) {
        s.noopSent = true;
        s.out.noop();
        if (limit > 0 && ++woken >= limit) break;
      }
    }
    fn.wakeHead = i;
  }

  private start(job: Job, session: Session, timeoutMs: number): void {
    job.state = 'running';
    job.worker = session;
    job.attempts++;
    job.startedAt = this.clock.now();
    job.fn.running++;
    (session.held ??= new Set()).add(job);
    if (timeoutMs > 0) {
      job.timer = this.clock.setTimer(() => {
        job.timer = null;
        if (job.worker === session) this.takeBack(job, 'timeout');
      }, Math.max(timeoutMs, 1000));
    }
    this.events.emit('job.assigned', job, session);
  }

  private heldBy(session: Session, handle: string): Job | null {
    const job = this.jobs.get(handle);
    if (job === undefined || job.worker !== session) return null;
    return job;
  }

  /** Requeues the jobs a worker holds for `fn` (or all of them) after CANT_DO/RESET_ABILITIES. */
  private releaseHeld(session: Session, fn: FunctionQueue | null): void {
    if (session.held === null) return;
    for (const job of [...session.held]) {
      if (fn === null || job.fn === fn) this.takeBack(job, 'released');
    }
  }

  /** Takes a running job away from its worker: requeued, or failed when -j is exhausted. */
  private takeBack(job: Job, reason: RequeueReason): void {
    const worker = job.worker;
    this.stopRunning(job);
    job.retries++;
    if (job.cancelRequested) {
      this.finish(job, 'cancelled');
      return;
    }
    if (!job.isWanted) {
      // Abandoned while running: it ends here instead of going back to the queue.
      this.finish(job, 'abandoned');
      this.events.emit('job.abandoned', job);
      return;
    }
    this.endAttempt(job, reason === 'timeout' ? 'timeout' : 'lost', null, reason, worker);
  }

  /** gearmand's requeue after a lost worker or a timeout, bounded by -j. */
  private requeueLegacy(job: Job, reason: RequeueReason, worker: Session | null): void {
    const max = this.options.jobRetries;
    if (max > 0 && job.retries >= max) {
      this.failJob(job, 'retries-exhausted', null);
      return;
    }
    job.numerator = '0';
    job.denominator = '0';
    // Queued first, so listeners (the journal) see the job as it now is.
    this.enqueue(job);
    this.events.emit('job.requeued', job, reason, worker);
  }

  private stopRunning(job: Job): void {
    if (job.worker === null) return;
    job.worker.held?.delete(job);
    job.worker = null;
    job.fn.running--;
    if (job.timer !== null) {
      this.clock.clearTimer(job.timer as TimerHandle);
      job.timer = null;
    }
  }

  private failJob(job: Job, reason: FailReason, data: Buffer | null): void {
    if (reason === 'exception' && data !== null) this.forwardException(job, data);
    else this.notifyFail(job);
    this.finish(job, 'failed');
    this.events.emit('job.failed', job, reason, data);
  }

  private forward(job: Job, type: number, data: Buffer): void {
    const clients = job.clients;
    if (clients === null) return;
    for (let i = 0; i < clients.length; i++) clients[i]!.out.workBlob(type, job.handle, data);
  }

  private forwardException(job: Job, data: Buffer): void {
    const clients = job.clients;
    if (clients === null) return;
    for (const c of clients) {
      if (c.exceptions) c.out.workBlob(PacketType.WORK_EXCEPTION, job.handle, data);
      else c.out.workFail(job.handle);
    }
  }

  private notifyFail(job: Job): void {
    const clients = job.clients;
    if (clients === null) return;
    for (const c of clients) c.out.workFail(job.handle);
  }

  /** Ends a job: out of every index and counter, clients released. */
  private finish(job: Job, state: 'completed' | 'failed' | 'cancelled' | 'abandoned'): void {
    const fn = job.fn;
    if (job.state === 'running') this.stopRunning(job);
    else if (job.state === 'queued') fn.queued[job.priority]!--;
    else if (job.state === 'scheduled') fn.scheduledByPriority[job.priority]!--;
    job.state = state;
    this.jobs.remove(job);
    this.uniques.remove(job);
    if (job.clients !== null) {
      for (const c of job.clients) c.attached?.delete(job);
      job.clients = null;
    }
  }

  // ---------------------------------------------------------------------------------- due times

  private schedule(job: Job): void {
    job.state = 'scheduled';
    job.fn.scheduledByPriority[job.priority]!++;
    this.due.add(job);
  }

  /** Moves every job whose time has come into its queue (tests call it after moving a clock). */
  releaseDue(): void {
    this.due.release();
  }
}

/** C `atoi` as text: optional sign and leading digits, anything else 0. */
function integerText(s: string): string {
  const m = /^\s*([+-]?\d+)/.exec(s);
  if (m === null) return '0';
  const n = parseInt(m[1]!, 10);
  return Number.isSafeInteger(n) && Math.abs(n) <= 2147483647 ? String(n) : '0';
}

function statusOf(job: Job): JobStatus {
  return {
    known: true,
    running: job.state === 'running',
    numerator: job.numerator,
    denominator: job.denominator,
    clients: job.clients?.length ?? 0,
  };
}
