// Starting, probing and stopping the servers under test, and reading their /proc figures.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { clockTicks } from './machine.js';
import { redactUrl, type BenchPostgres } from './postgres.js';

export type ServerName = 'gearmand' | 'gearhq' | 'gearhq-sqlite' | 'gearhq-postgres' | 'gearmand-sqlite' | 'gearhq-stats' | 'gearhq-sqlite-stats';
export const SERVER_NAMES: readonly ServerName[] = ['gearmand', 'gearhq', 'gearhq-sqlite', 'gearhq-postgres', 'gearmand-sqlite', 'gearhq-stats', 'gearhq-sqlite-stats'];
/** The servers a plain `npm run bench` compares; the -stats variants are asked for by name. */
export const DEFAULT_SERVERS: readonly ServerName[] = ['gearmand', 'gearhq', 'gearhq-sqlite', 'gearhq-postgres', 'gearmand-sqlite'];
/** Every ratio is against this server (gearmand -t 1, jobs in memory). */
export const BASELINE: ServerName = 'gearmand';

export const isGearhq = (name: ServerName): boolean => name.startsWith('gearhq');

/** What each server is, for the report. */
export const SERVER_DESCRIPTIONS: Record<ServerName, string> = {
  gearmand: 'gearmand, jobs in memory (the baseline of every ratio)',
  gearhq: 'gearhq with `--store memory` (nothing on disk, like gearmand)',
  'gearhq-sqlite': 'gearhq, durable: SQLite store with `--durability fsync`, a fresh data directory per run',
  'gearhq-postgres': 'gearhq, durable: PostgreSQL store (default `--durability fsync`), a fresh database per run',
  'gearmand-sqlite': 'gearmand with its SQLite queue (`-q libsqlite3`; it keeps background jobs only), a fresh file per run',
  'gearhq-stats': 'gearhq in memory with the HTTP port on: stats engine, Prometheus metrics and alerts running (journaling off)',
  'gearhq-sqlite-stats': 'gearhq as `gearhq serve` runs by default: SQLite with fsync, and the HTTP port with stats, metrics and alerts on',
};

export const GEARMAND_BIN = '/usr/sbin/gearmand';

export interface RunningServer {
  name: ServerName;
  pid: number;
  port: number;
  child: ChildProcess;
  /** A process tree whose CPU belongs to this server (the PostgreSQL postmaster), or null. */
  helperPid: number | null;
  /** Removes the run's data directory or database; stopServer calls it once the process is gone. */
  cleanup: () => Promise<void>;
  /** Last few KiB of the server's stdout+stderr, for error reports. */
  output(): string;
  /** True once the process has exited (crash or stop). */
  exited(): boolean;
  exitDescription(): string;
}

export interface ServerPlace {
  /** Holds dist/src/cli/main.js: the repository root, or a snapshot of the build (snapshotGearhq). */
  gearhqRoot: string;
  /** Working directory of the server process. */
  cwd: string;
  /** Extra gearmand arguments (--gearmand-arg), for both gearmand variants. */
  gearmandExtra: string[];
  /** The PostgreSQL for gearhq-postgres, started on first use. */
  postgres: () => Promise<BenchPostgres>;
}

/** What one run of a server stores its jobs in besides memory. */
export interface RunStorage {
  /** gearhq-sqlite: the data directory; gearmand-sqlite: the directory holding its queue file. */
  dir?: string;
  /** gearhq-postgres: the database. */
  databaseUrl?: string;
  /** The -stats variants: a free port for the HTTP API (which turns the stats engine on). */
  httpPort?: number;
}

/**
 * The command line for one server on `port`. `gearhqRoot` holds `dist/src/cli/main.js` (the
 * repository root, or a snapshot of the build; see snapshotGearhq).
 */
export function serverCommand(
  name: ServerName,
  port: number,
  where: Pick<ServerPlace, 'gearhqRoot' | 'gearmandExtra'>,
  storage: RunStorage = {},
): { cmd: string; args: string[] } {
  const need = <T>(v: T | undefined, what: string): T => {
    if (v === undefined) throw new Error(`${name} needs ${what}`);
    return v;
  };
  if (name === 'gearmand' || name === 'gearmand-sqlite') {
    const queue =
      name === 'gearmand-sqlite' ? ['-q', 'libsqlite3', '--libsqlite3-db', path.join(need(storage.dir, 'a directory'), 'queue.db')] : [];
    return {
      cmd: GEARMAND_BIN,
      args: ['-t', '1', '-p', String(port), '-L', '127.0.0.1', '--log-file', 'stderr', '--verbose', 'ERROR', ...queue, ...where.gearmandExtra],
    };
  }
  const store =
    name === 'gearhq' || name === 'gearhq-stats'
      ? ['--store', 'memory']
      : name === 'gearhq-sqlite' || name === 'gearhq-sqlite-stats'
        ? ['--store', 'sqlite', '--data-dir', need(storage.dir, 'a data directory'), '--durability', 'fsync']
        : ['--store', 'postgres', '--database-url', need(storage.databaseUrl, 'a database URL')];
  const http = name.endsWith('-stats') ? String(need(storage.httpPort, 'an HTTP port')) : '0';
  return {
    cmd: process.execPath,
    args: [gearhqEntry(where.gearhqRoot), 'serve', '-p', String(port), '-L', '127.0.0.1', ...store, '--http-port', http],
  };
}

/** A server's command line with placeholders (PORT, DIR, URL), for the report. */
export function describeCommand(name: ServerName, gearmandExtra: string[]): string {
  const { args } = serverCommand(name, 0, { gearhqRoot: '.', gearmandExtra }, { dir: 'DIR', databaseUrl: 'URL', httpPort: 0 });
  const entry = gearhqEntry('.');
  const shown = args.map((a, i) =>
    (args[i - 1] === '-p' ? 'PORT' : args[i - 1] === '--http-port' && name.endsWith('-stats') ? 'HTTP_PORT' : a === entry ? 'dist/src/cli/main.js' : a));
  return [isGearhq(name) ? 'node' : 'gearmand', ...shown].join(' ');
}

/** Makes the per-run storage of a server; the returned function removes it again. */
async function prepareStorage(name: ServerName, where: ServerPlace): Promise<{ storage: RunStorage; helperPid: number | null; remove: () => Promise<void> }> {
  const httpPort = name.endsWith('-stats') ? await freePort() : undefined;
  if (name === 'gearhq-sqlite' || name === 'gearmand-sqlite' || name === 'gearhq-sqlite-stats') {
    // os.tmpdir() is on the same disk as everything else here (ext4, not tmpfs), so fsync is real.
    const dir = mkdtempSync(path.join(os.tmpdir(), `${name}-bench-`));
    return { storage: { dir, httpPort }, helperPid: null, remove: async () => rmSync(dir, { recursive: true, force: true }) };
  }
  if (name === 'gearhq-postgres') {
    const pg = await where.postgres();
    const databaseUrl = await pg.createDatabase();
    return { storage: { databaseUrl }, helperPid: pg.postmasterPid, remove: () => pg.dropDatabase(databaseUrl) };
  }
  return { storage: { httpPort }, helperPid: null, remove: async () => {} };
}

export function gearhqEntry(root: string): string {
  return path.join(root, 'dist/src/cli/main.js');
}

/**
 * Copies the current build of gearhq (dist/src and package.json) to bench/bin/gearhq-snapshot, so
 * that other people rebuilding dist/ during a session cannot change or break the server under
 * test half-way. Packages still resolve from the repository's node_modules (parent directories).
 * Returns the snapshot root.
 */
export function snapshotGearhq(repo: string): string {
  const root = path.join(repo, 'bench/bin/gearhq-snapshot');
  rmSync(root, { recursive: true, force: true });
  mkdirSync(path.join(root, 'dist'), { recursive: true });
  cpSync(path.join(repo, 'dist/src'), path.join(root, 'dist/src'), { recursive: true });
  copyFileSync(path.join(repo, 'package.json'), path.join(root, 'package.json'));
  return root;
}

/** A port that was free a moment ago (the usual small race is accepted). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port });
    const done = (ok: boolean) => {
      s.removeAllListeners();
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(500, () => done(false));
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Starts a server and waits until its Gearman port accepts connections. */
export async function startServer(name: ServerName, where: ServerPlace, readyTimeoutMs = 15000): Promise<RunningServer> {
  const port = await freePort();
  const prepared = await prepareStorage(name, where);
  let cleaned: Promise<void> | null = null;
  const cleanup = () => (cleaned ??= prepared.remove().catch((err: Error) => {
    process.stderr.write(`bench: could not remove the storage of a ${name} run: ${err.message}\n`);
  }));
  let cmd: string, args: string[], child: ChildProcess;
  try {
    ({ cmd, args } = serverCommand(name, port, where, prepared.storage));
    child = spawn(cmd, args, { cwd: where.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    await cleanup();
    throw err;
  }
  let tail = '';
  const keep = (chunk: Buffer) => {
    tail = (tail + chunk.toString('utf8')).slice(-8192);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let exitInfo: string | null = null;
  child.on('exit', (code, signal) => {
    exitInfo = signal ? `killed by ${signal}` : `exit code ${code}`;
  });
  child.on('error', (err) => {
    exitInfo = `spawn error: ${err.message}`;
  });
  const server: RunningServer = {
    name,
    pid: child.pid ?? -1,
    port,
    child,
    helperPid: prepared.helperPid,
    cleanup,
    output: () => tail,
    exited: () => exitInfo !== null,
    exitDescription: () => exitInfo ?? 'running',
  };
  const deadline = Date.now() + readyTimeoutMs;
  while (Date.now() < deadline) {
    if (server.exited()) break;
    if (await canConnect(port)) return server;
    await sleep(50);
  }
  await stopServer(server);
  throw new Error(
    `${name} did not accept connections on port ${port} within ${readyTimeoutMs} ms ` +
      `(${server.exitDescription()}); command: ${cmd} ${args.map((a) => (a.includes('://') ? redactUrl(a) : a)).join(' ')}\n--- output ---\n${tail}`,
  );
}

/** SIGTERM, then SIGKILL after `graceMs` (a durable store may still be committing); resolves once the process is gone and its storage removed. */
export async function stopServer(server: RunningServer, graceMs = 10000): Promise<void> {
  if (server.exited() || server.child.exitCode !== null) return server.cleanup();
  const gone = new Promise<void>((resolve) => server.child.once('exit', () => resolve()));
  server.child.kill('SIGTERM');
  const timer = setTimeout(() => {
    if (!server.exited()) server.child.kill('SIGKILL');
  }, graceMs);
  await gone;
  clearTimeout(timer);
  await server.cleanup();
}

/** utime+stime of the whole process in seconds, or null if it cannot be read. */
export function processCpuSeconds(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // fields[0] is field 3 (state); utime is field 14, stime field 15.
    const ticks = Number(fields[11]) + Number(fields[12]);
    return ticks / clockTicks();
  } catch {
    return null;
  }
}

/** A "VmHWM"/"VmRSS" figure from /proc/PID/status in KiB, or null. */
export function processStatusKb(pid: number, key: 'VmHWM' | 'VmRSS'): number | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const m = new RegExp(`^${key}:\\s+(\\d+)\\s+kB`, 'm').exec(status);
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

/** First line of `gearmand --version`, e.g. "gearmand 1.1.20+ds - https://...". */
export function gearmandVersion(): string {
  if (!existsSync(GEARMAND_BIN)) return 'not installed';
  try {
    const out = execFileSync(GEARMAND_BIN, ['--version'], { encoding: 'utf8', timeout: 10000 });
    return out.split('\n').find((l) => l.trim() !== '')?.trim() ?? 'unknown';
  } catch (err) {
    return `unknown (${(err as Error).message})`;
  }
}
