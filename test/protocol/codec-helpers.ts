/**
 * Shared pieces of the codec tests: a sink that records what the decoder reports, a request
 * builder that does not use the encoder under test, and re-chunking helpers.
 */
import { Decoder, type DecoderLimits, type PacketSink } from '../../src/protocol/decoder.js';
import type { ProtocolError } from '../../src/protocol/errors.js';

export type Seen =
  | { kind: 'packet'; type: number; args: string[]; data: string | null }
  | { kind: 'text'; line: string }
  | { kind: 'error'; error: string; fatal: boolean; code: string | null; packetType: number };

/** Records decoder output as plain values; blobs as hex so deepEqual shows differences. */
export class RecordingSink implements PacketSink {
  readonly seen: Seen[] = [];
  /** The data buffers exactly as delivered (for copy/identity checks). */
  readonly blobs: (Buffer | null)[] = [];

  onPacket(type: number, args: string[], data: Buffer | null): void {
    this.seen.push({ kind: 'packet', type, args: [...args], data: data === null ? null : data.toString('hex') });
    this.blobs.push(data);
  }

  onText(line: string): void {
    this.seen.push({ kind: 'text', line });
  }

  onProtocolError(e: ProtocolError): void {
    this.seen.push({ kind: 'error', error: e.kind, fatal: e.fatal, code: e.errorCode, packetType: e.packetType });
  }
}

const REQ = Buffer.from([0, 0x52, 0x45, 0x51]);
const RES = Buffer.from([0, 0x52, 0x45, 0x53]);

/** A raw packet: magic, type, the given body length (default: the real one), body. */
export function rawPacket(magic: 'REQ' | 'RES' | Buffer, type: number, body: Buffer | string,
  declaredLength?: number): Buffer {
  const b = typeof body === 'string' ? Buffer.from(body, 'latin1') : body;
  const header = Buffer.alloc(12);
  (magic === 'REQ' ? REQ : magic === 'RES' ? RES : magic).copy(header, 0);
  header.writeUInt32BE(type, 4);
  header.writeUInt32BE(declaredLength ?? b.length, 8);
  return Buffer.concat([header, b]);
}

/** A request packet whose body is the parts joined by single NULs. */
export function req(type: number, ...parts: (string | Buffer)[]): Buffer {
  const bufs: Buffer[] = [];
  parts.forEach((p, i) => {
    if (i > 0) bufs.push(Buffer.from([0]));
    bufs.push(typeof p === 'string' ? Buffer.from(p, 'latin1') : p);
  });
  return rawPacket('REQ', type, Buffer.concat(bufs));
}

export function text(s: string): Buffer {
  return Buffer.from(s, 'latin1');
}

/** Decodes `chunks` pushed one after another; returns what the sink saw. */
export function decodeChunks(chunks: Buffer[], limits?: DecoderLimits): { seen: Seen[]; decoder: Decoder; sink: RecordingSink } {
  const sink = new RecordingSink();
  const decoder = limits ? new Decoder(sink, limits) : new Decoder(sink);
  for (const c of chunks) decoder.push(c);
  return { seen: sink.seen, decoder, sink };
}

export function decodeWhole(bytes: Buffer, limits?: DecoderLimits): Seen[] {
  return decodeChunks([bytes], limits).seen;
}

/** Splits at every offset in `cuts` (ascending), copying each piece so no chunk shares memory. */
export function splitAt(bytes: Buffer, cuts: number[]): Buffer[] {
  const out: Buffer[] = [];
  let from = 0;
  for (const c of cuts) {
    out.push(Buffer.from(bytes.subarray(from, c)));
    from = c;
  }
  out.push(Buffer.from(bytes.subarray(from)));
  return out;
}

export function byteByByte(bytes: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < bytes.length; i++) out.push(Buffer.from([bytes[i]!]));
  return out;
}

/** A deterministic pseudo-random generator (mulberry32), so failures reproduce. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
