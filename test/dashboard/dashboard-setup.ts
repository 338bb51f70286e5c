/**
 * A real gearhq process (SQLite in a temp directory, HTTP API and dashboard on), a headless
 * Chromium, and helpers to put real traffic through the Gearman port, for the dashboard's
 * end-to-end tests.
 */
import type { TestContext } from 'node:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBrowser, type Browser, type ProbedPage } from '../support/browser.js';
import { PeerGroup, type PeerEnv } from '../support/peers.js';
import { freePort, startServer, waitForHttp, type RunningServer } from '../support/servers.js';

export interface DashboardEnv {
  server: RunningServer;
  /** http://127.0.0.1:<port> */
  base: string;
  browser: Browser;
  /** Opens `path` (e.g. '/jobs?state=failed') in a fresh browser profile. */
  open(path: string, opts?: Parameters<Browser['open']>[1]): Promise<ProbedPage>;
  /** Calls the REST API directly (to arrange state or check an action's effect). */
  api(method: string, path: string, body?: unknown, token?: string): Promise<{ status: number; body: any }>;
}

/**
 * `beforeStart` arranges the data directory before the server opens it: what a server that ran
 * there before would have left (stored roll-ups, say).
 */
export async function dashboardEnv(t: TestContext, args: string[] = [], beforeStart?: (dataDir: string) => Promise<void>): Promise<DashboardEnv> {
  const dataDir = mkdtempSync(join(tmpdir(), 'gearhq-dash-'));
  await beforeStart?.(dataDir);
  const httpPort = await freePort();
  const server = await startServer('gearhq', {
    store: 'sqlite', dataDir, args: ['--http-port', String(httpPort), '--durability', 'os', ...args],
  });
  t.after(async () => {
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });
  const base = `http://127.0.0.1:${httpPort}`;
  await waitForHttp(base);
  const browser = await startBrowser(t);
  return {
    server, base, browser,
    open: (path, opts) => browser.open(base + path, opts),
    async api(method, path, body, token) {
      const headers: Record<string, string> = {};
      if (body !== undefined) headers['content-type'] = 'application/json';
      if (token) headers.authorization = `Bearer ${token}`;
      const r = await fetch(base + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
      const text = await r.text();
      return { status: r.status, body: text ? JSON.parse(text) : null };
    },
  };
}

/** Real Gearman peers (CLI, workers) against the dashboard's server, killed when the test ends. */
export function peersFor(t: TestContext, env: DashboardEnv): PeerEnv {
  const dir = mkdtempSync(join(tmpdir(), 'gearhq-dash-peers-'));
  const peers = new PeerGroup();
  t.after(async () => {
    await peers.killAll();
    rmSync(dir, { recursive: true, force: true });
  });
  return { kind: 'gearhq', server: env.server, peers, dir, hostArgs: ['-h', env.server.host, '-p', String(env.server.port)] };
}
