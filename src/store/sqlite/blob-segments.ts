/**
 * Large payloads and results live in append-only segment files next to the SQLite file, which
 * keeps a 16-byte reference in their place (see MIN_EXTERNAL_BYTES).
 *
 * Why: SQLite writes every page twice (WAL, then the checkpoint's copy into the database file),
 * checksums each WAL frame, and grows the database file, whose new page-cache pages are slow to
 * touch on this kind of VM (memory handed back to the host). With 10 KiB foreground jobs that was
 * ~80 µs of server CPU per job, half of all it spent. Here the bytes are written once, in large
 * writes that bypass the page cache (O_DIRECT, where the file system has it) from one reused
 * staging buffer, on libuv's pool: 1.4 µs of CPU per 20 KiB in a microbenchmark against 15 µs for
 * buffered writes into a fresh file.
 *
 * A segment is never written again once the process that wrote it stops (each start opens a new
 * one), so a crash can leave only unreferenced bytes at its end. Segments go when no record
 * refers to one of them or an older one (`dropBefore`); the few records that keep an old segment
 * from going (jobs kept longer than the rest) have their bytes moved into SQLite (see
 * SqliteStore's compaction).
 */
import { closeSync, constants, fdatasync, fdatasyncSync, mkdirSync, openSync, readdirSync, readSync, statSync, unlinkSync, write, writeSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

/**
 * Blobs at least this long go to a segment: from about a page on, SQLite keeps a blob in overflow
 * pages of its own, and the record's page then holds only the reference.
 */
export const MIN_EXTERNAL_BYTES = 4096;
/** A segment is closed for writing once it is this long (a batch never splits across two). */
export const SEGMENT_BYTES = 64 * 1024 * 1024;
/** Bytes staged per write; a batch with more is written in several. A multiple of ALIGN. */
const STAGING_BYTES = 4 * 1024 * 1024;
/** O_DIRECT wants buffer address, file offset and length aligned to the device's block size. */
const ALIGN = 4096;
/** Read descriptors kept open, for lookups of jobs in older segments. */
const OPEN_READERS = 16;
const REF_BYTES = 16;

const writeAsync = promisify(write);
const fdatasyncAsync = promisify(fdatasync);

/** A file's length, 0 if it is not there. */
export function fileSize(path: string): number {
  try {
    return statSync(path).size;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw e;
  }
}

/** Where a blob is: its segment, offset and length, as the 16 bytes stored in its column. */
export function blobRef(segment: number, offset: number, length: number): Buffer {
  const ref = Buffer.allocUnsafe(REF_BYTES);
  ref.writeUInt32LE(segment, 0);
  ref.writeUInt32LE(length, 4);
  ref.writeUInt32LE(Math.floor(offset / 2 ** 32), 8);
  ref.writeUInt32LE(offset % 2 ** 32, 12);
  return ref;
}

export function parseBlobRef(ref: Buffer): { segment: number; offset: number; length: number } | null {
  if (ref.length !== REF_BYTES) return null;
  return { segment: ref.readUInt32LE(0), length: ref.readUInt32LE(4), offset: ref.readUInt32LE(8) * 2 ** 32 + ref.readUInt32LE(12) };
}

export class BlobSegments {
  /** Segment numbers on disk, oldest first. */
  private segments: number[] = [];
  /** The segment appends go to (made by the first one), its descriptor and length. */
  private writing = 0;
  private fd = -1;
  private end = 0;
  /** Bytes appended without an fsync since. */
  private unsynced = false;
  /** The staging buffer, and where in it an aligned address starts (0 without O_DIRECT). */
  private staging: Buffer | null = null;
  private base = 0;
  /** Writes bypass the page cache; cleared for good where the file system or the buffer cannot. */
  private direct: boolean;
  private readonly readers = new Map<number, number>();

  /** `bypassPageCache: false` writes through the page cache, as where O_DIRECT is refused. */
  constructor(private readonly dir: string, options: { bypassPageCache?: boolean } = {}) {
    this.direct = options.bypassPageCache ?? true;
  }

  /** Lists the segments on disk; appends go to a new one after them. */
  open(): void {
    mkdirSync(this.dir, { recursive: true });
    this.segments = readdirSync(this.dir)
      .map((name) => /^(\d{8})\.seg$/.exec(name))
      .filter((m) => m !== null)
      .map((m) => Number(m[1]))
      .sort((a, b) => a - b);
    this.writing = (this.segments.at(-1) ?? 0) + 1;
  }

  /** Whether appends since the last fsync are not on disk yet (see sync). */
  get needsSync(): boolean {
    return this.unsynced;
  }

  /** Whether writes bypass the page cache (false where the file system refuses O_DIRECT, e.g. tmpfs). */
  get bypassesPageCache(): boolean {
    return this.direct;
  }

  /**
   * Appends the blobs, in one write per STAGING_BYTES, and returns their references; with `sync`
   * they are on disk (fdatasync) when it resolves. One append at a time: the caller waits for each.
   * On failure nothing is referenced and the next append writes over the same place.
   */
  async append(blobs: readonly Buffer[], sync: boolean): Promise<{ segment: number; refs: Buffer[] }> {
    if (this.fd < 0) this.startSegment(this.writing);
    else if (this.end >= SEGMENT_BYTES) this.startSegment(this.writing + 1);
    const staging = this.staging ?? this.makeStaging();
    const segment = this.writing;
    const refs: Buffer[] = [];
    let at = this.end;
    let filled = 0;
    for (const blob of blobs) {
      refs.push(blobRef(segment, at + filled, blob.length));
      for (let copied = 0; copied < blob.length;) {
        const n = blob.copy(staging, this.base + filled, copied, copied + Math.min(blob.length - copied, STAGING_BYTES - filled));
        copied += n;
        filled += n;
        if (filled === STAGING_BYTES) {
          await this.writeStaged(staging, filled, at);
          at += filled;
          filled = 0;
        }
      }
    }
    if (filled > 0) {
      const padded = Math.ceil(filled / ALIGN) * ALIGN;
      await this.writeStaged(staging, padded, at);
      at += padded;
    }
    this.end = at;
    this.unsynced = true;
    if (sync) await this.sync();
    return { segment, refs };
  }

  /**
   * Puts what was appended without `sync` on disk: for a durable commit that has no blobs of its
   * own, so that no record it makes durable refers to bytes a power cut could take.
   */
  async sync(): Promise<void> {
    if (!this.unsynced) return;
    this.unsynced = false;
    try {
      await fdatasyncAsync(this.fd);
    } catch (e) {
      this.unsynced = true;
      throw e;
    }
  }

  /** A blob's bytes, or null if its segment or its bytes are not there (lost with a power cut). */
  read(ref: Buffer): Buffer | null {
    const where = parseBlobRef(ref);
    if (where === null) return null;
    const fd = this.reader(where.segment);
    if (fd === null) return null;
    const bytes = Buffer.allocUnsafe(where.length);
    let got = 0;
    while (got < where.length) {
      const n = readSync(fd, bytes, got, where.length - got, where.offset + got);
      if (n === 0) return null;
      got += n;
    }
    return bytes;
  }

  /** Removes the segments older than `segment` (never the one being written). Returns how many. */
  dropBefore(segment: number): number {
    let dropped = 0;
    while (this.segments.length > 0 && this.segments[0]! < Math.min(segment, this.writing)) {
      const old = this.segments.shift()!;
      const fd = this.readers.get(old);
      if (fd !== undefined) closeSync(fd);
      this.readers.delete(old);
      unlinkSync(this.pathOf(old));
      dropped++;
    }
    return dropped;
  }

  /** A segment no append will write to again (an older one than the current, still on disk). */
  isClosed(segment: number): boolean {
    return segment < this.writing && this.segments.includes(segment);
  }

  /** The segments' length on disk, in all. */
  totalBytes(): number {
    let total = 0;
    for (const segment of this.segments) total += this.sizeOf(segment);
    return total;
  }

  /** A segment's length on disk (0 if it is not there). */
  sizeOf(segment: number): number {
    return fileSize(this.pathOf(segment));
  }

  close(): void {
    for (const fd of this.readers.values()) closeSync(fd);
    this.readers.clear();
    if (this.fd >= 0) {
      if (this.unsynced) fdatasyncSync(this.fd);
      closeSync(this.fd);
    }
    this.fd = -1;
  }

  private startSegment(segment: number): void {
    if (this.fd >= 0) {
      if (this.unsynced) fdatasyncSync(this.fd);
      this.unsynced = false;
      closeSync(this.fd);
      this.fd = -1;
    }
    // Set first: if the open fails (a full disk), the next append tries this number again.
    this.writing = segment;
    const path = this.pathOf(segment);
    const flags = constants.O_WRONLY | constants.O_CREAT;
    if (this.direct) {
      try {
        this.fd = openSync(path, flags | constants.O_EXCL | constants.O_DIRECT, 0o644);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EINVAL') throw e;
        this.direct = false;
      }
    }
    // Without O_EXCL: the refused O_DIRECT open may have created the file already.
    if (this.fd < 0) this.fd = openSync(path, flags, 0o644);
    this.segments.push(segment);
    this.end = 0;
  }

  /**
   * The staging buffer. Node does not tell a buffer's address, so the aligned start is found by
   * trying one block from each 16-byte offset (allocations are 16-byte aligned): the file system
   * refuses the misaligned ones with EINVAL. These trial bytes land at the start of the new
   * segment, where the first append writes over them.
   */
  private makeStaging(): Buffer {
    const staging = Buffer.allocUnsafeSlow(STAGING_BYTES + ALIGN);
    // Kept only once its aligned start is known: a trial refused for another reason (a full disk)
    // fails this append, and the next one tries again.
    if (this.direct) this.base = this.alignedStart(staging);
    this.staging = staging;
    return staging;
  }

  private alignedStart(staging: Buffer): number {
    for (let offset = 0; offset < ALIGN; offset += 16) {
      try {
        writeSync(this.fd, staging, offset, ALIGN, 0);
        return offset;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EINVAL') throw e;
      }
    }
    // No aligned start (a device with larger blocks): write through the page cache instead.
    closeSync(this.fd);
    this.direct = false;
    this.fd = openSync(this.pathOf(this.writing), constants.O_WRONLY, 0o644);
    return 0;
  }

  private async writeStaged(staging: Buffer, length: number, position: number): Promise<void> {
    let written = 0;
    while (written < length) {
      const { bytesWritten } = await writeAsync(this.fd, staging, this.base + written, length - written, position + written);
      if (bytesWritten === 0) throw new Error(`writing blob segment ${this.writing} made no progress`);
      written += bytesWritten;
    }
  }

  private reader(segment: number): number | null {
    let fd = this.readers.get(segment);
    if (fd !== undefined) return fd;
    try {
      fd = openSync(this.pathOf(segment), constants.O_RDONLY);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw e;
    }
    if (this.readers.size >= OPEN_READERS) {
      const [oldest, oldFd] = this.readers.entries().next().value as [number, number];
      closeSync(oldFd);
      this.readers.delete(oldest);
    }
    this.readers.set(segment, fd);
    return fd;
  }

  private pathOf(segment: number): string {
    return join(this.dir, `${String(segment).padStart(8, '0')}.seg`);
  }
}
