/**
 * Shared shape of the black-box server tests: every scenario runs against both servers (or, for a
 * deliberate difference, asserts each server's own behaviour), over real sockets on ephemeral
 * ports. `setup(t)` hands a test what it needs and closes it when the test ends.
 */
import { after, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { hostname } from 'node:os';
import { readFileSync } from 'node:fs';
import { startServer, type RunningServer, type ServerKind } from '../support/servers.js';
import { RawClient, PacketType, type Reply } from '../support/raw-client.js';

export { PacketType };
export type { Reply, RawClient, RunningServer, ServerKind };

export const KINDS = ['gearmand', 'gearhq'] as const;

/** The handle prefix both servers use by default (gearmand takes `uname -n`). */
export const DEFAULT_HANDLE_PREFIX = `H:${hostname()}`;

export interface Scenario {
  kind: ServerKind;
  server: RunningServer;
  port: number;
  /** A raw connection that is closed when the test ends. */
  connect(): Promise<RawClient>;
  /** A function name that no other test on the same server uses. */
  fn(tag?: string): string;
  /** Destroys `socket` when the test ends, before the server is stopped. */
  closeLater(socket: { destroy(): void }): void;
}

export interface SetupOptions {
  /** Extra server arguments; a server with arguments is always started for this test alone. */
  args?: string[];
  /** Start a server for this test alone (for exact `status`/`workers` output, counters, limits). */
  fresh?: boolean;
}

let nameCounter = 0;

/**
 * One set of servers per `describe(kind)`: the plain server is started on first use and shared by
 * the tests of the suite (they use distinct function names); servers with arguments or `fresh` are
 * per test. Call inside the describe callback.
 */
export function servers(kind: ServerKind): { setup(t: TestContext, opts?: SetupOptions): Promise<Scenario> } {
  let shared: Promise<RunningServer> | undefined;
  after(async () => {
    if (shared) await shared.then((s) => s.stop(), () => undefined);
  });
  return {
    async setup(t, opts = {}) {
      let server: RunningServer;
      const own = Boolean(opts.fresh || opts.args);
      if (own) {
        server = await startServer(kind, { args: opts.args ?? [] });
      } else {
        shared ??= startServer(kind);
        server = await shared;
      }
      const clients: { close(): void }[] = [];
      // Connections first: gearhq's SIGTERM waits for running jobs, and a closed worker's job
      // is requeued, so the server then stops at once.
      t.after(async () => {
        for (const c of clients) c.close();
        if (own) await server.stop();
      });
      return {
        kind,
        server,
        port: server.port,
        async connect() {
          const c = await RawClient.connect(server.port);
          clients.push(c);
          return c;
        },
        fn(tag = 'f') {
          return `${tag}${++nameCounter}`;
        },
        closeLater(socket) {
          clients.push({ close: () => socket.destroy() });
        },
      };
    },
  };
}

/** Round trip through the server on this connection: everything sent before it has been handled. */
export async function sync(c: RawClient): Promise<void> {
  const token = `sync${++nameCounter}`;
  c.send(PacketType.ECHO_REQ, [token]);
  const r = await c.expect(PacketType.ECHO_RES);
  assert.equal(r.args[0], token, 'a reply arrived before the sync echo');
}

/** A connected worker that has registered `fns` (in that order) and whose CAN_DOs were handled. */
export async function worker(s: Scenario, fns: string[], id?: string): Promise<RawClient> {
  const w = await s.connect();
  if (id !== undefined) w.send(PacketType.SET_CLIENT_ID, [id]);
  for (const f of fns) w.send(PacketType.CAN_DO, [f]);
  await sync(w);
  return w;
}

/** A worker that registered `fns`, then announced it is going to sleep (PRE_SLEEP handled). */
export async function sleepingWorker(s: Scenario, fns: string[]): Promise<RawClient> {
  const w = await worker(s, fns);
  w.send(PacketType.PRE_SLEEP);
  await sync(w);
  return w;
}

/** Submits and returns the handle from JOB_CREATED. */
export async function submit(c: RawClient, type: number, fn: string, unique: string,
  workload: string | Buffer = ''): Promise<string> {
  c.send(type, [fn, unique, workload]);
  const r = await c.expect(PacketType.JOB_CREATED);
  return r.args[0]!;
}

/** GRAB_JOB_UNIQ expecting an assignment: returns [handle, function, unique, workload]. */
export async function grab(w: RawClient): Promise<string[]> {
  w.send(PacketType.GRAB_JOB_UNIQ);
  return (await w.expect(PacketType.JOB_ASSIGN_UNIQ)).args;
}

/** GRAB_JOB_UNIQ expecting NO_JOB. */
export async function grabNothing(w: RawClient): Promise<void> {
  w.send(PacketType.GRAB_JOB_UNIQ);
  await w.expect(PacketType.NO_JOB);
}

/** An admin list reply as its lines, without the terminating `.` (which it asserts). */
export async function adminList(c: RawClient, command: string): Promise<string[]> {
  const text = await c.admin(command);
  assert.ok(text.endsWith('.\n'), `${command} reply ends with ".\\n": ${JSON.stringify(text)}`);
  const lines = text.slice(0, -2).split('\n');
  lines.pop(); // the empty string after the last line's \n (or the only element when empty)
  return lines;
}

/** The `status` line of one function as [total, running, workers], or undefined if not listed. */
export async function functionStatus(c: RawClient, fn: string): Promise<number[] | undefined> {
  for (const line of await adminList(c, 'status')) {
    const cols = line.split('\t');
    if (cols[0] === fn) return cols.slice(1).map(Number);
  }
  return undefined;
}

/** Polls until `cond` holds or `timeoutMs` passes; returns whether it held. */
export async function eventually(cond: () => Promise<boolean>, timeoutMs = 2000, stepMs = 25): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await cond()) return true;
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, stepMs));
  }
}

/** Resident memory of a process in KiB, from /proc/PID/status. */
export function rssKiB(pid: number): number {
  const m = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error(`no VmRSS for ${pid}`);
  return Number(m[1]);
}

/** Resolves after `ms`: pacing between writes, never a substitute for waiting on an event. */
export function pause(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
