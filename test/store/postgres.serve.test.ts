/**
 * `gearhq serve --store postgres` end to end: acknowledged background jobs survive `kill -9`
 * and come back with their handles, in priority order.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../support/servers.js';
import { PacketType, RawClient } from '../support/raw-client.js';
import { startTestPostgres, type TestPostgres } from '../support/postgres.js';

let server: TestPostgres | null = null;
before(async () => { server = await startTestPostgres(); });
after(async () => { await server?.stop(); });

test('serve --store postgres: acknowledged jobs come back after kill -9, same handles, priority order', async (t) => {
  const url = await server!.createDatabase();
  const args = ['--store', 'postgres', '--database-url', url];
  let gearhq = await startServer('gearhq', { args });
  t.after(() => gearhq.stop('SIGKILL'));
  const client = await RawClient.connect(gearhq.port);
  const handles: string[] = [];
  for (const [type, payload] of [[PacketType.SUBMIT_JOB_LOW_BG, 'low'], [PacketType.SUBMIT_JOB_BG, 'normal'],
    [PacketType.SUBMIT_JOB_HIGH_BG, 'high']] as const) {
    client.send(type, ['pgfn', `u-${payload}`, payload]);
    handles.push((await client.expect(PacketType.JOB_CREATED)).args[0]!);
  }
  client.close();
  await gearhq.stop('SIGKILL');

  gearhq = await startServer('gearhq', { args, port: gearhq.port });
  const worker = await RawClient.connect(gearhq.port);
  worker.send(PacketType.CAN_DO, ['pgfn']);
  const got: string[][] = [];
  for (let i = 0; i < 3; i++) {
    worker.send(PacketType.GRAB_JOB);
    const a = await worker.expect(PacketType.JOB_ASSIGN);
    got.push([a.args[0]!, a.args[2]!]);
    worker.send(PacketType.WORK_COMPLETE, [a.args[0]!, 'ok']);
  }
  assert.deepEqual(got, [[handles[2], 'high'], [handles[1], 'normal'], [handles[0], 'low']], gearhq.output());
  worker.close();
});
