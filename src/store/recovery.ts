/**
 * Start-up recovery: puts the store's active jobs back into the engine in submission order, with
 * their handles (jobs that were running go to the back of their queue, as a requeue would). A job that was running when the process died comes back queued, its attempt
 * recorded as lost (at-least-once). A foreground job's client is gone with the old process, so
 * such a job is closed as abandoned rather than run for nobody.
 */
import type { Engine } from '../engine/engine.js';
import { payloadText } from '../engine/job.js';
import { attemptDetail } from './journal.js';
import { emptyDelta, type JobDelta, type JobEventRecord, type Store, type StoredJob } from './store.js';

export interface RecoveryReport {
  restored: number;
  lostAttempts: number;
  abandoned: number;
  ms: number;
}

export async function recoverJobs(engine: Engine, store: Store): Promise<RecoveryReport> {
  const started = Date.now();
  const now = engine.clock.now();
  const deltas: JobDelta[] = [];
  const events: JobEventRecord[] = [];
  const lost: StoredJob[] = [];
  let abandoned = 0;
  const total = await store.eachActive((r) => {
    const wasRunning = r.state === 'running';
    if (!r.background) {
      abandoned++;
      deltas.push(fix(r.id, { state: 'abandoned', finishedAt: now }));
      events.push({ jobId: r.id, at: now, type: 'lost', detail: 'server restarted; the client was gone' });
      return;
    }
    const retries = wasRunning ? r.retries + 1 : r.retries;
    if (wasRunning) {
      lost.push(r);
      deltas.push(fix(r.id, { state: 'queued', retries }));
    }
    engine.restore({
      id: r.id, handle: r.handle, fn: r.fn, unique: r.unique, payload: payloadText(r.payload), priority: r.priority,
      background: true, dueAt: r.dueAt, reducer: r.reducer, submittedAt: r.submittedAt,
      retries, attempts: r.attempts,
    });
  });
  // The lost attempts' workers, from their records: a few jobs (those running), not the backlog.
  for (const r of lost) {
    const worker = (await store.findJob(r.handle))?.worker ?? null;
    events.push({ jobId: r.id, at: now, type: 'lost', detail: `server restarted while the job ran${attemptDetail(r.attempts, worker)}` });
  }
  // The engine started from the store's handle counter and restore() raised it past every
  // restored id, so it is already the larger of the two: no second query.
  if (deltas.length > 0) await store.commit({ deltas, events, sync: true, nextHandle: engine.handleCounter });
  return { restored: total - abandoned, lostAttempts: lost.length, abandoned, ms: Date.now() - started };
}

function fix(id: number, change: Partial<JobDelta>): JobDelta {
  return { ...emptyDelta(id), ...change };
}
