import { HEADER_SIZE, RES_MAGIC } from './packets.js';

/** Blobs at least this large are written as their own chunk rather than copied. */
const LARGE_BLOB = 64 * 1024;
const INITIAL_CAPACITY = 16 * 1024;

/**
 * The bytes one connection owes its peer in the current event-loop turn. Replies are appended with
 * direct byte stores and taken out once per turn (`take`), so a connection makes one socket write
 * per turn however many packets it produced — the single biggest factor in throughput.
 *
 * String arguments are latin1 strings (one char per byte), as the decoder produces them.
 */
export class OutBuffer {
  private buf: Buffer = Buffer.allocUnsafe(INITIAL_CAPACITY);
  private len = 0;
  /** Finished chunks, in order, when a large blob or admin text forced a split. */
  private chunks: Buffer[] | null = null;

  get isEmpty(): boolean {
    return this.len === 0 && this.chunks === null;
  }

  /** Bytes appended since the last take. */
  get size(): number {
    let n = this.len;
    if (this.chunks) for (const c of this.chunks) n += c.length;
    return n;
  }

  /** A packet with no arguments (NOOP, NO_JOB). */
  packet0(type: number): void {
    this.header(type, 0);
  }

  /** A packet whose only argument is a string (JOB_CREATED, WORK_FAIL, OPTION_RES). */
  packet1(type: number, a: string): void {
    this.header(type, a.length);
    this.len += this.buf.latin1Write(a, this.len);
  }

  /**
   * A packet of string arguments followed by an optional blob: bytes, or a latin1 string (one char
   * per byte, as jobs keep their payloads).
   */
  packet(type: number, args: readonly string[], data: Buffer | string | null): void {
    const hasData = data !== null; // '' is a payload too
    let bodyLen = hasData ? data.length : 0;
    for (let i = 0; i < args.length; i++) bodyLen += args[i]!.length;
    const separators = hasData ? args.length : Math.max(0, args.length - 1);
    bodyLen += separators;
    const inlineData = data !== null && data.length < LARGE_BLOB;
    this.header(type, bodyLen, data === null || inlineData ? bodyLen : bodyLen - data.length);
    const buf = this.buf;
    for (let i = 0; i < args.length; i++) {
      this.len += buf.latin1Write(args[i]!, this.len);
      if (hasData || i < args.length - 1) buf[this.len++] = 0;
    }
    if (data !== null) {
      if (!inlineData) this.splitWith(typeof data === 'string' ? Buffer.from(data, 'latin1') : data);
      else if (typeof data === 'string') this.len += buf.latin1Write(data, this.len);
      else this.len += data.copy(buf, this.len);
    }
  }

  /** Raw bytes, as the admin protocol's text replies. */
  text(s: string): void {
    this.ensure(s.length);
    this.len += this.buf.latin1Write(s, this.len);
  }

  /**
   * Replaces byte ranges of what was appended since the last take (offsets as `size` reported
   * them), e.g. an acknowledgement that must become an error. Rare path: rebuilds the buffer.
   */
  splice(ranges: readonly { start: number; end: number; bytes: Buffer }[]): void {
    const all = Buffer.concat(this.take());
    const parts: Buffer[] = [];
    let at = 0;
    for (const r of [...ranges].sort((a, b) => a.start - b.start)) {
      parts.push(all.subarray(at, r.start), r.bytes);
      at = r.end;
    }
    parts.push(all.subarray(at));
    const rebuilt = Buffer.concat(parts);
    this.ensure(rebuilt.length);
    rebuilt.copy(this.buf, 0);
    this.len = rebuilt.length;
  }

  /**
   * Like `take`, but the last chunk is a view of this buffer rather than a copy: no allocation
   * per write. The caller must call `settle` right after writing it: with `reusable` true when
   * the bytes already left (the socket kept nothing back), so the buffer is used again; false
   * when the socket still holds the view, so a new buffer is started.
   */
  lend(): Buffer[] {
    const out = this.chunks ?? [];
    this.chunks = null;
    if (this.len > 0) out.push(this.buf.subarray(0, this.len));
    this.len = 0;
    return out;
  }

  settle(reusable: boolean): void {
    // A buffer that grew for a burst is not kept: idle connections hold only the initial size.
    if (!reusable || this.buf.length > 4 * INITIAL_CAPACITY) this.buf = Buffer.allocUnsafe(INITIAL_CAPACITY);
  }

  /** Removes and returns everything appended since the last take, as chunks to write in order. */
  take(): Buffer[] {
    const out = this.chunks ?? [];
    this.chunks = null;
    if (this.len > 0) {
      if (this.len <= 16384) {
        // Small: copy out (from Node's pool) and keep reusing our buffer.
        const b = Buffer.allocUnsafe(this.len);
        this.buf.copy(b, 0, 0, this.len);
        out.push(b);
      } else {
        out.push(this.buf.subarray(0, this.len));
        this.buf = Buffer.allocUnsafe(INITIAL_CAPACITY);
      }
      this.len = 0;
    }
    return out;
  }

  /** Writes a header and makes room for `inlineBytes` of body (defaults to the whole body). */
  private header(type: number, bodyLen: number, inlineBytes = bodyLen): void {
    this.ensure(HEADER_SIZE + inlineBytes);
    const buf = this.buf;
    const at = this.len;
    buf.writeUInt32BE(RES_MAGIC, at);
    buf.writeUInt32BE(type, at + 4);
    buf.writeUInt32BE(bodyLen, at + 8);
    this.len = at + HEADER_SIZE;
  }

  private splitWith(blob: Buffer): void {
    const chunks = (this.chunks ??= []);
    if (this.len > 0) {
      chunks.push(Buffer.from(this.buf.subarray(0, this.len)));
      this.len = 0;
    }
    chunks.push(blob);
  }

  private ensure(extra: number): void {
    if (this.len + extra <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.len + extra) cap *= 2;
    const next = Buffer.allocUnsafe(cap);
    this.buf.copy(next, 0, 0, this.len);
    this.buf = next;
  }
}

/** Encodes one packet into a fresh buffer (tests, clients, and anything off the hot path). */
export function encodePacket(type: number, args: readonly string[], data: Buffer | null,
  magic: 'REQ' | 'RES' = 'RES'): Buffer {
  const out = new OutBuffer();
  out.packet(type, args, data);
  const bytes = Buffer.concat(out.take());
  if (magic === 'REQ') bytes.writeUInt32BE(0x00524551, 0);
  return bytes;
}

declare global {
  interface Buffer {
    /** Node's fast latin1 encoder (present on every Buffer, untyped in @types/node). */
    latin1Write(s: string, offset: number): number;
  }
}
