/**
 * How the SQLite store finds jobs by unique without an index on the unique text. Uniques are
 * often random (libgearman gives every job a UUID unless the caller names one), and an index on
 * random text puts each new job on a random page of a large tree: every commit then rewrote
 * hundreds of pages, and an insert cost 12 µs instead of 3 (100k rows with random uniques). Over
 * the protocol, durable bg-submit with random uniques (`loadgen --random-unique`) went from 35k
 * to 89k jobs/s with this scheme (3 alternated runs each).
 *
 * Instead each job with a unique gets an integer key: its id's block of 1024 jobs, times 2^20,
 * plus a 20-bit hash of the unique. New jobs land in the newest block, a few pages at the end of
 * the index. A lookup probes one key per block, newest first (a few thousand index seeks for
 * millions of jobs), and compares the unique itself, since hashes collide.
 *
 * The hash is persisted: never change it without a migration that recomputes every key.
 */
export const JOBS_PER_BLOCK = 1024;
export const BLOCK_STRIDE = 1 << 20;

/** The key stored for a job (null when it has no unique). Exact for ids below 2^43. */
export function uniqueKey(id: number, unique: string): number | null {
  if (unique.length === 0) return null;
  return Math.floor(id / JOBS_PER_BLOCK) * BLOCK_STRIDE + uniqueHash(unique);
}

/** FNV-1a over the unique's latin1 characters, folded to 20 bits. */
export function uniqueHash(unique: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < unique.length; i++) {
    h ^= unique.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return ((h >>> 20) ^ h) & (BLOCK_STRIDE - 1);
}

/**
 * SQL for "uniq_key is one of this unique's keys", from the block of the newest job down to the
 * block of the oldest; binds one parameter, the unique's hash. Add `uniq = ?` to rule out
 * collisions.
 */
export const UNIQUE_KEY_MATCH = `uniq_key IN (
  WITH RECURSIVE block_key(k) AS (
    SELECT (SELECT max(id) FROM jobs) / ${JOBS_PER_BLOCK} * ${BLOCK_STRIDE} + ?
    UNION ALL
    SELECT k - ${BLOCK_STRIDE} FROM block_key
      WHERE k - ${BLOCK_STRIDE} >= (SELECT min(id) FROM jobs) / ${JOBS_PER_BLOCK} * ${BLOCK_STRIDE})
  SELECT k FROM block_key)`;
