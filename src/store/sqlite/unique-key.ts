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
 * the index. A lookup probes the key of each block whose filter may hold the hash (see
 * UniqueBlockFilters), and compares the unique itself, since hashes collide.
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
 * SQL for "uniq_key is one of the keys given": binds one parameter, a JSON array of keys (see
 * UniqueBlockFilters.keysFor). Add `uniq = ?` to rule out collisions.
 */
export const UNIQUE_KEY_MATCH = 'uniq_key IN (SELECT value FROM json_each(?))';

/** Bits of each block's filter (2 KiB for its 1024 jobs: ~0.5% false positives when full). */
const FILTER_BITS = 16384;
const FILTER_MASK = FILTER_BITS - 1;
/** Keys read into the filters per turn of the event loop while filling (~15 ms). */
const FILL_CHUNK = 50_000;

/** The three bit positions of a unique's 20-bit hash (all a key keeps of the unique). */
const bit1 = (h: number): number => h & FILTER_MASK;
const bit2 = (h: number): number => (h >>> 6) & FILTER_MASK;
const bit3 = (h: number): number => (Math.imul(h, 0x9e3779b1) >>> 18) & FILTER_MASK;

function setBit(bits: Uint32Array, p: number): void {
  bits[p >>> 5]! |= 1 << (p & 31);
}

function hasBit(bits: Uint32Array, p: number): boolean {
  return (bits[p >>> 5]! & (1 << (p & 31))) !== 0;
}

/**
 * Which blocks may hold a unique, so that a lookup probes those and not one key per block of the
 * whole history (~25 ms with 10M jobs). One small Bloom filter per block over its uniques' hashes,
 * in memory, fed by every insert. Reading the keys already stored takes ~0.35 s per million, so
 * it happens in the background after the store opens (`fill`); until it is done the blocks that
 * existed at the start are all probed. Deleted jobs leave their bits (a probe more, never a miss);
 * blocks older than the oldest job are dropped.
 */
export class UniqueBlockFilters {
  private readonly blocks = new Map<number, Uint32Array>();
  private lastBlock = -1;
  private lastBits: Uint32Array | null = null;
  /** While the keys stored before the start are read in: the blocks they are in, all probed. */
  private filling: { first: number; last: number } | null = null;
  private fillTimer: ReturnType<typeof setImmediate> | null = null;
  private endFill: (() => void) | null = null;
  /** Resolves once every key stored before `fill` is in (or the filling was stopped). */
  whenFilled: Promise<void> = Promise.resolve();

  /**
   * Reads the keys of jobs `firstId`..`lastId` in, FILL_CHUNK at a time between turns of the event
   * loop, through `readKeysAfter` (the keys after a key, in order, at most `limit`).
   */
  fill(firstId: number, lastId: number, readKeysAfter: (after: number, limit: number) => number[]): void {
    this.startFilling(firstId, lastId);
    this.whenFilled = new Promise((resolve) => {
      this.endFill = resolve;
      let after = -1;
      const step = (): void => {
        this.fillTimer = null;
        const keys = readKeysAfter(after, FILL_CHUNK);
        for (const key of keys) this.add(key);
        if (keys.length < FILL_CHUNK) return this.filled();
        after = keys[keys.length - 1]!;
        this.fillTimer = setImmediate(step);
      };
      step();
    });
  }

  /** Stops a fill under way (the store closes). */
  stopFilling(): void {
    if (this.fillTimer !== null) clearImmediate(this.fillTimer);
    this.fillTimer = null;
    this.endFill?.();
    this.endFill = null;
  }

  /** Keys stored before now are being read in; until `filled`, blocks `firstId`..`lastId` are probed. */
  startFilling(firstId: number, lastId: number): void {
    this.filling = { first: Math.floor(firstId / JOBS_PER_BLOCK), last: Math.floor(lastId / JOBS_PER_BLOCK) };
  }

  filled(): void {
    this.filling = null;
    this.endFill?.();
    this.endFill = null;
  }

  /** Notes a stored key (block and hash, as uniqueKey makes them). */
  add(key: number): void {
    const block = Math.floor(key / BLOCK_STRIDE);
    // New jobs land in the newest block, so the last one's filter is nearly always the one.
    let bits = block === this.lastBlock ? this.lastBits! : this.blocks.get(block);
    if (bits === undefined) this.blocks.set(block, (bits = new Uint32Array(FILTER_BITS / 32)));
    this.lastBlock = block;
    this.lastBits = bits;
    const h = key - block * BLOCK_STRIDE;
    setBit(bits, bit1(h));
    setBit(bits, bit2(h));
    setBit(bits, bit3(h));
  }

  /** The keys a job with this unique may be stored under, as a JSON array for UNIQUE_KEY_MATCH. */
  keysFor(unique: string): string {
    const h = uniqueHash(unique);
    const p1 = bit1(h);
    const p2 = bit2(h);
    const p3 = bit3(h);
    const keys: number[] = [];
    const f = this.filling;
    if (f !== null) for (let block = f.first; block <= f.last; block++) keys.push(block * BLOCK_STRIDE + h);
    for (const [block, bits] of this.blocks) {
      if (f !== null && block >= f.first && block <= f.last) continue;
      if (hasBit(bits, p1) && hasBit(bits, p2) && hasBit(bits, p3)) keys.push(block * BLOCK_STRIDE + h);
    }
    return JSON.stringify(keys);
  }

  /** Forgets the blocks below `firstId`'s (their jobs are gone). */
  dropBefore(firstId: number): void {
    const first = Math.floor(firstId / JOBS_PER_BLOCK);
    for (const block of this.blocks.keys()) if (block < first) this.blocks.delete(block);
    if (this.lastBlock < first) {
      this.lastBlock = -1;
      this.lastBits = null;
    }
  }

  /** Blocks with a filter (for tests and figures). */
  get size(): number {
    return this.blocks.size;
  }
}
