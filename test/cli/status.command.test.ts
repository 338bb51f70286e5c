/**
 * `gearhq status`: the table of functions a user reads, --json, and colours only on a terminal.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { GEARHQ_MAIN } from '../support/servers.js';
import { PacketType } from '../support/raw-client.js';
import { startCliServer } from './cli-setup.js';

describe('gearhq status', () => {
  it('shows queued by priority, scheduled, running, workers and paused per function', async () => {
    const s = await startCliServer();
    try {
      assert.equal((await s.run(['status'])).stdout, 'no functions yet\n');
      for (const priority of ['high', 'normal', 'normal', 'low']) await s.api('POST', '/api/v1/jobs', { function: 'img', priority });
      await s.api('POST', '/api/v1/jobs', { function: 'img', delayMs: 600_000 });
      await s.api('POST', '/api/v1/jobs', { function: 'mail' });
      await s.api('POST', '/api/v1/functions/mail/pause');
      const w = await s.connect();
      w.send(PacketType.CAN_DO, ['img']);
      w.send(PacketType.GRAB_JOB);
      const held = await w.expect(PacketType.JOB_ASSIGN);
      const r = await s.run(['status']);
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout, [
        'FUNCTION  QUEUED  HIGH  NORMAL  LOW  SCHEDULED  RUNNING  WORKERS  JOBS/S  P95 RUNTIME  FAIL %  PAUSED',
        'img            3     0       2    1          1        1        1       0            -       -  -',
        'mail           1     0       1    0          0        0        0       0            -       -  paused',
        '',
      ].join('\n'));
      // One job completes and one fails: throughput, p95 runtime and failure % from /api/v1/stats.
      w.send(PacketType.WORK_COMPLETE, [held.args[0]!, 'ok']);
      w.send(PacketType.GRAB_JOB);
      const next = await w.expect(PacketType.JOB_ASSIGN);
      w.send(PacketType.WORK_FAIL, [next.args[0]!]);
      w.send(PacketType.ECHO_REQ, ['sync']);
      await w.expect(PacketType.ECHO_RES);
      const img = (await s.run(['status'])).stdout.split('\n').find((l) => l.startsWith('img'));
      assert.match(img ?? '', /^img +2 +0 +1 +1 +1 +0 +1 +[0-9.]+ +\d+ms +50\.0% +-$/);
      const json = JSON.parse((await s.run(['status', '--json'])).stdout);
      assert.deepEqual(json.functions.map((f: { name: string; paused: boolean }) => [f.name, f.paused]), [['img', false], ['mail', true]]);
      assert.equal(json.stats.window, '5m');
      assert.equal(json.stats.totals.failed, 1);
    } finally {
      await s.stop();
    }
  });

  it('uses colours on a terminal only, and not with NO_COLOR', async () => {
    const s = await startCliServer();
    try {
      await s.api('POST', '/api/v1/jobs', { function: 'waiting' });
      // `script` gives the command a pseudo-terminal as stdout.
      const onTty = (env: string) => spawnSync('script', ['-qec', `${env} ${process.execPath} ${GEARHQ_MAIN} status --url ${s.url}`, '/dev/null'],
        { encoding: 'utf8', timeout: 10000 });
      const tty = onTty('');
      if (tty.error !== undefined || tty.status !== 0) {
        assert.fail(`script(1) could not run the CLI on a pseudo-terminal: ${tty.error?.message ?? tty.stderr}`);
      }
      assert.match(tty.stdout, /\u001b\[1mFUNCTION\u001b\[22m/, 'bold headers');
      assert.match(tty.stdout, /\u001b\[31m0\u001b\[39m/, 'no workers while jobs wait, in red');
      assert.doesNotMatch(onTty('NO_COLOR=1').stdout, /\u001b\[/);
      assert.doesNotMatch((await s.run(['status'])).stdout, /\u001b\[/, 'piped');
    } finally {
      await s.stop();
    }
  });
});
