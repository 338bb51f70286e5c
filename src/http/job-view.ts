/**
 * The JSON shape of a job in the HTTP API (API.md): times as ISO-8601 UTC, bytes as
 * {size, text} when valid UTF-8 or {size, base64} otherwise, cut to a preview size.
 */
import { payloadBytes, PRIORITY_NAMES, type Job } from '../engine/job.js';
import type { JobEventRecord, JobRecord } from '../store/store.js';
import { wireText } from '../protocol/wire-text.js';
import { isoTime } from './iso-time.js';

export interface BytesView {
  size: number;
  text?: string;
  base64?: string;
  truncated: boolean;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

export function bytesView(data: Buffer | null, size: number | null, previewBytes: number): BytesView | null {
  if (data === null) return null;
  const total = size ?? data.length;
  const shown = data.length > previewBytes ? data.subarray(0, previewBytes) : data;
  const truncated = shown.length < total;
  try {
    return { size: total, text: utf8.decode(shown), truncated };
  } catch {
    return { size: total, base64: shown.toString('base64'), truncated };
  }
}

/** Job times: 0 means not set, like null. */
const iso = (ms: number | null): string | null => isoTime(ms === 0 ? null : ms);

export interface TimelineEvent {
  at: string | null;
  type: string;
  detail: string | null;
}

/**
 * A job's timeline: the events the journal stores (requeues, retries, reschedules, warnings,
 * cancellation, schedule firings) merged with those the record's own times imply — `submitted`,
 * `started` (the latest attempt) and the end state — in time order.
 */
export function timeline(r: JobRecord, events: JobEventRecord[]): TimelineEvent[] {
  type At = { at: number; type: string; detail: string | null };
  // The record keeps only the latest due time: it is the submission's only if nothing moved it.
  const moved = events.some((e) => e.type === 'rescheduled' || e.type === 'retrying');
  const due = r.dueAt && !moved ? `due ${new Date(r.dueAt).toISOString()}` : null;
  const all: At[] = [{ at: r.submittedAt, type: 'submitted', detail: due }];
  for (const e of events) all.push({ at: e.at, type: e.type, detail: e.detail });
  if (r.startedAt) {
    all.push({ at: r.startedAt, type: 'started', detail: `attempt ${r.attempts}${r.worker ? ` on ${r.worker}` : ''}` });
  }
  if (r.finishedAt && !events.some((e) => e.type === r.state)) {
    all.push({ at: r.finishedAt, type: r.state, detail: r.outcome });
  }
  // Stable: events at the same millisecond keep the order above.
  all.sort((a, b) => a.at - b.at);
  return all.map((e) => ({ at: iso(e.at), type: e.type, detail: e.detail }));
}

export function recordView(r: JobRecord, events: JobEventRecord[], previewBytes: number) {
  return {
    handle: r.handle,
    function: wireText(r.fn),
    unique: wireText(r.unique),
    priority: PRIORITY_NAMES[r.priority],
    background: r.background,
    state: r.state,
    submittedAt: iso(r.submittedAt),
    dueAt: iso(r.dueAt),
    startedAt: iso(r.startedAt),
    finishedAt: iso(r.finishedAt),
    attempts: r.attempts,
    retries: r.retries,
    worker: r.worker,
    submitter: r.submitter,
    progress: { numerator: Number(r.numerator ?? 0), denominator: Number(r.denominator ?? 0) },
    payload: bytesView(r.payload, r.payloadSize, previewBytes),
    result: bytesView(r.result, r.resultSize, previewBytes),
    error: bytesView(r.error, null, previewBytes),
    outcome: r.outcome,
    warnings: r.warnings,
    dataChunks: r.dataChunks,
    data: bytesView(r.data, r.dataSize, previewBytes),
    events: timeline(r, events),
  };
}

/** A job the engine holds (stores without history, or the freshest view of an active job). */
export function liveView(job: Job, previewBytes: number) {
  return {
    handle: job.handle,
    function: wireText(job.fn.name),
    unique: wireText(job.unique),
    priority: PRIORITY_NAMES[job.priority],
    background: job.background || job.backgroundRefs > 0,
    state: job.state,
    submittedAt: iso(job.submittedAt),
    dueAt: iso(job.dueAt),
    startedAt: iso(job.startedAt || null),
    finishedAt: null,
    attempts: job.attempts,
    retries: job.retries,
    worker: job.worker === null ? null : job.worker.name,
    submitter: null,
    progress: { numerator: Number(job.numerator), denominator: Number(job.denominator) },
    payload: bytesView(payloadBytes(job.payload), job.payload.length, previewBytes),
    result: null,
    error: null,
    outcome: null,
    warnings: 0,
    dataChunks: 0,
    data: null,
    events: [],
  };
}
