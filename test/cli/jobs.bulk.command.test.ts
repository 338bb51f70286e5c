/**
 * `gearhq jobs cancel` / `gearhq jobs retry` against a real server: the filter flags of
 * `gearhq jobs`, the summary a user reads, --json, a progress bar only on a terminal, and the
 * safety catch on the command line.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { GEARHQ_MAIN } from '../support/servers.js';
import { PacketType } from '../support/raw-client.js';
import { startCliServer, type CliServer } from './cli-setup.js';

/** Submits `n` background jobs of `fn` (payloads `payload 0` …) over the Gearman port. */
async function submitMany(s: CliServer, fn: string, n: number): Promise<void> {
  const c = await s.connect();
  for (let i = 0; i < n; i++) c.send(PacketType.SUBMIT_JOB_BG, [fn, '', `payload ${i}`]);
  for (let i = 0; i < n; i++) await c.expect(PacketType.JOB_CREATED);
}

async function queued(s: CliServer, fn: string): Promise<number> {
  const f = await s.api('GET', `/api/v1/functions/${fn}`);
  return f.queued.high + f.queued.normal + f.queued.low;
}

describe('gearhq jobs cancel / retry', () => {
  const server: { s?: CliServer } = {};
  const setup = () => server.s!;
  before(async () => { server.s = await startCliServer(); });
  after(async () => { await server.s?.stop(); });

  it('cancels the jobs the flags match and says how many; the others stay queued', async () => {
    const s = setup();
    await submitMany(s, 'cli-a', 60);
    await submitMany(s, 'cli-b', 5);
    const r = await s.run(['jobs', 'cancel', '--function', 'cli-a']);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^cancelled 60 of 60 matching jobs \(0 skipped, 0 errors\) in \d+\.\ds\n$/);
    assert.doesNotMatch(r.stdout, /\u001b|\r/, 'no control characters when piped');
    assert.equal(await queued(s, 'cli-a'), 0);
    assert.equal(await queued(s, 'cli-b'), 5);
    const nothing = await s.run(['jobs', 'cancel', '-f', 'cli-a']);
    assert.equal(nothing.stdout.replace(/ in \d+\.\ds/, ''), 'no jobs match\n');
  });

  it('retries with --state and --search, and prints the final operation with --json', async () => {
    const s = setup();
    await submitMany(s, 'cli-r', 30);
    assert.equal((await s.run(['jobs', 'cancel', '-f', 'cli-r'])).status, 0);
    // `payload 1` and `payload 10` … `payload 19`: the same flag narrows a listing and a bulk retry.
    const listed = JSON.parse((await s.run(['jobs', '-f', 'cli-r', '--search', 'payload 1', '--json'])).stdout);
    assert.equal(listed.jobs.length, 11);
    const r = await s.run(['jobs', 'retry', '-f', 'cli-r', '--state', 'cancelled', '--search', 'payload 1', '--json']);
    assert.equal(r.status, 0, r.stderr);
    const op = JSON.parse(r.stdout);
    assert.equal(op.action, 'retry');
    assert.deepEqual(op.filter, { function: 'cli-r', state: 'cancelled', q: 'payload 1' });
    assert.deepEqual([op.state, op.total, op.done, op.skipped], ['done', 11, 11, 0]);
    assert.equal(await queued(s, 'cli-r'), 11);
  });

  it('refuses an unnarrowed operation unless --all, and passes on the server\'s refusals', async () => {
    const s = setup();
    const bare = await s.run(['jobs', 'cancel']);
    assert.equal(bare.status, 2);
    assert.match(bare.stderr, /this would cancel every running, queued and scheduled job: narrow it with --function, .* or say --all/);
    const wrongState = await s.run(['jobs', 'retry', '-f', 'x', '--state', 'queued']);
    assert.equal(wrongState.status, 1);
    assert.match(wrongState.stderr, /retry applies to failed, abandoned, cancelled, completed jobs, not queued ones \(BAD_REQUEST\)/);
    const badTime = await s.run(['jobs', 'cancel', '--since', 'last week']);
    assert.equal(badTime.status, 2);
    assert.match(badTime.stderr, /--since: not a time/);
    await submitMany(s, 'cli-all', 3);
    const all = await s.run(['jobs', 'cancel', '--all', '--json']);
    assert.equal(all.status, 0, all.stderr);
    assert.ok(JSON.parse(all.stdout).done >= 3);
    assert.equal(await queued(s, 'cli-all'), 0);
  });

  it('draws a progress bar in place on a terminal', async () => {
    const s = setup();
    await submitMany(s, 'cli-tty', 20);
    const tty = spawnSync('script', ['-qec', `${process.execPath} ${GEARHQ_MAIN} jobs cancel -f cli-tty --url ${s.url}`, '/dev/null'],
      { encoding: 'utf8', timeout: 10000 });
    assert.equal(tty.status, 0, tty.stderr);
    assert.match(tty.stdout, /\rcancel \[█{24}\] 20\/20 {2}100%\u001b\[K/);
    assert.match(tty.stdout, /cancelled 20 of 20 matching jobs/);
  });
});
