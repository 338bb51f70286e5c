/**
 * `gearhq top` against a real server: one snapshot with --once (text and JSON), a snapshot per
 * interval when piped until SIGTERM, and on a terminal the alternate screen redrawn in place and
 * given back on q or Ctrl-C.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { GEARHQ_MAIN } from '../support/servers.js';
import { PacketType } from '../support/raw-client.js';
import { startCliServer, type CliServer } from './cli-setup.js';

/** Runs `cmd` on a pseudo-terminal (script(1)); `keys` go to its keyboard once `ready` matches the screen. */
function onTerminal(cmd: string, ready: RegExp, keys: string): Promise<{ status: number | null; screen: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('script', ['-qec', cmd, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, TZ: 'UTC' } });
    let screen = '';
    let sent = false;
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`no exit on a terminal:\n${screen}`)); }, 10_000);
    child.stdout.on('data', (d: Buffer) => {
      screen += d.toString('utf8');
      if (!sent && ready.test(screen)) {
        sent = true;
        child.stdin.write(keys);
      }
    });
    child.once('error', reject);
    child.once('close', (status) => { clearTimeout(timer); resolve({ status, screen }); });
  });
}

describe('gearhq top', () => {
  const server: { s?: CliServer } = {};
  const setup = () => server.s!;
  before(async () => {
    const s = server.s = await startCliServer();
    for (const [fn, priority] of [['top-mail', 'normal'], ['top-mail', 'low'], ['top-img', 'high']] as const) {
      await s.api('POST', '/api/v1/jobs', { function: fn, priority });
    }
    const w = await s.connect();
    w.send(PacketType.CAN_DO, ['top-img']);
    w.send(PacketType.ECHO_REQ, ['registered']);
    await w.expect(PacketType.ECHO_RES);
  });
  after(async () => { await server.s?.stop(); });

  it('--once prints the totals and the status table', async () => {
    const s = setup();
    const r = await s.run(['top', '--once']);
    assert.equal(r.status, 0, r.stderr);
    const lines = r.stdout.split('\n');
    assert.match(lines[0]!, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \S+ {2}stats over 1m$/);
    assert.match(lines[1]!, /^jobs\/s [\d.]+ {2}queued 3 \(high 1, normal 1, low 1\) {2}scheduled 0 {2}running 0 {2}workers 1 {2}alerts firing 0$/);
    assert.equal(lines[2], '');
    assert.match(lines[3]!, /^FUNCTION +QUEUED +HIGH +NORMAL +LOW +SCHEDULED +RUNNING +WORKERS +JOBS\/S +P95 RUNTIME +FAIL % +PAUSED$/);
    assert.match(r.stdout, /\ntop-img +1 +1 +0 +0 +0 +0 +1 /);
    assert.match(r.stdout, /\ntop-mail +2 +0 +1 +1 +0 +0 +0 /);
    assert.doesNotMatch(r.stdout, /\u001b/, 'no control characters when piped');

    const json = JSON.parse((await s.run(['top', '--once', '--json', '--window', '5m'])).stdout);
    assert.equal(json.stats.window, '5m');
    assert.equal(json.workers, 1);
    assert.deepEqual(json.firing, []);
    assert.deepEqual(json.functions.map((f: { name: string }) => f.name), ['top-img', 'top-mail']);
  });

  it('piped, prints a snapshot every interval and ends cleanly on SIGTERM', async () => {
    const s = setup();
    const child = spawn(process.execPath, [GEARHQ_MAIN, 'top', '--interval', '0.2', '--url', s.url], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stderr.on('data', (d: Buffer) => { err += d.toString(); });
    const snapshots = () => out.split('\n').filter((l) => l.startsWith('jobs/s ')).length;
    const closed = new Promise<number | null>((resolve) => child.once('close', resolve));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`only ${snapshots()} snapshots:\n${out}${err}`)), 10_000);
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (snapshots() >= 3) { clearTimeout(timer); resolve(); }
      });
    });
    const t0 = Date.now();
    child.kill('SIGTERM');
    assert.equal(await closed, 0, err);
    assert.ok(Date.now() - t0 < 2000, 'it does not wait for the next interval');
    assert.equal(err, '');
  });

  it('on a terminal, redraws in place on the alternate screen and gives the terminal back on q or Ctrl-C', async () => {
    const s = setup();
    for (const key of ['q', '\u0003']) {
      const r = await onTerminal(`${process.execPath} ${GEARHQ_MAIN} top --interval 0.2 --url ${s.url}`, /top-mail[^]*\u001b\[H[^]*top-mail/, key);
      assert.equal(r.status, 0, r.screen);
      assert.ok(r.screen.startsWith('\u001b[?1049h\u001b[?25l'), 'alternate screen, cursor hidden');
      assert.ok(r.screen.trimEnd().endsWith('\u001b[?25h\u001b[?1049l'), 'cursor and screen restored at the end');
      assert.ok(r.screen.split('\u001b[H').length >= 3, 'drawn at least twice from the top');
      assert.match(r.screen, /queued 3 \(high 1, normal 1, low 1\)/);
      assert.match(r.screen, /q quits/);
    }
  });
});
