import type { Job } from './job.js';
import type { Session } from './session.js';

/** Why a running job went back to the queue. */
export type RequeueReason = 'lost' | 'timeout' | 'released' | 'manual';
/** How a job ended without a result. */
export type FailReason = 'fail' | 'exception' | 'retries-exhausted';

/**
 * Everything the engine tells the rest of the server. Journaling, stats, alerts and the live
 * dashboard subscribe here; the engine never calls them.
 */
export interface EngineEvents {
  'job.submitted': [job: Job, by: Session | null];
  'job.coalesced': [job: Job, by: Session | null, background: boolean];
  'job.due': [job: Job];
  'job.assigned': [job: Job, worker: Session];
  'job.status': [job: Job];
  'job.data': [job: Job, kind: 'data' | 'warning', data: Buffer];
  'job.completed': [job: Job, result: Buffer];
  'job.failed': [job: Job, reason: FailReason, data: Buffer | null];
  /** `worker`: who held it in the attempt that ended (null for a retry by hand). */
  'job.requeued': [job: Job, reason: RequeueReason, worker: Session | null];
  /** A retry policy gave the job another attempt at `at` (ms); `worker` held it in the one that ended. */
  'job.retrying': [job: Job, outcome: 'fail' | 'exception' | 'timeout' | 'lost', at: number, worker: Session | null];
  /** The worker asked for its job to run again at `at` (ms). */
  'job.rescheduled': [job: Job, at: number];
  'job.cancelled': [job: Job];
  'job.abandoned': [job: Job];
  'worker.connected': [session: Session];
  /**
   * A worker's functions changed and it still has some (a later CAN_DO, a CANT_DO); once it has
   * none (CANT_DO of the last, RESET_ABILITIES) it is `worker.disconnected` instead.
   */
  'worker.abilities': [session: Session];
  'worker.disconnected': [session: Session];
  'session.opened': [session: Session];
  'session.closed': [session: Session];
}

type Listener<K extends keyof EngineEvents> = (...args: EngineEvents[K]) => void;

/** A typed event emitter with no allocation when nobody listens. */
export class EngineEmitter {
  private listeners: { [K in keyof EngineEvents]?: Listener<K>[] } = {};

  on<K extends keyof EngineEvents>(event: K, fn: Listener<K>): () => void {
    const list = (this.listeners[event] ??= []) as Listener<K>[];
    list.push(fn);
    return () => {
      const i = list.indexOf(fn);
      if (i >= 0) list.splice(i, 1);
    };
  }

  emit<K extends keyof EngineEvents>(event: K, ...args: EngineEvents[K]): void {
    const list = this.listeners[event] as Listener<K>[] | undefined;
    if (list === undefined || list.length === 0) return;
    for (let i = 0; i < list.length; i++) list[i]!(...args);
  }
}
