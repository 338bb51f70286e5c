/**
 * Bearer tokens: the full token may do anything, the read-only token only read, no token nothing
 * but the health checks; and the CLI passes its --token along.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GEARHQ_MAIN, freePort, startServer } from '../support/servers.js';
import { setup } from './http-setup.js';

const tokens = { httpToken: 'full-secret', httpReadToken: 'read-secret' };

test('auth: no token → 401, read token reads but cannot write (403), full token does both; health is open', async (t) => {
  const s = await setup(t, { config: tokens });
  const ask = (method: 'GET' | 'POST', url: string, token?: string, body?: unknown) => s.http.inject({
    method, url, ...(body === undefined ? {} : { payload: body as object }),
    headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
  });
  assert.equal((await ask('GET', '/healthz')).statusCode, 200);
  assert.equal((await ask('GET', '/readyz')).statusCode, 200);
  const none = await ask('GET', '/api/v1/functions');
  assert.equal(none.statusCode, 401);
  assert.equal(none.json().error.code, 'UNAUTHORIZED');
  assert.equal((await ask('GET', '/api/v1/functions', 'wrong')).statusCode, 401);
  assert.equal((await ask('GET', '/api/v1/functions', 'read-secret')).statusCode, 200);
  const denied = await ask('POST', '/api/v1/jobs', 'read-secret', { function: 'f' });
  assert.equal(denied.statusCode, 403);
  assert.equal(denied.json().error.code, 'FORBIDDEN');
  assert.equal(s.app.engine.functions.get('f'), undefined, 'nothing was submitted');
  const ok = await ask('POST', '/api/v1/jobs', 'full-secret', { function: 'f' });
  assert.equal(ok.statusCode, 201);
  assert.equal((await ask('GET', `/api/v1/jobs/${ok.json().handle}`, 'read-secret')).statusCode, 200);
});

test('auth: the CLI sends --token (or GEARHQ_TOKEN) and says clearly when it is refused', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'gearhq-auth-'));
  const httpPort = await freePort();
  const server = await startServer('gearhq', {
    store: 'sqlite', dataDir, args: ['--http-port', String(httpPort), '--http-token', 'full-secret'],
  });
  t.after(async () => {
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });
  const cli = (args: string[], env: NodeJS.ProcessEnv = {}) => spawnSync(process.execPath, [GEARHQ_MAIN, ...args,
    '--url', `http://127.0.0.1:${httpPort}`], { encoding: 'utf8', timeout: 10000, env: { ...process.env, GEARHQ_TOKEN: '', ...env } });
  const refused = cli(['status']);
  assert.equal(refused.status, 1);
  assert.match(refused.stderr, /Authorization: Bearer/);
  assert.equal(cli(['status', '--token', 'full-secret']).status, 0);
  assert.equal(cli(['status'], { GEARHQ_TOKEN: 'full-secret' }).status, 0);
});
