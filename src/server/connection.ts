import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import type { Engine } from '../engine/engine.js';
import { Session, type Outbox } from '../engine/session.js';
import { ERRORS, type ErrorCode } from '../errors/catalogue.js';
import { Decoder, type DecoderLimits, type PacketSink } from '../protocol/decoder.js';
import { OutBuffer, encodePacket } from '../protocol/encoder.js';
import type { ProtocolError } from '../protocol/errors.js';
import { PacketType, packetName } from '../protocol/packets.js';
import type { FlushScheduler, Flushable } from './flush.js';
import type { DurableAcks } from './durable-acks.js';
import { HANDLERS } from './handlers.js';

/** A JOB_CREATED in the output buffer that may go out only once its batch is stored. */
interface HeldAck {
  batch: number;
  start: number;
  end: number;
}

/** What every connection shares: the engine and the server's settings. */
export interface ConnectionContext {
  engine: Engine;
  flusher: FlushScheduler;
  log: Logger;
  decoderLimits: DecoderLimits;
  /** --exceptions: every connection starts with the exceptions option on. */
  exceptionsByDefault: boolean;
  /** Answers one admin text line. */
  admin(line: string, conn: Connection): string;
  /** Pause reading from a peer whose unsent replies exceed this many bytes. */
  outputHighWater: number;
  /** Close a peer whose unsent replies exceed this many bytes (it stopped reading). */
  outputHardLimit: number;
  /**
   * The store fell behind: a peer that submits a job stops being read until it catches up
   * (see BackPressure in journal.ts). Set by the server.
   */
  newWorkHeld: boolean;
  /** Background acknowledgements wait for the store (null: nothing to wait for). */
  acks: DurableAcks | null;
  onClose(conn: Connection): void;
}

/**
 * One TCP connection: bytes in through the decoder, packets to the handler table, replies into a
 * per-turn output buffer flushed once per event-loop turn. Also the engine's `Outbox` for it.
 */
export class Connection implements PacketSink, Outbox, Flushable {
  readonly session: Session;
  readonly out = new OutBuffer();
  flushQueued = false;
  private readonly decoder: Decoder;
  private closing = false;
  private pausedForOutput = false;
  private pausedForStore = false;
  private heldAcks: HeldAck[] | null = null;

  constructor(readonly socket: Socket, readonly ctx: ConnectionContext, id: number) {
    socket.setNoDelay(true);
    const address = socket.remoteAddress?.replace(/^::ffff:/, '') ?? '-';
    const fd = (socket as unknown as { _handle?: { fd?: number } })._handle?.fd;
    this.session = new Session(id, address, this, ctx.engine.clock.now(),
      typeof fd === 'number' && fd >= 0 ? String(fd) : String(id));
    this.session.exceptions = ctx.exceptionsByDefault;
    this.decoder = new Decoder(this, ctx.decoderLimits);
    socket.on('drain', () => this.onDrain());
    socket.on('error', (err) => ctx.log.debug({ err, conn: id }, 'connection error'));
    socket.on('close', () => this.onClosed());
    // A half-closed peer still gets its replies (gearmand drops them); then we close our side.
    socket.on('end', () => {
      this.closing = true;
      this.ctx.flusher.mark(this);
    });
    ctx.engine.open(this.session);
  }

  /** Bytes read from the socket (a view valid only during this call; see shared-read-buffer.ts). */
  receive(chunk: Buffer): void {
    this.decoder.push(chunk);
  }

  // ------------------------------------------------------------------------------- PacketSink

  onPacket(type: number, args: string[], data: Buffer | null): void {
    if (this.session.closed) return;
    HANDLERS[type]!(this, args, data);
  }

  onText(line: string): void {
    if (this.session.closed) return;
    this.out.text(this.ctx.admin(line, this));
    this.ctx.flusher.mark(this);
  }

  onProtocolError(error: ProtocolError): void {
    this.ctx.log.info({ conn: this.session.id, address: this.session.address, kind: error.kind,
      packet: error.packetType ? packetName(error.packetType) : undefined }, error.message);
    if (error.errorCode !== null) {
      this.out.packet(PacketType.ERROR, [error.errorCode, error.message], null);
      this.ctx.flusher.mark(this);
    }
    if (error.fatal) {
      this.closing = true;
      this.ctx.flusher.mark(this);
    }
  }

  // ----------------------------------------------------------------------------------- Outbox

  noop(): void {
    this.out.packet0(PacketType.NOOP);
    this.ctx.flusher.mark(this);
  }

  workStatus(handle: string, numerator: string, denominator: string): void {
    this.out.packet(PacketType.WORK_STATUS, [handle, numerator, denominator], null);
    this.ctx.flusher.mark(this);
  }

  workBlob(type: number, handle: string, data: Buffer): void {
    this.out.packet(type, [handle], data);
    this.ctx.flusher.mark(this);
  }

  workFail(handle: string): void {
    this.out.packet1(PacketType.WORK_FAIL, handle);
    this.ctx.flusher.mark(this);
  }

  // ---------------------------------------------------------------------------------- replies

  /** Queues a reply made by a handler; it goes out with everything else at the end of the turn. */
  replied(): void {
    this.ctx.flusher.mark(this);
  }

  error(code: ErrorCode): void {
    const spec = ERRORS[code];
    this.out.packet(PacketType.ERROR, [spec.gearmanCode, spec.gearmanText], null);
    this.ctx.flusher.mark(this);
  }

  /** Appends a JOB_CREATED that must not leave before store batch `batch` is committed. */
  holdAck(handle: string, batch: number): void {
    const start = this.out.size;
    this.out.packet1(PacketType.JOB_CREATED, handle);
    (this.heldAcks ??= []).push({ batch, start, end: this.out.size });
    this.ctx.flusher.mark(this);
  }

  /**
   * Store batches up to `batch` are settled: their acknowledgements may go out, or, when the
   * store refused them, become ERROR QUEUE_ERROR. Returns whether acknowledgements still wait.
   */
  settleAcks(batch: number, error: Error | null): boolean {
    const held = this.heldAcks;
    if (held === null) return false;
    const settled = held.filter((a) => a.batch <= batch);
    const waiting = held.filter((a) => a.batch > batch);
    if (error !== null && settled.length > 0) {
      const spec = ERRORS.STORE_FAILED;
      const bytes = encodePacket(PacketType.ERROR, [spec.gearmanCode, `${spec.gearmanText}: ${error.message}`], null);
      this.out.splice(settled.map((a) => ({ start: a.start, end: a.end, bytes })));
      // Later acknowledgements moved by the size difference of each replacement before them.
      let shift = 0;
      for (const a of settled) shift += bytes.length - (a.end - a.start);
      for (const a of waiting) { a.start += shift; a.end += shift; }
    }
    this.heldAcks = waiting.length > 0 ? waiting : null;
    this.ctx.flusher.mark(this);
    return this.heldAcks !== null;
  }

  flush(): void {
    const socket = this.socket;
    if (socket.destroyed) return;
    // Replies queue up behind an acknowledgement that is not yet durable, keeping their order.
    if (this.heldAcks !== null) return;
    if (!this.out.isEmpty) {
      const chunks = this.out.lend();
      for (let i = 0; i < chunks.length; i++) socket.write(chunks[i]!);
      const backlog = socket.writableLength;
      // Usually the kernel took every byte at once and the buffer can be reused: no allocation
      // (and no external memory for the GC to chase) per reply.
      this.out.settle(backlog === 0);
      if (backlog > this.ctx.outputHardLimit) {
        this.ctx.log.warn({ conn: this.session.id, address: this.session.address, backlog },
          'peer stopped reading its replies; closing the connection');
        socket.destroy();
        return;
      }
      if (backlog > this.ctx.outputHighWater && !this.pausedForOutput) {
        // Back-pressure: read no more requests until the peer reads what we owe it.
        this.pausedForOutput = true;
        socket.pause();
      }
    }
    if (this.closing) socket.end();
  }

  /** Ends the connection after what is queued has been written. */
  closeAfterFlush(): void {
    this.closing = true;
    this.ctx.flusher.mark(this);
  }

  private onDrain(): void {
    if (this.pausedForOutput) {
      this.pausedForOutput = false;
      if (!this.pausedForStore) this.socket.resume();
    }
  }

  /** Stops (or restarts) reading from this peer while the store catches up. */
  throttleForStore(on: boolean): void {
    if (this.pausedForStore === on) return;
    this.pausedForStore = on;
    if (on) this.socket.pause();
    else if (!this.pausedForOutput) this.socket.resume();
  }

  private onClosed(): void {
    this.ctx.engine.close(this.session);
    this.ctx.onClose(this);
  }
}
