/**
 * A raw Gearman connection for tests: sends exact request bytes and collects exact replies, so
 * tests see what library clients hide (NUL quirks, error texts, NOOP timing). Every wait has a
 * timeout and fails with what was received so far.
 */
import { connect, type Socket } from 'node:net';
import { PACKETS, PacketType, argumentCount } from '../../src/protocol/packets.js';

export interface Reply {
  type: number;
  name: string;
  /** All arguments, the last one included, as latin1 strings (byte-exact). */
  args: string[];
  /** The raw body. */
  body: Buffer;
  /** The header's magic as a big-endian number (0x00524553 = "\0RES"). */
  magic?: number;
}

export class RawClient {
  private buf: Buffer = Buffer.alloc(0);
  private chunks: Buffer[] = [];
  private chunkBytes = 0;
  /** Total buffered bytes needed before parsing is worth it (0 = parse every chunk). */
  private need = 0;
  /** Bytes received on this connection so far (binary and text). */
  bytesReceived = 0;
  private replies: Reply[] = [];
  private text = '';
  private waiters: (() => void)[] = [];
  closed = false;

  private constructor(readonly socket: Socket) {
    socket.setNoDelay(true);
    socket.on('data', (d: Buffer) => this.onData(d));
    socket.on('close', () => { this.closed = true; this.wake(); });
    socket.on('error', () => { /* surfaced through `closed` */ });
  }

  static async connect(port: number, host = '127.0.0.1'): Promise<RawClient> {
    const socket = connect(port, host);
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    return new RawClient(socket);
  }

  /** Sends one request packet built from string arguments (latin1) and an optional blob. */
  send(type: number, args: (string | Buffer)[] = []): void {
    this.socket.write(requestPacket(type, args));
  }

  writeRaw(bytes: Buffer | string): void {
    this.socket.write(typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : bytes);
  }

  /** Waits for the next binary reply. */
  async next(timeoutMs = 3000): Promise<Reply> {
    await this.until(() => this.replies.length > 0, timeoutMs, 'a reply');
    return this.replies.shift()!;
  }

  /** Waits for the next reply and checks its type. */
  async expect(type: number, timeoutMs = 3000): Promise<Reply> {
    const r = await this.next(timeoutMs);
    if (r.type !== type) {
      throw new Error(`expected ${PACKETS[type]?.name}, got ${r.name} [${r.args.join(' | ')}]`);
    }
    return r;
  }

  /** Resolves true if no reply arrives within `ms`. */
  async quiet(ms = 200): Promise<boolean> {
    await new Promise((r) => setTimeout(r, ms));
    return this.replies.length === 0;
  }

  pending(): Reply[] {
    return this.replies.slice();
  }

  /** Sends an admin line and collects the reply: up to `.\n` for lists, else one line. */
  async admin(line: string, timeoutMs = 3000): Promise<string> {
    this.text = '';
    this.socket.write(line + '\r\n');
    const isList = /^(status|workers|prioritystatus|show\s+jobs|show\s+unique\s+jobs)\s*$/i.test(line);
    await this.until(() => (isList ? /(^|\n)\.\n$/.test(this.text) : this.text.includes('\n')),
      timeoutMs, `the admin reply to ${line}`);
    const t = this.text;
    this.text = '';
    return t;
  }

  /**
   * Writes `bytes` exactly as given (no line ending added) and waits until the text collected
   * since the call satisfies `done`; returns that text. For replies `admin()` cannot delimit.
   */
  async adminRaw(bytes: string, done: (text: string) => boolean, timeoutMs = 3000): Promise<string> {
    this.text = '';
    this.socket.write(Buffer.from(bytes, 'latin1'));
    await this.until(() => done(this.text), timeoutMs, `the admin reply to ${JSON.stringify(bytes)}`);
    const t = this.text;
    this.text = '';
    return t;
  }

  /** Text received and not yet returned by `admin`/`adminRaw`. */
  pendingText(): string {
    return this.text;
  }

  async waitClosed(timeoutMs = 3000): Promise<void> {
    await this.until(() => this.closed, timeoutMs, 'the connection to close');
  }

  close(): void {
    this.socket.destroy();
  }

  private onData(d: Buffer): void {
    this.bytesReceived += d.length;
    // Large replies (a 64 MiB ECHO_RES) arrive in thousands of chunks: collect them and join once
    // the awaited packet is complete, instead of re-copying the buffer on every chunk.
    this.chunks.push(d);
    this.chunkBytes += d.length;
    if (this.buf.length + this.chunkBytes < this.need) return;
    this.buf = Buffer.concat([this.buf, ...this.chunks]);
    this.chunks = [];
    this.chunkBytes = 0;
    this.need = 0;
    for (;;) {
      if (this.buf.length === 0) break;
      if (this.buf[0] !== 0) {
        // Admin text reply: everything up to the next binary packet (text replies have no header).
        const zero = this.buf.indexOf(0);
        const end = zero < 0 ? this.buf.length : zero;
        this.text += this.buf.subarray(0, end).toString('latin1');
        this.buf = this.buf.subarray(end);
        continue;
      }
      if (this.buf.length < 12) break;
      const type = this.buf.readUInt32BE(4);
      const len = this.buf.readUInt32BE(8);
      if (this.buf.length < 12 + len) {
        this.need = 12 + len;
        break;
      }
      const magic = this.buf.readUInt32BE(0);
      const body = Buffer.from(this.buf.subarray(12, 12 + len));
      this.buf = this.buf.subarray(12 + len);
      this.replies.push({
        type, name: PACKETS[type]?.name ?? `UNKNOWN(${type})`, args: splitArgs(type, body), body, magic,
      });
    }
    this.wake();
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  private async until(cond: () => boolean, timeoutMs: number, what: string): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!cond()) {
      if (this.closed && !cond()) throw new Error(`connection closed while waiting for ${what}`);
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new Error(`timed out waiting for ${what}; replies: ${JSON.stringify(this.replies.map((r) => r.name))}, text: ${JSON.stringify(this.text)}`);
      }
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => { clearTimeout(t); resolve(); });
      });
    }
  }
}

export function requestPacket(type: number, args: (string | Buffer)[]): Buffer {
  const parts: Buffer[] = [];
  args.forEach((a, i) => {
    parts.push(typeof a === 'string' ? Buffer.from(a, 'latin1') : a);
    if (i < args.length - 1) parts.push(Buffer.from([0]));
  });
  const body = Buffer.concat(parts);
  const header = Buffer.alloc(12);
  header.writeUInt32BE(0x00524551, 0);
  header.writeUInt32BE(type, 4);
  header.writeUInt32BE(body.length, 8);
  return Buffer.concat([header, body]);
}

function splitArgs(type: number, body: Buffer): string[] {
  const spec = PACKETS[type];
  const n = spec ? argumentCount(spec) : 1;
  if (n === 0) return [];
  const out: string[] = [];
  let at = 0;
  for (let i = 0; i < n - 1; i++) {
    const nul = body.indexOf(0, at);
    if (nul < 0) break;
    out.push(body.subarray(at, nul).toString('latin1'));
    at = nul + 1;
  }
  out.push(body.subarray(at).toString('latin1'));
  return out;
}

export { PacketType };
