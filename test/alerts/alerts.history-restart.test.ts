/**
 * Alert history survives a restart: a rule made through the API fires on a real gearhq process
 * (SQLite), the process is stopped and started again on the same data directory, and the alert's
 * history still shows when it fired. Removing the rule removes its history.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, startServer, waitForHttp, type RunningServer } from '../support/servers.js';

test('an alert\'s history is kept across a restart, and goes with its rule', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'gearhq-alert-history-'));
  const httpPort = await freePort();
  const base = `http://127.0.0.1:${httpPort}`;
  let server: RunningServer | null = null;
  t.after(async () => {
    await server?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });
  const start = async () => {
    server = await startServer('gearhq', { store: 'sqlite', dataDir, args: ['--http-port', String(httpPort), '--durability', 'os'] });
    await waitForHttp(base);
  };
  const call = async (method: string, path: string, body?: unknown) => {
    const r = await fetch(base + path, { method, headers: body === undefined ? {} : { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await r.text();
    return { status: r.status, body: text ? JSON.parse(text) : null };
  };
  const alert = async () => (await call('GET', '/api/v1/alerts')).body.alerts.find((a: { rule: string }) => a.rule === 'waiting');

  await start();
  assert.equal((await call('POST', '/api/v1/alerts/rules', { name: 'waiting', metric: 'queue_depth', function: 'f', op: '>', threshold: 0, forSeconds: 0 })).status, 201);
  assert.equal((await call('POST', '/api/v1/jobs', { function: 'f', payload: 'nobody works f' })).status, 201);
  const deadline = Date.now() + 10_000;
  while ((await alert())?.state !== 'firing') {
    assert.ok(Date.now() < deadline, `never fired: ${JSON.stringify(await alert())}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const before = (await alert()).history;
  assert.deepEqual(before.map((h: { to: string }) => h.to), ['firing']);

  await server!.stop();
  await start();
  // The job still waits, so the alert may fire again at once after the restart: the old history
  // comes first, whatever follows.
  const after = await alert();
  assert.deepEqual(after.history.slice(0, before.length), before, 'the history as it was before the restart');

  assert.equal((await call('DELETE', '/api/v1/alerts/rules/waiting')).status, 204);
  assert.equal((await call('POST', '/api/v1/alerts/rules', { name: 'waiting', metric: 'queue_depth', function: 'nothing', op: '>', threshold: 5, forSeconds: 0 })).status, 201);
  await server!.stop();
  await start();
  assert.deepEqual((await alert()).history, [], 'a new rule of the same name starts without the old one\'s history');
});
