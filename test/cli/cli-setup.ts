/**
 * Client-command tests run the built `gearhq` against a real `gearhq serve` (SQLite in a temp
 * directory, HTTP on an ephemeral port) and look at what a user sees: stdout, stderr, exit code.
 * The CLI runs with TZ=Europe/Berlin so local times and UTC differ.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GEARHQ_MAIN, freePort, startServer, type RunningServer } from '../support/servers.js';
import { RawClient, PacketType } from '../support/raw-client.js';

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  env?: NodeJS.ProcessEnv;
  /** Bytes for the command's stdin. */
  input?: string | Buffer;
}

/** Runs the built CLI (asynchronously, so a server in this process could still answer). */
export function runCli(args: string[], opts: RunOptions = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const env: NodeJS.ProcessEnv = { ...process.env, TZ: 'Europe/Berlin', ...opts.env };
    delete env.GEARHQ_URL;
    if (opts.env?.GEARHQ_URL !== undefined) env.GEARHQ_URL = opts.env.GEARHQ_URL;
    const child = spawn(process.execPath, [GEARHQ_MAIN, ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`gearhq ${args.join(' ')} timed out:\n${stderr}`)); }, 10000);
    child.once('error', reject);
    child.once('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
    child.stdin.end(opts.input ?? '');
  });
}

export interface CliServer {
  server: RunningServer;
  /** The HTTP API's base URL. */
  url: string;
  /** Runs `gearhq <args> --url <url>`. */
  run(args: string[], opts?: RunOptions): Promise<CliResult>;
  /** A JSON request straight to the API (for arranging what a test needs). */
  api(method: string, path: string, body?: unknown): Promise<any>;
  /** A Gearman connection, closed by `stop`. */
  connect(): Promise<RawClient>;
  stop(): Promise<void>;
}

/** Starts `gearhq serve` with its HTTP API on a free port and waits until /healthz answers. */
export async function startCliServer(): Promise<CliServer> {
  const dataDir = mkdtempSync(join(tmpdir(), 'gearhq-cli-'));
  const httpPort = await freePort();
  // The harness passes --http-port 0 before these args; the later flag wins.
  const server = await startServer('gearhq', { args: ['--http-port', String(httpPort)], store: 'sqlite', dataDir });
  const url = `http://127.0.0.1:${httpPort}`;
  const deadline = Date.now() + 5000;
  for (;;) {
    try {
      if ((await fetch(`${url}/healthz`)).ok) break;
    } catch {
      // not listening yet: HTTP starts right after the Gearman port
    }
    if (Date.now() > deadline) {
      await server.stop('SIGKILL');
      throw new Error(`no HTTP API on ${url}:\n${server.output()}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  const clients: RawClient[] = [];
  return {
    server,
    url,
    run: (args, opts) => runCli([...args, '--url', url], opts),
    async api(method, path, body) {
      const r = await fetch(`${url}${path}`, {
        method, ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
      });
      const text = await r.text();
      return text === '' ? null : JSON.parse(text);
    },
    async connect() {
      const c = await RawClient.connect(server.port);
      clients.push(c);
      return c;
    },
    async stop() {
      for (const c of clients) c.close();
      await server.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Runs one job of `fn` on a raw worker connection to the end with `result`. */
export async function completeOne(s: CliServer, fn: string, result: string): Promise<string> {
  const w = await s.connect();
  w.send(PacketType.CAN_DO, [fn]);
  w.send(PacketType.GRAB_JOB);
  const job = await w.expect(PacketType.JOB_ASSIGN);
  const handle = job.args[0]!;
  w.send(PacketType.WORK_COMPLETE, [handle, result]);
  // The job is finished once the API says so.
  const deadline = Date.now() + 3000;
  while ((await s.api('GET', `/api/v1/jobs/${encodeURIComponent(handle)}`)).state !== 'completed') {
    if (Date.now() > deadline) throw new Error(`${handle} did not complete`);
    await new Promise((r) => setTimeout(r, 10));
  }
  w.close();
  return handle;
}

/** How Europe/Berlin shows an instant, computed independently of the CLI: `2026-11-29 19:08:13`. */
export function berlin(iso: string): string {
  return new Date(iso).toLocaleString('sv-SE', { timeZone: 'Europe/Berlin' });
}

/** `2026-11-29 18:08:13` from an ISO time. */
export function utc(iso: string): string {
  return iso.slice(0, 19).replace('T', ' ');
}
