/**
 * Shared shape of the durability tests: a `Site` is a data directory and a port that outlive the
 * gearhq processes started on them, so a test can kill a server and start the next one where the
 * last one left off. Everything is black-box (sockets, admin protocol) except `readRecord`, which
 * opens the store file after the server is gone to check what it kept on record.
 */
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, startServer, type RunningServer } from '../support/servers.js';
import { RawClient, PacketType } from '../support/raw-client.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { JobEventRecord, JobRecord } from '../../src/store/store.js';

export { PacketType, RawClient };
export type { RunningServer };

export type Durability = 'fsync' | 'os';

export interface Site {
  dataDir: string;
  port: number;
  /** Starts gearhq (SQLite store) on this site; the previous process must be gone. */
  start(durability?: Durability): Promise<RunningServer>;
  /** The process started last, if it still runs. */
  current(): RunningServer | null;
  /** A raw connection, closed when the test ends. */
  connect(): Promise<RawClient>;
  /** The output of every process started on this site, oldest first, for failure messages. */
  logs(): string;
}

export interface SiteOptions {
  /** Use this directory (the caller owns it); default: a fresh temp directory removed at the end. */
  dataDir?: string;
}

/** A site whose processes and connections are all stopped when the test ends. */
export async function site(t: TestContext, opts: SiteOptions = {}): Promise<Site> {
  const ownDir = opts.dataDir === undefined;
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'gearhq-durability-'));
  const port = await freePort();
  const started: RunningServer[] = [];
  const clients: RawClient[] = [];
  t.after(async () => {
    for (const c of clients) c.close();
    for (const s of started) await s.stop('SIGKILL');
    if (ownDir) rmSync(dataDir, { recursive: true, force: true });
  });
  return {
    dataDir,
    port,
    async start(durability: Durability = 'fsync') {
      const last = started.at(-1);
      if (last !== undefined && last.process.exitCode === null && last.process.signalCode === null) {
        throw new Error('site.start: the previous server is still running');
      }
      const s = await startServer('gearhq', { store: 'sqlite', dataDir, port, args: ['--durability', durability] });
      started.push(s);
      return s;
    },
    current() {
      const s = started.at(-1);
      return s !== undefined && s.process.exitCode === null && s.process.signalCode === null ? s : null;
    },
    async connect() {
      const c = await RawClient.connect(port);
      clients.push(c);
      return c;
    },
    logs() {
      return started.map((s, i) => `--- process ${i + 1} (pid ${s.pid}) ---\n${s.output()}`).join('\n');
    },
  };
}

/** Opens the site's store file (no server may be running) and returns the record of `handle`. */
export async function readRecord(dataDir: string, handle: string): Promise<JobRecord | null> {
  return (await readJob(dataDir, handle)).record;
}

/** The records of `handles` (found ones only), read with one opening of the store. */
export async function readRecords(dataDir: string, handles: readonly string[]): Promise<Map<string, JobRecord>> {
  const store = new SqliteStore({ dataDir, durability: 'os' });
  await store.open();
  try {
    const found = new Map<string, JobRecord>();
    for (const h of handles) {
      const record = await store.findJob(h);
      if (record !== null) found.set(h, record);
    }
    return found;
  } finally {
    await store.close();
  }
}

/** The same, with the job's stored timeline events. */
export async function readJob(dataDir: string, handle: string): Promise<{ record: JobRecord | null; events: JobEventRecord[] }> {
  const store = new SqliteStore({ dataDir, durability: 'os' });
  await store.open();
  try {
    const record = await store.findJob(handle);
    return { record, events: record === null ? [] : await store.jobEvents(record.id) };
  } finally {
    await store.close();
  }
}

/** An admin list reply as its lines, without the terminating `.` (which it asserts). */
export async function adminList(c: RawClient, command: string, timeoutMs = 5000): Promise<string[]> {
  const text = await c.admin(command, timeoutMs);
  assert.ok(text.endsWith('.\n'), `${command} reply ends with ".\\n": ${JSON.stringify(text.slice(-200))}`);
  const lines = text.slice(0, -2).split('\n');
  lines.pop();
  return lines;
}

/** The handles `show jobs` lists. */
export async function listedHandles(c: RawClient): Promise<Set<string>> {
  return new Set((await adminList(c, 'show jobs')).map((l) => l.split('\t')[0]!));
}

/** The `status` line of one function as [total, running, workers], or undefined if not listed. */
export async function functionStatus(c: RawClient, fn: string): Promise<number[] | undefined> {
  for (const line of await adminList(c, 'status')) {
    const cols = line.split('\t');
    if (cols[0] === fn) return cols.slice(1).map(Number);
  }
  return undefined;
}

export interface StatusAnswer {
  handle: string;
  known: boolean;
  running: boolean;
}

/** GET_STATUS for many handles, pipelined on one connection; answers in the order asked. */
export async function statuses(c: RawClient, handles: string[], timeoutMs = 10000): Promise<StatusAnswer[]> {
  for (const h of handles) c.send(PacketType.GET_STATUS, [h]);
  const out: StatusAnswer[] = [];
  for (const h of handles) {
    const r = await c.expect(PacketType.STATUS_RES, timeoutMs);
    assert.equal(r.args[0], h, 'STATUS_RES answers the handle asked about, in order');
    out.push({ handle: h, known: r.args[1] === '1', running: r.args[2] === '1' });
  }
  return out;
}

/** Round trip on this connection: everything sent before it has been handled. */
export async function sync(c: RawClient, token = 'sync'): Promise<void> {
  c.send(PacketType.ECHO_REQ, [token]);
  const r = await c.expect(PacketType.ECHO_RES, 5000);
  assert.equal(r.args[0], token, 'a reply arrived before the sync echo');
}

/** Polls until `cond` holds or `timeoutMs` passes; returns whether it held. */
export async function eventually(cond: () => Promise<boolean>, timeoutMs: number, stepMs = 50): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await cond()) return true;
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, stepMs));
  }
}

/** Resolves after `ms`: for a deliberately random moment, never a substitute for an event. */
export function pause(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Seconds since the epoch, `ahead` whole seconds from now. */
export function epochIn(ahead: number): number {
  return Math.floor(Date.now() / 1000) + ahead;
}
