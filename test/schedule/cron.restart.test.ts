/**
 * A cron schedule from the config file, through real restarts: it fires an ordinary background
 * job every second that a worker receives, and no tick ever becomes two jobs, across SIGTERM and
 * kill -9 (the firing and its job are stored together).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, startServer, type RunningServer } from '../support/servers.js';
import { PacketType, RawClient } from '../support/raw-client.js';

async function workFor(port: number, ms: number, seen: string[]): Promise<void> {
  const w = await RawClient.connect(port);
  try {
    w.send(PacketType.CAN_DO, ['cron_fn']);
    const end = Date.now() + ms;
    while (Date.now() < end) {
      w.send(PacketType.GRAB_JOB_UNIQ);
      const r = await w.next(2000);
      if (r.type === PacketType.NO_JOB) {
        await new Promise((res) => setTimeout(res, 100));
        continue;
      }
      assert.equal(r.type, PacketType.JOB_ASSIGN_UNIQ);
      seen.push(r.args[2]!);
      w.send(PacketType.WORK_COMPLETE, [r.args[0]!, 'done']);
    }
  } finally {
    w.close();
  }
}

test('cron: a schedule from the config file fires every second, and never twice for a tick across restarts', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gearhq-cron-'));
  const config = join(dir, 'gearhq.json');
  writeFileSync(config, JSON.stringify({
    schedules: [{ name: 'every-second', cron: '* * * * * *', function: 'cron_fn', payload: 'tick', missed: 'skip' }],
  }));
  const port = await freePort();
  const seen: string[] = [];
  let server: RunningServer | null = null;
  try {
    for (const stop of ['SIGTERM', 'SIGKILL', 'SIGKILL'] as const) {
      server = await startServer('gearhq', { port, store: 'sqlite', dataDir: dir, args: ['--config', config] });
      await workFor(port, 2500, seen);
      await server.stop(stop);
    }
    assert.ok(seen.length >= 4, `the worker received ${seen.length} scheduled jobs`);
    assert.ok(seen.every((u) => /^schedule:every-second:\d+000$/.test(u)), 'one unique per tick, on whole seconds');
    const db = new Database(join(dir, 'gearhq.sqlite'), { readonly: true });
    try {
      const dup = db.prepare(`SELECT uniq, count(*) AS n FROM jobs WHERE fn = 'cron_fn' GROUP BY uniq HAVING n > 1`).all();
      assert.deepEqual(dup, [], 'no tick became two jobs');
      const firings = db.prepare(`SELECT count(*) AS n FROM schedule_firings WHERE schedule = 'every-second'`).get() as { n: number };
      const jobs = db.prepare(`SELECT count(*) AS n FROM jobs WHERE fn = 'cron_fn'`).get() as { n: number };
      assert.equal(firings.n, jobs.n, 'every stored job has its firing and every firing its job');
    } finally {
      db.close();
    }
  } finally {
    await server?.stop('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});
