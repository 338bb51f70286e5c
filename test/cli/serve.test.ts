/**
 * `gearhq serve` as a user runs it: flags, config file and environment, bad options, and the
 * two ways to stop it (SIGTERM graceful, SIGINT immediate).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GEARHQ_MAIN, freePort, startServer } from '../support/servers.js';
import { PacketType, RawClient } from '../support/raw-client.js';

function runCli(args: string[], env: NodeJS.ProcessEnv = {}) {
  return spawnSync(process.execPath, [GEARHQ_MAIN, ...args], {
    encoding: 'utf8', timeout: 10000, env: { ...process.env, ...env },
  });
}

describe('gearhq serve', () => {
  it('lists its options in --help', () => {
    const r = runCli(['serve', '--help']);
    assert.equal(r.status, 0);
    for (const flag of ['--port', '--listen', '--job-retries', '--worker-wakeup', '--round-robin',
      '--job-handle-prefix', '--exceptions', '--verbose', '--store', '--config', '--max-payload']) {
      assert.match(r.stdout, new RegExp(flag), `help mentions ${flag}`);
    }
  });

  it('refuses a bad option value with a clear message and exit code 2', () => {
    const r = runCli(['serve', '--port', 'abc']);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /port: expected an integer, got "abc"/);
    const v = runCli(['serve', '--verbose', 'LOUD']);
    assert.equal(v.status, 2);
    assert.match(v.stderr, /verbose: expected one of FATAL, .*DEBUG/);
  });

  it('refuses an unreadable or unknown config file key', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gearhq-cfg-'));
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ 'no-such-option': 1 }));
    const r = runCli(['serve', '--config', bad]);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /unknown option "no-such-option"/);
    const missing = runCli(['serve', '--config', join(dir, 'missing.json')]);
    assert.equal(missing.status, 2);
    assert.match(missing.stderr, /cannot read config file/);
  });

  it('says so when the port is taken', async () => {
    const server = await startServer('gearhq');
    try {
      const r = runCli(['serve', '-p', String(server.port), '-L', '127.0.0.1', '--http-port', '0']);
      assert.equal(r.status, 1);
      assert.match(r.stderr, /cannot listen: .*EADDRINUSE/);
    } finally {
      await server.stop();
    }
  });

  it('takes the handle prefix from the config file, and a flag over the environment over the file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gearhq-cfg-'));
    const file = join(dir, 'gearhq.json');
    writeFileSync(file, JSON.stringify({ 'job-handle-prefix': 'FILE', 'worker-wakeup': 1 }));
    const fromFile = await startServer('gearhq', { args: ['--config', file] });
    try {
      const c = await RawClient.connect(fromFile.port);
      c.send(PacketType.SUBMIT_JOB_BG, ['f', '', 'x']);
      assert.equal((await c.expect(PacketType.JOB_CREATED)).args[0], 'FILE:1');
      c.close();
    } finally {
      await fromFile.stop();
    }
    process.env.GEARHQ_JOB_HANDLE_PREFIX = 'ENV';
    try {
      const fromEnv = await startServer('gearhq', { args: ['--config', file] });
      try {
        const c = await RawClient.connect(fromEnv.port);
        c.send(PacketType.SUBMIT_JOB_BG, ['f', '', 'x']);
        assert.equal((await c.expect(PacketType.JOB_CREATED)).args[0], 'ENV:1');
        c.close();
      } finally {
        await fromEnv.stop();
      }
      const fromFlag = await startServer('gearhq', { args: ['--config', file, '--job-handle-prefix', 'FLAG'] });
      try {
        const c = await RawClient.connect(fromFlag.port);
        c.send(PacketType.SUBMIT_JOB_BG, ['f', '', 'x']);
        assert.equal((await c.expect(PacketType.JOB_CREATED)).args[0], 'FLAG:1');
        c.close();
      } finally {
        await fromFlag.stop();
      }
    } finally {
      delete process.env.GEARHQ_JOB_HANDLE_PREFIX;
    }
  });

  it('on SIGTERM stops accepting at once but lets a running job finish', async () => {
    const server = await startServer('gearhq');
    const client = await RawClient.connect(server.port);
    const worker = await RawClient.connect(server.port);
    try {
      worker.send(PacketType.CAN_DO, ['slow']);
      client.send(PacketType.SUBMIT_JOB, ['slow', '', 'payload']);
      const handle = (await client.expect(PacketType.JOB_CREATED)).args[0]!;
      worker.send(PacketType.GRAB_JOB);
      await worker.expect(PacketType.JOB_ASSIGN);
      server.process.kill('SIGTERM');
      // New connections are refused while the running job is still allowed to finish. (A probe
      // the kernel had queued for accept when the listening socket closed is reset instead.)
      await assert.rejects(async () => {
        for (let i = 0; i < 50; i++) {
          const probe = await RawClient.connect(server.port);
          probe.close();
          await new Promise((r) => setTimeout(r, 20));
        }
      }, /ECONNREFUSED|ECONNRESET/);
      assert.equal(server.process.exitCode, null, 'still running while a job runs');
      worker.send(PacketType.WORK_COMPLETE, [handle, 'done']);
      const result = await client.expect(PacketType.WORK_COMPLETE);
      assert.deepEqual(result.args, [handle, 'done']);
      await client.waitClosed(5000);
      await server.stop();
      assert.equal(server.process.exitCode, 0);
    } finally {
      client.close();
      worker.close();
      await server.stop('SIGKILL');
    }
  });

  it('on SIGINT stops at once, dropping connections', async () => {
    const server = await startServer('gearhq');
    const worker = await RawClient.connect(server.port);
    const client = await RawClient.connect(server.port);
    try {
      worker.send(PacketType.CAN_DO, ['slow']);
      client.send(PacketType.SUBMIT_JOB, ['slow', '', 'x']);
      await client.expect(PacketType.JOB_CREATED);
      worker.send(PacketType.GRAB_JOB);
      await worker.expect(PacketType.JOB_ASSIGN);
      server.process.kill('SIGINT');
      await worker.waitClosed(3000);
      await client.waitClosed(3000);
      await server.stop();
      assert.equal(server.process.exitCode, 0);
    } finally {
      worker.close();
      client.close();
    }
  });

  it('binds the address given with -L', async () => {
    const port = await freePort();
    const server = await startServer('gearhq', { port, args: [] });
    try {
      await assert.rejects(RawClient.connect(port, '127.0.0.2'), /ECONNREFUSED/);
    } finally {
      await server.stop();
    }
  });
});
