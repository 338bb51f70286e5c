/**
 * Which blobs of a batch the SQLite store keeps in segment files (blob-segments.ts) rather than in
 * its rows, and the references that take their place.
 */
import type { CommitBatch } from '../store.js';
import { MIN_EXTERNAL_BYTES } from './blob-segments.js';

/** Bits of the `external` column: which of the row's blob columns hold a reference. */
export const EXTERNAL_PAYLOAD = 1;
export const EXTERNAL_RESULT = 2;

/** A delta's blobs written to a segment: their references, and that segment. */
export interface PlacedDelta {
  payload: Buffer | null;
  result: Buffer | null;
  segment: number;
}

/** By the delta's index in its batch; deltas with nothing placed are absent. */
export type PlacedBlobs = Map<number, PlacedDelta>;

/** The blobs to place, in batch order, with the delta and column each belongs to. */
export interface BlobsToPlace {
  blobs: Buffer[];
  owners: { delta: number; column: 'payload' | 'result' }[];
}

/** The batch's large payloads (of new jobs) and results, or null if it has none. */
export function blobsToPlace(batch: CommitBatch): BlobsToPlace | null {
  let found: BlobsToPlace | null = null;
  const deltas = batch.deltas;
  for (let i = 0; i < deltas.length; i++) {
    const d = deltas[i]!;
    const payload = d.insert?.payload;
    if (payload !== undefined && payload.length >= MIN_EXTERNAL_BYTES) {
      found ??= { blobs: [], owners: [] };
      found.blobs.push(payload);
      found.owners.push({ delta: i, column: 'payload' });
    }
    if (d.result !== null && d.result.length >= MIN_EXTERNAL_BYTES) {
      found ??= { blobs: [], owners: [] };
      found.blobs.push(d.result);
      found.owners.push({ delta: i, column: 'result' });
    }
  }
  return found;
}

/** Pairs the references an append returned with their deltas. */
export function placedBlobs(toPlace: BlobsToPlace, refs: readonly Buffer[], segment: number): PlacedBlobs {
  const placed: PlacedBlobs = new Map();
  toPlace.owners.forEach((owner, k) => {
    let p = placed.get(owner.delta);
    if (p === undefined) placed.set(owner.delta, (p = { payload: null, result: null, segment }));
    p[owner.column] = refs[k]!;
  });
  return placed;
}
