/**
 * What the SQLite store takes on disk is on /metrics (`gearhq_store_disk_bytes` by part): the
 * database file, its WAL, and the blob segments, which grow with large payloads and results
 * (their removal by retention is tested in test/store/sqlite.blob-segments.test.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, startServer } from '../support/servers.js';
import { PacketType, RawClient } from '../support/raw-client.js';

test('metrics: the SQLite store\'s disk use by part, blob segments growing with large jobs', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'gearhq-disk-'));
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  const httpPort = await freePort();
  const gearhq = await startServer('gearhq', { store: 'sqlite', dataDir, args: ['--http-port', String(httpPort)] });
  t.after(() => gearhq.stop());
  const disk = async () => {
    const text = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text();
    const part = (name: string) => Number(new RegExp(`^gearhq_store_disk_bytes\\{part="${name}"\\} (\\S+)$`, 'm').exec(text)?.[1]);
    return { database: part('database'), wal: part('wal'), blobs: part('blobs') };
  };
  const before = await disk();
  assert.equal(before.database, statSync(join(dataDir, 'gearhq.sqlite')).size, 'the database file, as the file system says');
  assert.equal(before.blobs, 0, 'no large job yet, no segment');

  // 20 background jobs of 64 KiB each: acknowledged means written, to a segment.
  const c = await RawClient.connect(gearhq.port);
  t.after(() => c.close());
  for (let i = 0; i < 20; i++) {
    c.send(PacketType.SUBMIT_JOB_BG, ['big', `u${i}`, Buffer.alloc(64 * 1024, i)]);
    await c.expect(PacketType.JOB_CREATED, 10_000);
  }
  const after = await disk();
  assert.ok(after.blobs >= 20 * 64 * 1024, `the segments hold the 20 payloads: ${after.blobs} bytes`);
  assert.ok(after.wal > 0, 'the WAL has the rows');
});
