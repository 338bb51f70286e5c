/**
 * GET /api/v1/jobs?q=: text in payload, result or error, scanned one window of ids per request so
 * it stays bounded on a big history; nextCursor walks on below the window.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildHttpServer } from '../../src/http/http-server.js';
import { PacketType } from '../support/raw-client.js';
import { setup } from './http-setup.js';

test('search: q matches payloads, results and errors, newest first, across windows with a cursor', async (t) => {
  const s = await setup(t);
  const http = buildHttpServer({ ...s.app.httpDeps, textScanWindow: 3 });
  t.after(() => http.close());
  const handles: string[] = [];
  for (const payload of ['order 17 for ACME', 'nothing here', 'order 18 for Globex', 'plain', 'x', 'y']) {
    handles.push((await s.post('/api/v1/jobs', { function: 'bill', payload })).body.handle);
  }
  // Give job 4 ("plain") an ACME result and job 5 ("x") an ACME exception.
  const w = await s.connect();
  w.send(PacketType.OPTION_REQ, ['exceptions']);
  await w.expect(PacketType.OPTION_RES);
  w.send(PacketType.CAN_DO, ['bill']);
  for (let i = 0; i < 5; i++) {
    w.send(PacketType.GRAB_JOB);
    const a = await w.expect(PacketType.JOB_ASSIGN);
    if (a.args[0] === handles[3]) w.send(PacketType.WORK_COMPLETE, [a.args[0]!, 'invoice sent to ACME']);
    else if (a.args[0] === handles[4]) w.send(PacketType.WORK_EXCEPTION, [a.args[0]!, 'ACME refused']);
    else w.send(PacketType.WORK_COMPLETE, [a.args[0]!, 'ok']);
  }
  w.send(PacketType.ECHO_REQ, ['sync']);
  await w.expect(PacketType.ECHO_RES);

  const get = async (url: string) => (await http.inject({ method: 'GET', url })).json();
  // Ids 4..6 first (window of 3 below the next handle 7): jobs 5 (error) and 4 (result).
  const first = await get('/api/v1/jobs?q=ACME&limit=10');
  assert.deepEqual(first.jobs.map((j: { handle: string }) => j.handle), [handles[4], handles[3]]);
  assert.ok(first.nextCursor, 'the window is used up: the cursor continues below it');
  const second = await get(`/api/v1/jobs?q=ACME&limit=10&cursor=${first.nextCursor}`);
  assert.deepEqual(second.jobs.map((j: { handle: string }) => j.handle), [handles[0]]);
  assert.equal(second.nextCursor, null, 'nothing left below id 1');
  const none = await get('/api/v1/jobs?q=Initech&limit=10');
  assert.deepEqual(none.jobs, []);
  const bad = await http.inject({ method: 'GET', url: '/api/v1/jobs?q=' });
  assert.equal(bad.statusCode, 400);
});
