import { createServer, type Server, type Socket } from 'node:net';
import type { Logger } from 'pino';
import type { Engine } from '../engine/engine.js';
import type { Session } from '../engine/session.js';
import { DEFAULT_DECODER_LIMITS } from '../protocol/decoder.js';
import { PacketType } from '../protocol/packets.js';
import { answerAdmin, type AdminContext } from './admin.js';
import { Connection, type ConnectionContext } from './connection.js';
import { DurableAcks } from './durable-acks.js';
import { FlushScheduler } from './flush.js';
import { withSharedReadBuffer } from './shared-read-buffer.js';
import type { BackPressure, Journal } from '../store/journal.js';

export interface GearmanServerOptions {
  engine: Engine;
  log: Logger;
  port: number;
  /** Empty = every interface. */
  host: string;
  maxPayload: number;
  maxConnections: number;
  exceptions: boolean;
  version: string;
  verboseLevel: string;
  /** Present when the store is durable: background acknowledgements wait for its commits. */
  journal: Journal | null;
}

/** Blobs forwarded at once rather than queued: results, progress data, echoes. */
const TRANSIENT_DATA: ReadonlySet<number> = new Set([
  PacketType.WORK_COMPLETE, PacketType.WORK_DATA, PacketType.WORK_WARNING, PacketType.WORK_EXCEPTION, PacketType.ECHO_REQ,
]);
/** Submissions: their payload is turned into a string at once (see handlers.ts). */
const COPIED_DATA: ReadonlySet<number> = new Set([
  PacketType.SUBMIT_JOB, PacketType.SUBMIT_JOB_BG, PacketType.SUBMIT_JOB_HIGH, PacketType.SUBMIT_JOB_HIGH_BG,
  PacketType.SUBMIT_JOB_LOW, PacketType.SUBMIT_JOB_LOW_BG, PacketType.SUBMIT_JOB_SCHED, PacketType.SUBMIT_JOB_EPOCH,
  PacketType.SUBMIT_REDUCE_JOB, PacketType.SUBMIT_REDUCE_JOB_BACKGROUND,
]);

/** The Gearman TCP listener: accepts connections and keeps the set of open ones. */
export class GearmanServer {
  private readonly server: Server;
  private readonly connections = new Set<Connection>();
  private readonly ctx: ConnectionContext;
  private nextId = 1;
  /** No peer is read (BackPressure `everything`). */
  private readingPaused = false;

  constructor(private readonly opts: GearmanServerOptions) {
    const connections = this.connections;
    const admin: AdminContext = {
      engine: opts.engine,
      version: opts.version,
      verboseLevel: opts.verboseLevel,
      pid: process.pid,
      *sessions(): Iterable<Session> {
        for (const c of connections) yield c.session;
      },
    };
    const flusher = new FlushScheduler();
    const journal = opts.journal;
    if (journal !== null) {
      flusher.beforeFlush = () => journal.commitIfUrgent();
      // A store that falls behind slows new work down instead of letting records pile up in memory.
      journal.onBackPressure = (pressure) => this.applyBackPressure(pressure);
    }
    this.ctx = {
      engine: opts.engine,
      flusher,
      acks: journal !== null ? new DurableAcks(journal) : null,
      log: opts.log,
      decoderLimits: { ...DEFAULT_DECODER_LIMITS, maxBodyBytes: opts.maxPayload + 1024, transientData: TRANSIENT_DATA, copiedData: COPIED_DATA },
      newWorkHeld: false,
      exceptionsByDefault: opts.exceptions,
      admin: (line) => answerAdmin(admin, line),
      outputHighWater: 1024 * 1024,
      outputHardLimit: Math.max(256 * 1024 * 1024, opts.maxPayload * 4),
      onClose: (c) => connections.delete(c),
    };
    this.server = createServer({ noDelay: true, allowHalfOpen: true, pauseOnConnect: true }, (socket) => this.accept(socket));
    this.server.maxConnections = opts.maxConnections;
    this.server.on('drop', (d) => opts.log.warn({ remote: d?.remoteAddress },
      `connection refused: --max-connections ${opts.maxConnections} reached`));
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  /** The bound port (useful with port 0). */
  get port(): number {
    const a = this.server.address();
    return typeof a === 'object' && a !== null ? a.port : this.opts.port;
  }

  listen(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      const done = (): void => {
        this.server.off('error', reject);
        resolve();
      };
      if (this.opts.host) this.server.listen(this.opts.port, this.opts.host, done);
      else this.server.listen(this.opts.port, done);
    });
  }

  /** Stops accepting connections; existing ones stay open. */
  stopListening(): void {
    // close() only stops accepting; its callback would wait for every connection to end.
    this.server.close();
  }

  /** Closes every connection at once. */
  disconnectAll(): void {
    for (const c of this.connections) c.socket.destroy();
  }

  /**
   * `new-work`: no job is handed out and each peer that submits stops being read (workers deliver
   * what they hold); `everything`: no peer is read; `none`: everyone is read, sleeping workers woken.
   */
  private applyBackPressure(pressure: BackPressure): void {
    this.ctx.newWorkHeld = pressure !== 'none';
    this.opts.engine.holdAssignments(pressure !== 'none');
    this.readingPaused = pressure === 'everything';
    if (pressure === 'new-work') return;
    for (const c of this.connections) c.throttleForStore(this.readingPaused);
  }

  private accept(accepted: Socket): void {
    let conn: Connection | null = null;
    const socket = withSharedReadBuffer(this.server, accepted, (chunk) => conn?.receive(chunk));
    conn = new Connection(socket, this.ctx, this.nextId++);
    this.connections.add(conn);
    if (this.readingPaused) conn.throttleForStore(true);
  }
}
