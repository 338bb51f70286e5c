/**
 * How every client command finds its server (--url over GEARHQ_URL over the default) and what it
 * says when nothing answers there; colours only on a terminal.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { freePort } from '../support/servers.js';
import { runCli, startCliServer } from './cli-setup.js';

describe('client commands: --url, GEARHQ_URL and a server that is down', () => {
  it('says the server cannot be reached and exits 1, for every command', async () => {
    const dead = `http://127.0.0.1:${await freePort()}`;
    for (const args of [['status'], ['jobs'], ['job', 'H:x:1'], ['submit', 'f'], ['schedules', 'list'], ['schedules', 'pause', 'x']]) {
      const r = await runCli([...args, '--url', dead]);
      assert.equal(r.status, 1, args.join(' '));
      assert.equal(r.stdout, '');
      assert.equal(r.stderr, `gearhq: cannot reach a gearhq server at ${dead} (connection refused); `
        + 'is `gearhq serve` running there? Point --url or GEARHQ_URL at its HTTP port\n', args.join(' '));
    }
  });

  it('refuses a malformed --url with exit code 2', async () => {
    const r = await runCli(['status', '--url', 'ftp://example.com']);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /--url must be http:\/\/ or https:\/\//);
  });

  it('takes GEARHQ_URL (host:port is enough) and lets --url override it', async () => {
    const s = await startCliServer();
    try {
      const hostPort = s.url.replace('http://', '');
      const viaEnv = await runCli(['status'], { env: { GEARHQ_URL: hostPort } });
      assert.equal(viaEnv.status, 0, viaEnv.stderr);
      assert.equal(viaEnv.stdout, 'no functions yet\n');
      const dead = `http://127.0.0.1:${await freePort()}`;
      const overridden = await runCli(['status', '--url', s.url], { env: { GEARHQ_URL: dead } });
      assert.equal(overridden.status, 0, overridden.stderr);
      const wrong = await runCli(['status'], { env: { GEARHQ_URL: dead } });
      assert.equal(wrong.status, 1);
      assert.match(wrong.stderr, /cannot reach a gearhq server at http:\/\/127\.0\.0\.1:\d+ \(connection refused\)/);
    } finally {
      await s.stop();
    }
  });
});
