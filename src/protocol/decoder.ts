import { ProtocolError } from './errors.js';
import { HEADER_SIZE, MAX_PACKET_TYPE, PACKETS, REQ_MAGIC, RES_MAGIC, packetName } from './packets.js';

/** Receives what the decoder finds, in stream order. */
export interface PacketSink {
  /**
   * A well-formed request packet. `args` are the NUL-separated arguments as latin1 strings (one
   * char per byte, so byte-exact); `data` is the blob argument, or null for packet types without
   * one: a private copy, or a view valid during the call for the types in transientData and
   * copiedData.
   */
  onPacket(type: number, args: string[], data: Buffer | null): void;
  /** One admin text line, without its `\n` and one trailing `\r`, as latin1. */
  onText(line: string): void;
  /** Malformed input; after a fatal error the decoder ignores everything else. */
  onProtocolError(error: ProtocolError): void;
}

export interface DecoderLimits {
  /** Largest packet body accepted (header excluded). */
  maxBodyBytes: number;
  /** Longest admin text line, newline included. */
  maxTextLine: number;
  /**
   * Packet types whose blob the receiver uses at once and keeps only briefly (forwarded results,
   * echoes): given as a view of the socket chunk instead of a copy when the packet arrived whole
   * in one chunk. Everything else (payloads that wait in a queue) is always copied.
   */
  transientData?: ReadonlySet<number>;
  /**
   * Packet types whose blob the receiver copies before its callback returns (submissions, whose
   * payload becomes a string): always given as a view, even of the decoder's own buffer.
   */
  copiedData?: ReadonlySet<number>;
}

export const DEFAULT_DECODER_LIMITS: DecoderLimits = {
  maxBodyBytes: 64 * 1024 * 1024 + 1024,
  maxTextLine: 8192,
};

const EMPTY_ARGS: string[] = [];

/**
 * Streaming decoder for the mixed binary/text Gearman stream. Accepts any chunking: bytes that do
 * not yet form a whole packet are kept (in a buffer that belongs to the decoder, never a socket
 * chunk) until the rest arrives. Never looks past a packet's declared body length for separators.
 */
export class Decoder {
  private buf: Buffer = Buffer.alloc(0);
  private start = 0;
  private end = 0;
  private failed = false;

  constructor(
    private readonly sink: PacketSink,
    private readonly limits: DecoderLimits = DEFAULT_DECODER_LIMITS,
  ) {}

  /** Bytes received but not yet part of a whole packet. */
  get pendingBytes(): number {
    return this.end - this.start;
  }

  push(chunk: Buffer): void {
    if (this.failed || chunk.length === 0) return;
    if (this.start === this.end) {
      // Nothing pending: parse straight from the chunk, keep only an incomplete tail.
      const used = this.parse(chunk, 0, chunk.length);
      if (used < chunk.length && !this.failed) this.keep(chunk, used);
      return;
    }
    this.append(chunk);
    const used = this.parse(this.buf, this.start, this.end);
    if (this.failed) return;
    this.start = used;
    if (this.start === this.end) {
      this.start = this.end = 0;
      if (this.buf.length > 65536) this.buf = Buffer.alloc(0);
    }
  }

  private keep(chunk: Buffer, from: number): void {
    const n = chunk.length - from;
    if (this.buf.length < n) this.buf = Buffer.allocUnsafe(Math.max(n, 4096));
    chunk.copy(this.buf, 0, from);
    this.start = 0;
    this.end = n;
  }

  private append(chunk: Buffer): void {
    const pending = this.end - this.start;
    const need = pending + chunk.length;
    if (this.end + chunk.length > this.buf.length) {
      if (need > this.buf.length) {
        // Grow to what the pending packet declared when known, so a 64 MiB body is one allocation.
        let size = Math.max(need, this.buf.length * 2, 4096);
        const declared = this.declaredPacketSize();
        if (declared > size) size = declared;
        const next = Buffer.allocUnsafe(size);
        this.buf.copy(next, 0, this.start, this.end);
        this.buf = next;
      } else {
        this.buf.copy(this.buf, 0, this.start, this.end);
      }
      this.start = 0;
      this.end = pending;
    }
    chunk.copy(this.buf, this.end);
    this.end += chunk.length;
  }

  private declaredPacketSize(): number {
    if (this.end - this.start < HEADER_SIZE || this.buf[this.start] !== 0) return 0;
    const len = this.buf.readUInt32BE(this.start + 8);
    return len <= this.limits.maxBodyBytes ? HEADER_SIZE + len : 0;
  }

  /** Parses whole packets in buf[from, to); returns the offset of the first unconsumed byte. */
  private parse(buf: Buffer, from: number, to: number): number {
    let pos = from;
    while (pos < to && !this.failed) {
      if (buf[pos] !== 0) {
        const next = this.parseText(buf, pos, to);
        if (next < 0) return pos;
        pos = next;
        continue;
      }
      if (to - pos < HEADER_SIZE) return pos;
      const magic = buf.readUInt32BE(pos);
      const type = buf.readUInt32BE(pos + 4);
      const len = buf.readUInt32BE(pos + 8);
      if (magic !== REQ_MAGIC && magic !== RES_MAGIC) {
        this.fail(new ProtocolError('bad-magic', true, null, 'Bad packet magic; closing'));
        return to;
      }
      if (type === 0 || type > MAX_PACKET_TYPE) {
        this.fail(new ProtocolError('unknown-type', true, 'INVALID_COMMAND',
          `Unknown packet type ${type}`, type));
        return to;
      }
      if (len > this.limits.maxBodyBytes) {
        this.fail(new ProtocolError('too-large', true, 'ARGUMENT_TOO_LARGE',
          `Packet body of ${len} bytes exceeds the limit of ${this.limits.maxBodyBytes}`, type));
        return to;
      }
      if (to - pos - HEADER_SIZE < len) return pos;
      const body = pos + HEADER_SIZE;
      pos = body + len;
      if (magic === RES_MAGIC) {
        this.sink.onProtocolError(new ProtocolError('response-magic', false, 'INVALID_MAGIC',
          'Request magic expected', type));
        continue;
      }
      this.emitPacket(buf, type, body, pos);
    }
    return pos;
  }

  private emitPacket(buf: Buffer, type: number, body: number, end: number): void {
    const spec = PACKETS[type]!;
    if (spec.args === 0) {
      // Packets without arguments ignore any body, as gearmand does.
      this.sink.onPacket(type, EMPTY_ARGS, spec.data ? this.blob(buf, type, body, end) : null);
      return;
    }
    const args: string[] = new Array(spec.args);
    let at = body;
    const terminated = spec.data ? spec.args : spec.args - 1;
    for (let i = 0; i < terminated; i++) {
      const nul = buf.indexOf(0, at);
      if (nul < 0 || nul >= end) {
        this.sink.onProtocolError(new ProtocolError('missing-separator', false, 'INVALID_PACKET',
          `${packetName(type)} needs ${terminated} NUL-separated arguments before its last`, type));
        return;
      }
      args[i] = buf.latin1Slice(at, nul);
      at = nul + 1;
    }
    if (spec.data) {
      this.sink.onPacket(type, args, this.blob(buf, type, at, end));
    } else {
      args[terminated] = buf.latin1Slice(at, end);
      this.sink.onPacket(type, args, null);
    }
  }

  /** A packet's blob: a view of a socket chunk where that is safe (see transientData), else a copy. */
  private blob(buf: Buffer, type: number, from: number, to: number): Buffer {
    if (this.limits.copiedData?.has(type) === true) return buf.subarray(from, to);
    // The decoder's own buffer is reused for later bytes, so views into it are not handed out to
    // receivers that may keep them a little (see LARGE_BLOB in encoder.ts).
    if (buf !== this.buf && this.limits.transientData?.has(type) === true) return buf.subarray(from, to);
    return copy(buf, from, to);
  }

  /** Returns the offset after the line, or -1 when the line is not complete yet. */
  private parseText(buf: Buffer, pos: number, to: number): number {
    const limit = Math.min(to, pos + this.limits.maxTextLine);
    const nl = buf.indexOf(10, pos);
    if (nl < 0 || nl >= limit) {
      if (limit - pos >= this.limits.maxTextLine) {
        this.fail(new ProtocolError('text-too-long', true, null,
          `Admin line longer than ${this.limits.maxTextLine} bytes`));
        return to;
      }
      return -1;
    }
    let lineEnd = nl;
    if (lineEnd > pos && buf[lineEnd - 1] === 13) lineEnd--;
    this.sink.onText(buf.latin1Slice(pos, lineEnd));
    return nl + 1;
  }

  private fail(error: ProtocolError): void {
    this.failed = true;
    this.start = this.end = 0;
    this.sink.onProtocolError(error);
  }
}

/** A private copy, so a queued payload never pins a whole socket chunk or the decoder buffer. */
function copy(buf: Buffer, from: number, to: number): Buffer {
  const out = Buffer.allocUnsafe(to - from);
  buf.copy(out, 0, from, to);
  return out;
}

declare global {
  interface Buffer {
    /** Node's fast latin1 decoder (present on every Buffer, untyped in @types/node). */
    latin1Slice(start: number, end: number): string;
  }
}
