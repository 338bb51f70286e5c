/**
 * Runs the real Gearman peer programs (gearman CLI, gearadmin, php-gearman, Perl Gearman::Client /
 * Gearman::Worker) against a server started by ./servers.ts.
 *
 * Contracts:
 * - Every peer runs under a deadline: a Gearman client waits forever when no worker exists, so a
 *   peer still running at its deadline is SIGKILLed and its result says `timedOut`.
 * - Every peer belongs to a PeerGroup; `peerEnv()` kills the whole group, stops the server and
 *   removes the temp directory after the test, whatever happened in it.
 * - A missing peer program is an error that names the Debian package, never a skip.
 * - PHP and Perl peers are the scripts in test/peers/scripts (see the header of each script for its
 *   program format); binary data crosses the process boundary base64-encoded.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, existsSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { REPO_ROOT, startServer, type RunningServer, type ServerKind } from './servers.js';

export const SERVER_KINDS: readonly ServerKind[] = ['gearhq', 'gearmand'];
export const SCRIPTS_DIR = join(REPO_ROOT, 'test', 'peers', 'scripts');

/** Debian package providing each peer program, for the error raised when it is missing. */
const PACKAGE_OF: Record<string, string> = {
  gearman: 'gearman-tools', gearadmin: 'gearman-tools', php: 'php-cli php-gearman',
  perl: 'libgearman-client-perl',
};

export interface PeerResult {
  command: string;
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: Buffer;
  stderr: string;
  /** True when the peer was still running at its deadline and was killed. */
  timedOut: boolean;
  ms: number;
}

export interface PeerOptions {
  /** Written to the peer's stdin, which is then closed (stdin is always closed). */
  input?: Buffer | string;
  /** Deadline after which the peer is SIGKILLed. */
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
}

/** One running peer process. */
export class Peer {
  readonly done: Promise<PeerResult>;
  readonly child: ChildProcess;
  private out: Buffer[] = [];
  private err = '';
  private listeners: (() => void)[] = [];
  private finished = false;

  constructor(readonly command: string, cmd: string, args: string[], opts: PeerOptions = {}) {
    const started = Date.now();
    const timeoutMs = opts.timeoutMs ?? 20000;
    this.child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'], env: opts.env ?? process.env });
    let timedOut = false;
    const timer = setTimeout(() => { timedOut = true; this.child.kill('SIGKILL'); }, timeoutMs);
    this.child.stdout!.on('data', (d: Buffer) => { this.out.push(d); this.notify(); });
    this.child.stderr!.on('data', (d: Buffer) => { this.err += d.toString(); this.notify(); });
    this.child.stdin!.on('error', () => { /* a peer may exit without reading its input */ });
    this.child.stdin!.end(opts.input ?? '');
    this.done = new Promise((resolve, reject) => {
      this.child.once('error', (e: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        this.finished = true;
        this.notify();
        const pkg = PACKAGE_OF[cmd];
        reject(e.code === 'ENOENT'
          ? new Error(`peer program ${cmd} is not installed${pkg ? ` (apt-get install -y ${pkg})` : ''}`)
          : e);
      });
      this.child.once('close', (code, signal) => {
        clearTimeout(timer);
        this.finished = true;
        this.notify();
        resolve({ command: this.command, code, signal, stdout: Buffer.concat(this.out),
          stderr: this.err, timedOut, ms: Date.now() - started });
      });
    });
    // Callers that only kill a peer never await `done`; its rejection must not go unhandled.
    this.done.catch(() => { /* surfaced to whoever awaits done */ });
  }

  get pid(): number { return this.child.pid ?? -1; }
  get running(): boolean { return !this.finished; }
  stdoutText(): string { return Buffer.concat(this.out).toString(); }
  stderrText(): string { return this.err; }

  /** SIGKILL unless told otherwise; harmless when the peer already exited. */
  kill(signal: NodeJS.Signals = 'SIGKILL'): void {
    if (!this.finished) this.child.kill(signal);
  }

  /** Waits until stdout matches `re`; fails with the output so far at the deadline or exit. */
  async waitForOutput(re: RegExp, timeoutMs = 10000): Promise<RegExpMatchArray> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const m = this.stdoutText().match(re);
      if (m) return m;
      if (this.finished) {
        throw new Error(`${this.command} exited before printing ${re}:\n${this.describe()}`);
      }
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`${this.command} did not print ${re} within ${timeoutMs} ms:\n${this.describe()}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.listeners.push(() => { clearTimeout(t); resolve(); });
      });
    }
  }

  describe(): string {
    return `stdout: ${JSON.stringify(this.stdoutText().slice(0, 2000))}\nstderr: ${JSON.stringify(this.err.slice(0, 2000))}`;
  }

  private notify(): void {
    const l = this.listeners;
    this.listeners = [];
    for (const f of l) f();
  }
}

/** The peers of one test: killed together when the test ends. */
export class PeerGroup {
  private peers: Peer[] = [];

  spawn(cmd: string, args: string[], opts: PeerOptions = {}): Peer {
    const p = new Peer(`${cmd} ${args.map((a) => (a.length > 60 ? a.slice(0, 57) + '...' : a)).join(' ')}`,
      cmd, args, opts);
    this.peers.push(p);
    return p;
  }

  run(cmd: string, args: string[], opts: PeerOptions = {}): Promise<PeerResult> {
    return this.spawn(cmd, args, opts).done;
  }

  async killAll(): Promise<void> {
    for (const p of this.peers) p.kill();
    await Promise.all(this.peers.map((p) => p.done.catch(() => undefined)));
  }
}

/** A one-line-per-field summary of a finished peer for assertion messages. */
export function describeResult(r: PeerResult): string {
  return `${r.command}\n  exit=${r.code} signal=${r.signal} timedOut=${r.timedOut} ms=${r.ms}\n` +
    `  stdout=${JSON.stringify(r.stdout.toString().slice(0, 2000))}\n  stderr=${JSON.stringify(r.stderr.slice(0, 2000))}`;
}

/** Fails unless the peer exited 0 on its own. */
export function assertSucceeded(r: PeerResult): void {
  if (r.timedOut || r.code !== 0) throw new Error(`peer did not succeed:\n${describeResult(r)}`);
}

/** What each test needs: a fresh server of the given kind, a peer group and a temp directory. */
export interface PeerEnv {
  kind: ServerKind;
  server: RunningServer;
  peers: PeerGroup;
  dir: string;
  /** `-h 127.0.0.1 -p PORT`, for gearman and gearadmin. */
  hostArgs: string[];
}

/** Starts a server for one test and registers the clean-up of everything with `t.after`. */
export async function peerEnv(t: TestContext, kind: ServerKind, args: string[] = []): Promise<PeerEnv> {
  const dir = mkdtempSync(join(tmpdir(), `gearhq-peers-${kind}-`));
  const peers = new PeerGroup();
  let server: RunningServer | undefined;
  t.after(async () => {
    await peers.killAll();
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  server = await startServer(kind, { args });
  return { kind, server, peers, dir, hostArgs: ['-h', server.host, '-p', String(server.port)] };
}

// ---------------------------------------------------------------------------------------------
// gearman CLI and gearadmin

export function gearman(env: PeerEnv, args: string[], opts: PeerOptions = {}): Promise<PeerResult> {
  return env.peers.run('gearman', [...env.hostArgs, ...args], { timeoutMs: 10000, ...opts });
}

/** `gearman -w -f FN... -c COUNT -- COMMAND...` as a background peer. */
export function gearmanWorker(env: PeerEnv, functions: string[], count: number, command: string[],
  opts: PeerOptions = {}): Peer {
  const fargs = functions.flatMap((f) => ['-f', f]);
  return env.peers.spawn('gearman', [...env.hostArgs, '-w', ...fargs, '-c', String(count), '--', ...command],
    { timeoutMs: 20000, ...opts });
}

export function gearadmin(env: PeerEnv, args: string[]): Promise<PeerResult> {
  return env.peers.run('gearadmin', [...env.hostArgs, ...args], { timeoutMs: 10000 });
}

// ---------------------------------------------------------------------------------------------
// PHP and Perl scripts

export interface WorkerOptions {
  /** Jobs to handle before exiting; 0 = until killed. */
  count: number;
  /** JSON-lines log of every job the worker started (shared by several workers if wanted). */
  log: string;
  /** Functions to register; all of the script's functions when omitted. */
  functions?: string[];
  timeoutMs?: number;
  /** PHP only: the worker's id (SET_CLIENT_ID), as admin `workers` shows it. */
  id?: string;
}

export function phpWorker(env: PeerEnv, o: WorkerOptions): Peer {
  return env.peers.spawn('php', [join(SCRIPTS_DIR, 'worker.php'), env.server.host, String(env.server.port),
    String(o.count), o.log, ...(o.functions ?? [])],
  { timeoutMs: o.timeoutMs ?? 30000, env: o.id === undefined ? process.env : { ...process.env, WORKER_ID: o.id } });
}

export function perlWorker(env: PeerEnv, o: WorkerOptions): Peer {
  return env.peers.spawn('perl', [join(SCRIPTS_DIR, 'worker.pl'), env.server.host, String(env.server.port),
    String(o.count), o.log, ...(o.functions ?? [])], { timeoutMs: o.timeoutMs ?? 30000 });
}

/** A client program step (see client.php / client.pl). `data` is raw bytes; it is base64-encoded here. */
export type Step = Record<string, unknown> & { op: string; data?: Buffer | string };

function encodeSteps(steps: Step[]): string {
  const enc = (v: unknown): unknown => (Buffer.isBuffer(v) ? v.toString('base64')
    : typeof v === 'string' ? Buffer.from(v).toString('base64') : v);
  return JSON.stringify(steps.map((s) => {
    const out: Record<string, unknown> = { ...s };
    if ('data' in s) out.data = enc(s.data);
    if (Array.isArray(s.tasks)) {
      out.tasks = (s.tasks as Step[]).map((t) => ({ ...t, ...('data' in t ? { data: enc(t.data) } : {}) }));
    }
    return out;
  }));
}

export function phpClient(env: PeerEnv, steps: Step[], opts: PeerOptions = {}): Peer {
  return env.peers.spawn('php', [join(SCRIPTS_DIR, 'client.php'), env.server.host, String(env.server.port)],
    { timeoutMs: 15000, ...opts, input: encodeSteps(steps) });
}

export function perlClient(env: PeerEnv, steps: Step[], opts: PeerOptions = {}): Peer {
  return env.peers.spawn('perl', [join(SCRIPTS_DIR, 'client.pl'), env.server.host, String(env.server.port)],
    { timeoutMs: 15000, ...opts, input: encodeSteps(steps) });
}

/** Waits for a client script to finish and returns its parsed RESULT list; fails with its output. */
export async function clientResult(p: Peer): Promise<any[]> {
  const r = await p.done;
  const line = r.stdout.toString().split('\n').find((l) => l.startsWith('RESULT '));
  if (r.timedOut || r.code !== 0 || !line) throw new Error(`client script failed:\n${describeResult(r)}`);
  return JSON.parse(line.slice('RESULT '.length));
}

export interface LoggedJob {
  pid: number;
  fn: string;
  handle: string;
  /** Only the PHP worker sees the unique (the Perl worker grabs with GRAB_JOB). */
  unique?: string;
  len: number;
  sha256: string;
  /** The workload, when it is at most 256 bytes. */
  data?: Buffer;
}

/** The jobs recorded in a worker log (an absent log = none). */
export function readJobLog(path: string): LoggedJob[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8').split('\n').filter((l) => l !== '').map((l) => {
    const j = JSON.parse(l);
    return { ...j, data: j.data === undefined ? undefined : Buffer.from(j.data, 'base64') };
  });
}

/** Lets the scripts' `hold` function return. */
export function releaseHeldJobs(log: string): void {
  writeFileSync(`${log}.release`, '');
}

export const b64 = (s: string): string => Buffer.from(s, 'base64').toString();

// ---------------------------------------------------------------------------------------------
// Waiting on the server through the admin protocol (faster than spawning gearadmin in a loop)

/** Sends one admin line and returns the reply (up to the `.` line for lists). */
export function adminCommand(server: RunningServer, line: string, timeoutMs = 3000): Promise<string> {
  const isList = /^(status|workers|prioritystatus|show\s+jobs|show\s+unique\s+jobs)\s*$/i.test(line);
  return new Promise((resolve, reject) => {
    const s = connect(server.port, server.host);
    let text = '';
    const timer = setTimeout(() => { s.destroy(); reject(new Error(`admin ${line}: no complete reply in ${timeoutMs} ms: ${JSON.stringify(text)}`)); }, timeoutMs);
    s.on('error', (e) => { clearTimeout(timer); reject(e); });
    s.on('connect', () => s.write(`${line}\r\n`));
    s.on('data', (d: Buffer) => {
      text += d.toString('latin1');
      if (isList ? /(^|\n)\.\n$/.test(text) : text.includes('\n')) {
        clearTimeout(timer);
        s.destroy();
        resolve(text);
      }
    });
  });
}

export interface UniqueStatus { known: boolean; running: boolean; numerator: string; denominator: string; clients: number }

/** GET_STATUS_UNIQUE over a raw connection: the only way to see how many clients wait on a job. */
export function uniqueStatus(server: RunningServer, unique: string, timeoutMs = 3000): Promise<UniqueStatus> {
  const GET_STATUS_UNIQUE = 41;
  const STATUS_RES_UNIQUE = 42;
  return new Promise((resolve, reject) => {
    const s = connect(server.port, server.host);
    let buf = Buffer.alloc(0);
    const fail = (e: Error): void => { clearTimeout(timer); s.destroy(); reject(e); };
    const timer = setTimeout(() => fail(new Error(`GET_STATUS_UNIQUE ${unique}: no reply in ${timeoutMs} ms`)), timeoutMs);
    s.on('error', fail);
    s.on('connect', () => {
      const body = Buffer.from(unique);
      const header = Buffer.alloc(12);
      header.write('\0REQ', 0, 'latin1');
      header.writeUInt32BE(GET_STATUS_UNIQUE, 4);
      header.writeUInt32BE(body.length, 8);
      s.write(Buffer.concat([header, body]));
    });
    s.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      if (buf.length < 12 || buf.length < 12 + buf.readUInt32BE(8)) return;
      const type = buf.readUInt32BE(4);
      const args = buf.subarray(12, 12 + buf.readUInt32BE(8)).toString('latin1').split('\0');
      if (type !== STATUS_RES_UNIQUE || args.length !== 6) {
        fail(new Error(`GET_STATUS_UNIQUE ${unique}: got packet ${type} ${JSON.stringify(args)}`));
        return;
      }
      clearTimeout(timer);
      s.destroy();
      resolve({ known: args[1] === '1', running: args[2] === '1', numerator: args[3]!, denominator: args[4]!,
        clients: Number(args[5]) });
    });
  });
}

export interface FunctionStatus { total: number; running: number; workers: number }

/** The admin `status` table by function name. */
export async function statusTable(server: RunningServer): Promise<Map<string, FunctionStatus>> {
  const text = await adminCommand(server, 'status');
  const m = new Map<string, FunctionStatus>();
  for (const l of text.split('\n')) {
    const f = l.split('\t');
    if (f.length === 4) m.set(f[0]!, { total: Number(f[1]), running: Number(f[2]), workers: Number(f[3]) });
  }
  return m;
}

/** Polls `probe` until it returns a non-undefined value; fails with the last value seen. */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined>,
  timeoutMs = 10000, intervalMs = 25): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** Waits until `fn` has at least `n` worker registrations. */
export function waitForWorkers(server: RunningServer, fn: string, n: number, timeoutMs = 10000): Promise<FunctionStatus> {
  return waitFor(`${n} worker(s) for ${fn}`, async () => {
    const s = (await statusTable(server)).get(fn);
    return s && s.workers >= n ? s : undefined;
  }, timeoutMs);
}

/** Waits until the admin `status` line of `fn` satisfies `ok`. */
export function waitForStatus(server: RunningServer, fn: string, ok: (s: FunctionStatus) => boolean,
  what: string, timeoutMs = 10000): Promise<FunctionStatus> {
  let seen: FunctionStatus | undefined;
  return waitFor(`${fn}: ${what}`, async () => {
    seen = (await statusTable(server)).get(fn);
    return seen && ok(seen) ? seen : undefined;
  }, timeoutMs).catch((e: Error) => { throw new Error(`${e.message} (last status: ${JSON.stringify(seen)})`); });
}

/** Waits until a worker log holds at least `n` jobs. */
export function waitForLoggedJobs(log: string, n: number, timeoutMs = 10000): Promise<LoggedJob[]> {
  return waitFor(`${n} job(s) in ${log}`, async () => {
    const jobs = readJobLog(log);
    return jobs.length >= n ? jobs : undefined;
  }, timeoutMs);
}
