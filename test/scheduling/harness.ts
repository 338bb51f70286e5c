/**
 * Shared shape of the scheduling tests: a gearhq process (memory or SQLite store, optionally with a
 * JSON config file) that a test can stop — gracefully or with kill -9 — and start again on the same
 * port and data directory; raw connections; the PHP and Perl scheduling workers
 * (test/peers/scripts/scheduling-worker.*); and, after the server is gone, the job's record and
 * history as the SQLite store kept them. Everything a test starts is stopped when it ends.
 */
import type { TestContext } from 'node:test';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, startServer, type RunningServer } from '../support/servers.js';
import { RawClient, PacketType, type Reply } from '../support/raw-client.js';
import { PeerGroup, SCRIPTS_DIR, waitFor, type Peer, type PeerEnv } from '../support/peers.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { JobEventRecord, JobRecord } from '../../src/store/store.js';

export { PacketType, RawClient };
export type { Reply, RunningServer };

export interface SchedOptions {
  /** `memory` (default) or `sqlite` in a data directory of the test's own. */
  store?: 'memory' | 'sqlite';
  /** Written to a JSON file passed with `--config`, e.g. {"retry-policies": {...}}. */
  config?: Record<string, unknown>;
  /** More server flags. */
  args?: string[];
}

export interface SchedEnv {
  dir: string;
  /** The SQLite data directory (store: 'sqlite' only). */
  dataDir: string;
  port: number;
  peers: PeerGroup;
  /** The server process started last. */
  server(): RunningServer;
  /** What the gearman CLI helpers of test/support/peers.ts need. */
  peerEnv(): PeerEnv;
  /** A raw connection to the current server, closed when the test ends. */
  connect(): Promise<RawClient>;
  /** Stops the current server with `signal` and waits for it to exit. */
  stop(signal?: NodeJS.Signals): Promise<void>;
  /** Starts gearhq again on the same port, config and data directory. */
  start(): Promise<RunningServer>;
  /** The output of every server process of this test, for failure messages. */
  logs(): string;
}

export async function schedEnv(t: TestContext, opts: SchedOptions = {}): Promise<SchedEnv> {
  const dir = mkdtempSync(join(tmpdir(), 'gearhq-scheduling-'));
  const dataDir = join(dir, 'data');
  const port = await freePort();
  const peers = new PeerGroup();
  const started: RunningServer[] = [];
  const clients: RawClient[] = [];
  t.after(async () => {
    for (const c of clients) c.close();
    await peers.killAll();
    for (const s of started) await s.stop('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });
  const args = [...(opts.args ?? [])];
  if (opts.config !== undefined) {
    const file = join(dir, 'config.json');
    writeFileSync(file, JSON.stringify(opts.config, null, 2));
    args.push('--config', file);
  }
  const start = async (): Promise<RunningServer> => {
    const s = await startServer('gearhq', opts.store === 'sqlite'
      ? { store: 'sqlite', dataDir, port, args } : { port, args });
    started.push(s);
    return s;
  };
  await start();
  const env: SchedEnv = {
    dir, dataDir, port, peers,
    server: () => started.at(-1)!,
    peerEnv: () => {
      const server = started.at(-1)!;
      return { kind: 'gearhq', server, peers, dir, hostArgs: ['-h', server.host, '-p', String(server.port)] };
    },
    async connect() {
      const c = await RawClient.connect(port);
      clients.push(c);
      return c;
    },
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      await started.at(-1)!.stop(signal);
    },
    start,
    logs: () => started.map((s, i) => `--- gearhq process ${i + 1} (pid ${s.pid}) ---\n${s.output()}`).join('\n'),
  };
  return env;
}

// ---------------------------------------------------------------------------------------------
// Raw protocol

/** Seconds since the epoch of the first whole second at least `ms` from now. */
export function epochAfter(ms: number): number {
  return Math.ceil((Date.now() + ms) / 1000);
}

export async function submit(c: RawClient, type: number, args: string[]): Promise<string> {
  c.send(type, args);
  return (await c.expect(PacketType.JOB_CREATED)).args[0]!;
}

/** A raw worker connection registered for `functions`, synchronised (the server has seen CAN_DO). */
export async function rawWorker(env: SchedEnv, functions: string[]): Promise<RawClient> {
  const w = await env.connect();
  for (const f of functions) w.send(PacketType.CAN_DO, [f]);
  await sync(w);
  return w;
}

/** ECHO round trip: everything sent before it on `c` has been processed. */
export async function sync(c: RawClient): Promise<void> {
  c.send(PacketType.ECHO_REQ, ['sync']);
  await c.expect(PacketType.ECHO_RES);
}

/** GRAB_JOB_UNIQ: [handle, function, unique, payload], or null on NO_JOB. */
export async function grab(w: RawClient, timeoutMs = 3000): Promise<string[] | null> {
  w.send(PacketType.GRAB_JOB_UNIQ);
  const r = await w.next(timeoutMs);
  if (r.type === PacketType.NO_JOB) return null;
  if (r.type !== PacketType.JOB_ASSIGN_UNIQ) throw new Error(`GRAB_JOB_UNIQ answered ${r.name} [${r.args.join(' | ')}]`);
  return r.args;
}

/** The admin `status` line of `fn` as {total, running, workers}, or undefined. */
export async function fnStatus(c: RawClient, fn: string): Promise<{ total: number; running: number; workers: number } | undefined> {
  for (const line of await adminLines(c, 'status')) {
    const [name, total, running, workers] = line.split('\t');
    if (name === fn) return { total: Number(total), running: Number(running), workers: Number(workers) };
  }
  return undefined;
}

/** An admin list reply as lines, without the final `.`. */
export async function adminLines(c: RawClient, command: string): Promise<string[]> {
  const text = await c.admin(command);
  return text.split('\n').filter((l) => l !== '' && l !== '.');
}

/** Polls `status` until `ok` holds for `fn`. */
export function waitForFn(c: RawClient, fn: string, ok: (s: { total: number; running: number; workers: number }) => boolean,
  what: string, timeoutMs = 10000): Promise<unknown> {
  return waitFor(`${fn}: ${what}`, async () => {
    const s = await fnStatus(c, fn);
    return s !== undefined && ok(s) ? s : undefined;
  }, timeoutMs);
}

// ---------------------------------------------------------------------------------------------
// PHP and Perl scheduling workers

export interface Run {
  pid: number;
  fn: string;
  handle: string;
  unique?: string;
  /** Wall clock when the function started, ms. */
  ms: number;
  data: string;
}

export function phpSchedulingWorker(env: SchedEnv, log: string): Peer {
  const s = env.server();
  return env.peers.spawn('php', [join(SCRIPTS_DIR, 'scheduling-worker.php'), s.host, String(s.port), log],
    { timeoutMs: 60000 });
}

export function perlSchedulingWorker(env: SchedEnv, log: string): Peer {
  const s = env.server();
  return env.peers.spawn('perl', [join(SCRIPTS_DIR, 'scheduling-worker.pl'), s.host, String(s.port), log],
    { timeoutMs: 60000 });
}

/** The runs a scheduling worker logged (none when the log does not exist yet). */
export function readRuns(log: string): Run[] {
  if (!existsSync(log)) return [];
  return readFileSync(log, 'utf8').split('\n').filter((l) => l !== '').map((l) => {
    const r = JSON.parse(l);
    return { ...r, data: Buffer.from(r.data, 'base64').toString() };
  });
}

export function waitForRuns(log: string, n: number, timeoutMs = 10000): Promise<Run[]> {
  return waitFor(`${n} run(s) in ${log}`, async () => {
    const runs = readRuns(log);
    return runs.length >= n ? runs : undefined;
  }, timeoutMs, 10);
}

// ---------------------------------------------------------------------------------------------
// The store's record, read after the server has stopped

export interface History {
  record: JobRecord;
  events: JobEventRecord[];
}

/** The record and history of `handle` in a SQLite data directory no server is using. */
export async function readHistory(dataDir: string, handle: string): Promise<History> {
  const store = new SqliteStore({ dataDir, durability: 'os' });
  await store.open();
  try {
    const record = await store.findJob(handle);
    if (record === null) throw new Error(`no record of ${handle} in ${dataDir}`);
    return { record, events: await store.jobEvents(record.id) };
  } finally {
    await store.close();
  }
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}
