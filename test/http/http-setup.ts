/**
 * Builds a whole gearhq app through the composition root (`startServer`) on SQLite in a temp
 * directory, with the HTTP API as a Fastify instance used through `inject()` (no HTTP socket).
 * The Gearman port is real (ephemeral), for tests that need a worker. `restart()` stops the app
 * and starts a new one on the same data directory; `close()` stops it and removes the directory.
 */
import type { TestContext } from 'node:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance, InjectOptions } from 'fastify';
import { pino } from 'pino';
import { startServer, type RunningApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { buildHttpServer } from '../../src/http/http-server.js';
import type { EngineEvents } from '../../src/engine/events.js';
import { PacketType, RawClient } from '../support/raw-client.js';

export interface HttpReply {
  status: number;
  /** The parsed JSON, loosely typed: tests read it field by field. */
  body: any;
  text: string;
}

export interface HttpSetup {
  app: RunningApp;
  http: FastifyInstance;
  dataDir: string;
  request(method: InjectOptions['method'], url: string, body?: unknown): Promise<HttpReply>;
  get(url: string): Promise<HttpReply>;
  post(url: string, body?: unknown): Promise<HttpReply>;
  /** A raw Gearman connection to the app, closed at the end of the test (or at `restart`). */
  connect(): Promise<RawClient>;
  /** Stops the app gracefully and starts it again on the same data directory. */
  restart(): Promise<void>;
}

export interface HttpSetupOptions {
  /** Option values keyed as ServerConfig keys (e.g. `{schedules: [...]}` or `{jobHandlePrefix: 'T'}`). */
  config?: Record<string, unknown>;
}

export async function setup(t: TestContext, opts: HttpSetupOptions = {}): Promise<HttpSetup> {
  const dataDir = mkdtempSync(join(tmpdir(), 'gearhq-http-'));
  const config = loadConfig({
    port: 0, listen: '127.0.0.1', httpPort: 0, store: 'sqlite', dataDir, durability: 'os',
    jobHandlePrefix: 'H:test', verbose: 'ERROR', ...opts.config,
  }, {});
  const log = pino({ level: 'silent' });
  let clients: RawClient[] = [];
  const start = async () => {
    const app = await startServer(config, { log });
    const http = buildHttpServer(app.httpDeps);
    await http.ready();
    return { app, http };
  };
  const stop = async (s: { app: RunningApp; http: FastifyInstance }) => {
    for (const c of clients) c.close();
    clients = [];
    await s.http.close();
    await s.app.stop(1000);
  };
  let current = await start();
  t.after(async () => {
    await stop(current);
    rmSync(dataDir, { recursive: true, force: true });
  });
  const request = async (method: InjectOptions['method'], url: string, body?: unknown): Promise<HttpReply> => {
    const r = await current.http.inject({
      method, url, ...(body === undefined ? {} : { payload: body as InjectOptions['payload'] }),
    });
    let parsed: unknown = null;
    try {
      parsed = r.body.length > 0 ? JSON.parse(r.body) : null;
    } catch {
      parsed = null;
    }
    return { status: r.statusCode, body: parsed, text: r.body };
  };
  return {
    get app() { return current.app; },
    get http() { return current.http; },
    dataDir,
    request,
    get: (url) => request('GET', url),
    post: (url, body) => request('POST', url, body ?? {}),
    async connect() {
      const c = await RawClient.connect(current.app.gearman.port);
      clients.push(c);
      return c;
    },
    async restart() {
      await stop(current);
      current = await start();
    },
  };
}

/** Resolves when the engine next emits one of `events` (call it before the action that causes it). */
export function nextEvent(app: RunningApp, events: keyof EngineEvents | (keyof EngineEvents)[], timeoutMs = 3000): Promise<void> {
  const names = Array.isArray(events) ? events : [events];
  return new Promise((resolve, reject) => {
    const offs: (() => void)[] = [];
    const done = (err: Error | null) => {
      clearTimeout(timer);
      for (const off of offs) off();
      if (err === null) resolve();
      else reject(err);
    };
    const timer = setTimeout(() => done(new Error(`timed out waiting for ${names.join(' or ')}`)), timeoutMs);
    for (const name of names) offs.push(app.engine.events.on(name, () => done(null)));
  });
}

/** A worker for `fn` on a raw connection: takes the next job and answers it. */
export async function worker(s: HttpSetup, fn: string): Promise<{
  grab(): Promise<{ handle: string; payload: string }>;
  complete(handle: string, result: string): Promise<void>;
  fail(handle: string): Promise<void>;
  conn: RawClient;
}> {
  const conn = await s.connect();
  conn.send(PacketType.CAN_DO, [fn]);
  return {
    conn,
    async grab() {
      conn.send(PacketType.GRAB_JOB);
      const r = await conn.expect(PacketType.JOB_ASSIGN);
      return { handle: r.args[0]!, payload: r.args[2]! };
    },
    async complete(handle, result) {
      const done = nextEvent(s.app, 'job.completed');
      conn.send(PacketType.WORK_COMPLETE, [handle, result]);
      await done;
    },
    async fail(handle) {
      const done = nextEvent(s.app, ['job.failed', 'job.retrying']);
      conn.send(PacketType.WORK_FAIL, [handle]);
      await done;
    },
  };
}
