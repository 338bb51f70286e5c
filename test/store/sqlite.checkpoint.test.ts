import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { Checkpointer } from '../../src/store/sqlite/checkpointer.js';

const MiB = 1024 * 1024;

function openDb() {
  const dir = mkdtempSync(join(tmpdir(), 'gearhq-checkpoint-'));
  const path = join(dir, 'test.sqlite');
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, body BLOB NOT NULL)');
  return { dir, path, db, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * Commits `mib` MiB as 20 KiB rows, 100 rows a transaction, 10 ms apart: up to ~200 MB/s, more than
 * the server writes with 10 KiB foreground jobs (~150 MB/s of WAL here).
 */
async function writeRows(db: Database.Database, checkpointer: Checkpointer, mib: number, onCommit = () => {}) {
  const insert = db.prepare('INSERT INTO t (body) VALUES (?)');
  const body = Buffer.alloc(20 * 1024, 0x61);
  const commits = Math.ceil((mib * MiB) / (100 * body.length));
  for (let c = 0; c < commits; c++) {
    db.transaction(() => { for (let i = 0; i < 100; i++) insert.run(body); })();
    checkpointer.afterCommit();
    onCommit();
    await sleep(10);
  }
  return commits * 100;
}

test('checkpoint thread: committed pages reach the database file without the writer checkpointing', async () => {
  const f = openDb();
  const checkpointer = new Checkpointer(f.db, f.path);
  try {
    assert.equal(f.db.pragma('wal_autocheckpoint', { simple: true }), 0, 'the writer itself never checkpoints');
    const rows = await writeRows(f.db, checkpointer, 8);
    // The thread paces itself (at most 250 ms between passes when idle).
    const deadline = Date.now() + 5000;
    while (statSync(f.path).size < 8 * MiB && Date.now() < deadline) await sleep(50);
    assert.ok(statSync(f.path).size >= 8 * MiB, `database file ${statSync(f.path).size} bytes after 8 MiB committed`);
    assert.ok(checkpointer.passes.done > 0);
    assert.equal(checkpointer.passes.failed, 0);
    assert.equal(f.db.prepare('SELECT count(*) FROM t').pluck().get(), rows);
  } finally {
    await checkpointer.stop();
    f.db.close();
    f.cleanup();
  }
});

test('checkpoint thread: under sustained writes the WAL is rewound and stays bounded', async (t) => {
  const f = openDb();
  const rewindBytes = 8 * MiB;
  const checkpointer = new Checkpointer(f.db, f.path, () => {}, { min: rewindBytes, max: rewindBytes });
  try {
    let longestWal = 0;
    const rows = await writeRows(f.db, checkpointer, 120, () => {
      longestWal = Math.max(longestWal, statSync(`${f.path}-wal`).size);
    });
    // 120 MiB went through a WAL rewound from 8 MiB on; the thread asks for a rewind at twice that
    // at the latest (it copies ~0.5 GB/s into new pages here), and commits land meanwhile.
    t.diagnostic(`longest WAL ${(longestWal / MiB).toFixed(1)} MiB; ${JSON.stringify(checkpointer.passes)}`);
    assert.ok(checkpointer.passes.rewinds > 0, 'the main thread rewound the WAL');
    assert.ok(longestWal < 4 * rewindBytes, `WAL grew to ${(longestWal / MiB).toFixed(1)} MiB`);
    assert.equal(f.db.prepare('SELECT count(*) FROM t').pluck().get(), rows);
  } finally {
    await checkpointer.stop();
    f.db.close();
    f.cleanup();
  }
});

test('checkpoint thread: stopped before the connection closes, the last close folds the WAL in and removes it', async () => {
  const f = openDb();
  const checkpointer = new Checkpointer(f.db, f.path);
  const rows = await writeRows(f.db, checkpointer, 2);
  await checkpointer.stop();
  f.db.close();
  try {
    assert.equal(existsSync(`${f.path}-wal`), false);
    const again = new Database(f.path, { readonly: true });
    assert.equal(again.prepare('SELECT count(*) FROM t').pluck().get(), rows);
    again.close();
  } finally {
    f.cleanup();
  }
});

test('checkpoint thread: if it dies, the writer checkpoints again (autocheckpoint) and the failure is reported', async () => {
  const f = openDb();
  const failures: Error[] = [];
  const checkpointer = new Checkpointer(f.db, f.path, (e) => failures.push(e));
  try {
    // Nothing outside can end the thread but stop(); terminating it stands in for a crash.
    await (checkpointer as unknown as { thread: Worker }).thread.terminate();
    await sleep(10);
    assert.equal(failures.length, 1);
    assert.match(checkpointer.failure!.message, /checkpoint thread exited/);
    assert.equal(f.db.pragma('wal_autocheckpoint', { simple: true }), 1000);
    // The writer's own checkpoints now keep the WAL short: 20 MiB committed, WAL far below that.
    const rows = await writeRows(f.db, checkpointer, 20);
    assert.ok(statSync(`${f.path}-wal`).size < 8 * MiB, `WAL ${statSync(`${f.path}-wal`).size} bytes`);
    assert.equal(f.db.prepare('SELECT count(*) FROM t').pluck().get(), rows);
    await checkpointer.stop();
  } finally {
    f.db.close();
    f.cleanup();
  }
});
