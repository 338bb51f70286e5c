/**
 * Every connection reads into one shared buffer (src/server/shared-read-buffer.ts). These tests
 * interleave many connections' bytes in odd splits — echoes, submissions, forwarded results and
 * packets larger than the buffer — and check that every byte arrives where it belongs, so no
 * view of a read outlives the read.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { READ_BUFFER_BYTES } from '../../src/server/shared-read-buffer.js';
import { PacketType, RawClient, requestPacket } from '../support/raw-client.js';
import { startServer } from '../support/servers.js';

const sha = (b: Buffer | string): string => createHash('sha256').update(typeof b === 'string' ? Buffer.from(b, 'latin1') : b).digest('hex');
const pause = () => new Promise((r) => setImmediate(r));

/** Writes `bytes` in pieces of random sizes, yielding between them so other connections interleave. */
async function trickle(c: RawClient, bytes: Buffer): Promise<void> {
  for (let at = 0; at < bytes.length;) {
    const n = 1 + Math.floor(Math.random() * 9000);
    c.writeRaw(bytes.subarray(at, at + n));
    at += n;
    await pause();
  }
}

test('echoes of every size from 12 connections at once come back byte-exact', async (t) => {
  const server = await startServer('gearhq');
  t.after(() => server.stop());
  const sizes = [0, 1, 100, 4095, 10_240, READ_BUFFER_BYTES - 13, READ_BUFFER_BYTES, 3 * READ_BUFFER_BYTES + 7];
  const clients = await Promise.all(Array.from({ length: 12 }, () => RawClient.connect(server.port)));
  t.after(() => clients.forEach((c) => c.close()));
  await Promise.all(clients.map(async (c, i) => {
    const sent = sizes.map((n) => randomBytes(n));
    const stream = Buffer.concat(sent.map((p) => requestPacket(PacketType.ECHO_REQ, [p])));
    await trickle(c, stream);
    for (const p of sent) {
      const r = await c.expect(PacketType.ECHO_RES, 10_000);
      assert.equal(sha(r.body), sha(p), `client ${i}: echo of ${p.length} bytes`);
    }
  }));
});

test('foreground jobs: payloads and forwarded results survive interleaved reads of many connections', async (t) => {
  const server = await startServer('gearhq');
  t.after(() => server.stop());
  const worker = await RawClient.connect(server.port);
  const clients = await Promise.all(Array.from({ length: 8 }, () => RawClient.connect(server.port)));
  t.after(() => { worker.close(); clients.forEach((c) => c.close()); });
  worker.send(PacketType.CAN_DO, ['rev']);

  const jobsPerClient = 6;
  const expected = new Map<string, string>(); // unique → sha of the payload
  const submit = clients.map(async (c, i) => {
    const packets: Buffer[] = [];
    for (let j = 0; j < jobsPerClient; j++) {
      const payload = randomBytes(1 + ((i * 7919 + j * 104_729) % (2 * READ_BUFFER_BYTES)));
      const unique = `c${i}-j${j}`;
      expected.set(unique, sha(payload));
      packets.push(requestPacket(PacketType.SUBMIT_JOB, ['rev', unique, payload]));
    }
    await trickle(c, Buffer.concat(packets));
  });
  // The worker answers each job with its payload reversed, sent in odd splits as well.
  const work = (async () => {
    for (let n = 0; n < clients.length * jobsPerClient; n++) {
      worker.send(PacketType.GRAB_JOB_UNIQ);
      let r = await worker.next(10_000);
      while (r.type === PacketType.NO_JOB) {
        await new Promise((res) => setTimeout(res, 5));
        worker.send(PacketType.GRAB_JOB_UNIQ);
        r = await worker.next(10_000);
      }
      assert.equal(r.type, PacketType.JOB_ASSIGN_UNIQ);
      const [handle, , unique] = r.args;
      const payload = r.body.subarray(Buffer.byteLength(`${handle}\0rev\0${unique}\0`, 'latin1'));
      assert.equal(sha(payload), expected.get(unique!), `payload of ${unique} reached the worker intact`);
      const result = Buffer.from(payload).reverse();
      await trickle(worker, requestPacket(PacketType.WORK_COMPLETE, [handle!, result]));
    }
  })();
  await Promise.all(submit);
  await Promise.all(clients.map(async (c, i) => {
    // JOB_CREATED come in submission order; a job's WORK_COMPLETE may pass later JOB_CREATEDs.
    const handles = new Map<string, string>();
    let completed = 0;
    while (completed < jobsPerClient) {
      const r = await c.next(20_000);
      if (r.type === PacketType.JOB_CREATED) {
        handles.set(r.args[0]!, `c${i}-j${handles.size}`);
        continue;
      }
      assert.equal(r.type, PacketType.WORK_COMPLETE);
      const handle = r.args[0]!;
      const result = r.body.subarray(Buffer.byteLength(`${handle}\0`, 'latin1'));
      const unique = handles.get(handle)!;
      assert.equal(sha(Buffer.from(result).reverse()), expected.get(unique), `result of ${unique} came back intact`);
      completed++;
    }
  }));
  await work;
});

test('--max-connections still counts open connections: a closed one frees its place', async (t) => {
  const server = await startServer('gearhq', { args: ['--max-connections', '2'] });
  t.after(() => server.stop());
  const a = await RawClient.connect(server.port);
  const b = await RawClient.connect(server.port);
  assert.match(await a.admin('version'), /^OK /);
  assert.match(await b.admin('version'), /^OK /);
  const refused = await RawClient.connect(server.port);
  await refused.waitClosed(5000);
  b.close();
  await b.waitClosed();
  // The server may see b's close a moment later; a new connection gets in once it has.
  for (let attempt = 0; ; attempt++) {
    const c = await RawClient.connect(server.port);
    try {
      assert.match(await c.admin('version', 1000), /^OK /);
      c.close();
      break;
    } catch (e) {
      c.close();
      if (attempt > 20) throw e;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  a.close();
});
