/**
 * Starts real servers for black-box tests: the built gearhq (dist/src/cli/main.js) or Debian's
 * gearmand 1.1.20, each on an ephemeral port, and waits until it answers the admin `version`.
 * gearhq runs on its memory store unless a test asks for SQLite in a data directory of its own.
 * A missing gearmand fails loudly: `npm test` installs it first (scripts/ensure-peers.mjs).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

export type ServerKind = 'gearhq' | 'gearmand';

export interface RunningServer {
  kind: ServerKind;
  host: string;
  port: number;
  pid: number;
  process: ChildProcess;
  /** Everything the server wrote to stdout and stderr so far. */
  output(): string;
  /** SIGTERM (or the given signal), then wait for exit. Idempotent. */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

export interface StartOptions {
  /** Extra command-line arguments, in each server's own syntax. */
  args?: string[];
  port?: number;
  /**
   * gearhq only: the job store. `memory` (the default here, so tests stay independent of the disk)
   * or `sqlite`, which needs `dataDir` and keeps its file there across restarts.
   */
  store?: 'memory' | 'sqlite';
  /** gearhq with `store: 'sqlite'`: the directory holding the SQLite file. */
  dataDir?: string;
}

const here = dirname(fileURLToPath(import.meta.url));
/** dist/test/support → repository root. */
export const REPO_ROOT = join(here, '..', '..', '..');
export const GEARHQ_MAIN = join(REPO_ROOT, 'dist', 'src', 'cli', 'main.js');
export const GEARMAND_BIN = '/usr/sbin/gearmand';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export async function startServer(kind: ServerKind, opts: StartOptions = {}): Promise<RunningServer> {
  const port = opts.port ?? await freePort();
  const host = '127.0.0.1';
  let cmd: string;
  let argv: string[];
  if (kind === 'gearhq') {
    if (!existsSync(GEARHQ_MAIN)) throw new Error(`${GEARHQ_MAIN} is missing: run npm run build`);
    cmd = process.execPath;
    argv = [GEARHQ_MAIN, 'serve', '-p', String(port), '-L', host, ...storeArgs(opts),
      '--http-port', '0', ...(opts.args ?? [])];
  } else {
    if (opts.store !== undefined || opts.dataDir !== undefined) {
      throw new Error('store and dataDir are gearhq options; pass gearmand queue flags in args');
    }
    if (!existsSync(GEARMAND_BIN)) {
      throw new Error(`${GEARMAND_BIN} is missing: apt-get install -y gearman-job-server`);
    }
    cmd = GEARMAND_BIN;
    argv = ['-p', String(port), '-L', host, '-t', '1', '--log-file', 'stderr', '--verbose', 'ERROR',
      ...(opts.args ?? [])];
  }
  const child = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
  child.stderr!.on('data', (d: Buffer) => { out += d.toString(); });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let stopped = false;
  const server: RunningServer = {
    kind, host, port, pid: child.pid!, process: child,
    output: () => out,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (!stopped && child.exitCode === null && child.signalCode === null) child.kill(signal);
      stopped = true;
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
  try {
    await waitUntilAnswering(host, port, child, () => out);
  } catch (e) {
    await server.stop('SIGKILL');
    throw e;
  }
  return server;
}

function storeArgs(opts: StartOptions): string[] {
  const store = opts.store ?? 'memory';
  if (store === 'memory') {
    if (opts.dataDir !== undefined) throw new Error('dataDir needs store: \'sqlite\'');
    return ['--store', 'memory'];
  }
  if (opts.dataDir === undefined) throw new Error('store: \'sqlite\' needs a dataDir (a temp directory)');
  return ['--store', 'sqlite', '--data-dir', opts.dataDir];
}

async function waitUntilAnswering(host: string, port: number, child: ChildProcess,
  output: () => string): Promise<void> {
  const deadline = Date.now() + 15000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`server exited early (${child.exitCode ?? child.signalCode}):\n${output()}`);
    }
    if (await answersVersion(host, port)) return;
    if (Date.now() > deadline) throw new Error(`server did not answer on ${port}:\n${output()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function answersVersion(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, host);
    const timer = setTimeout(() => { s.destroy(); resolve(false); }, 1000);
    s.once('error', () => { clearTimeout(timer); resolve(false); });
    s.once('connect', () => s.write('version\r\n'));
    s.once('data', () => { clearTimeout(timer); s.destroy(); resolve(true); });
  });
}

/** Waits until a gearhq HTTP API at `base` (http://host:port) answers /healthz. */
export async function waitForHttp(base: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const r = await fetch(`${base}/healthz`);
      if (r.ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${base} did not answer /healthz`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
