/**
 * The journal's copies of payloads, results and error data, cut from chunks it reuses once the
 * batch holding them is stored.
 *
 * Why: a copy per blob in a buffer of its own is memory V8 counts as external, and 20 KiB per
 * foreground 10 KiB job (payload and result) at ~10k jobs/s made it run a full mark-compact every
 * few hundred ms: ~15 µs of server CPU per job, on the second core the load needs. With chunks
 * that go back and forth between the batches and a free list, nothing new is allocated in steady
 * state: no full collection is left in such a run (perf). A first try with one reused ring, in
 * the same pair of runs: server CPU 8.8 vs 11.4 s per 100k jobs.
 *
 * Only for stores that are done with a batch's bytes once its commit returned or resolved (the
 * SQL drivers; the memory store keeps them as its records, see StoreCapabilities).
 */

/** Bytes per chunk. */
const CHUNK_BYTES = 1024 * 1024;
/** Larger blobs get a buffer of their own (rare: a chunk would mostly go unused). */
const LARGEST_IN_CHUNK = CHUNK_BYTES / 4;
/** Smaller ones come from Node's shared pool as before (cheap, and little memory). */
const SMALLEST_IN_CHUNK = 1024;
/** Chunks kept for reuse at most, so a burst does not hold its memory for good. */
const MAX_FREE_CHUNKS = 32;

/** The chunks one batch's bytes are in: released when it is stored, taken back if it is refused. */
export type ArenaChunks = readonly Buffer[];

export class BlobArena {
  private chunk: Buffer | null = null;
  private used = 0;
  /** Chunks holding bytes of the changes being collected (the current one among them). */
  private collecting: Buffer[] = [];
  private readonly free: Buffer[] = [];

  /** A copy of the first `length` bytes of `bytes`, valid until its batch is released. */
  copy(bytes: Uint8Array, length = bytes.length): Buffer {
    if (length > LARGEST_IN_CHUNK || length < SMALLEST_IN_CHUNK) return Buffer.from(bytes.subarray(0, length));
    const at = this.room(length);
    this.chunk!.set(length === bytes.length ? bytes : bytes.subarray(0, length), at);
    return this.chunk!.subarray(at, at + length);
  }

  /** The bytes of a latin1 ("binary") string, as the engine keeps payloads. */
  copyLatin1(text: string): Buffer {
    if (text.length > LARGEST_IN_CHUNK || text.length < SMALLEST_IN_CHUNK) return Buffer.from(text, 'latin1');
    const at = this.room(text.length);
    this.chunk!.write(text, at, text.length, 'latin1');
    return this.chunk!.subarray(at, at + text.length);
  }

  /**
   * The changes collected so far became a batch: returns the chunks its bytes are in. The next
   * copy starts a chunk of its own, so no chunk is shared by two batches.
   */
  seal(): ArenaChunks {
    const chunks = this.collecting;
    this.collecting = [];
    this.chunk = null;
    return chunks;
  }

  /** The batch was stored: its chunks are reused. */
  release(chunks: ArenaChunks): void {
    for (const c of chunks) if (this.free.length < MAX_FREE_CHUNKS) this.free.push(c);
  }

  /** The batch was refused and its changes are collected again: so are its chunks. */
  reclaim(chunks: ArenaChunks): void {
    this.collecting.push(...chunks);
  }

  /** Where `length` bytes go in the current chunk, starting a new one if they do not fit. */
  private room(length: number): number {
    if (this.chunk === null || this.used + length > CHUNK_BYTES) {
      this.chunk = this.free.pop() ?? Buffer.allocUnsafeSlow(CHUNK_BYTES);
      this.collecting.push(this.chunk);
      this.used = 0;
    }
    const at = this.used;
    this.used += length;
    return at;
  }
}
