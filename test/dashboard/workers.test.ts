/**
 * The workers page in a real Chromium with real workers: a PHP worker (with a client id) and a
 * Perl worker join and leave while the page is open; the PHP worker's current job shows with a
 * link to its page and a running time that ticks, and goes when the job ends — all without a
 * reload. The read-only token sees the same page (it has no actions).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { screenshot } from '../support/browser.js';
import { perlWorker, phpWorker, releaseHeldJobs, waitFor } from '../support/peers.js';
import { dashboardEnv } from './dashboard-setup.js';
import { traffic } from './jobs-traffic.js';

/** "850 ms", "2.4 s", "1 min 3 s" back to milliseconds, to see the running time grow. */
function ms(text: string): number {
  const m = text.match(/^(?:(\d+) min )?([\d.]+) (ms|s)$/);
  assert.ok(m, `a duration: ${JSON.stringify(text)}`);
  return Number(m[1] ?? 0) * 60_000 + Number(m[2]) * (m[3] === 's' ? 1000 : 1);
}

test('workers: who is connected, what each serves and runs, for how long — live', { timeout: 90_000 }, async (t) => {
  const env = await dashboardEnv(t);
  const tr = traffic(t, env);
  const { page, problems, external } = await env.open('/workers');
  const table = page.getByTestId('workers-table');
  await table.getByText('No workers connected.').waitFor();
  await page.evaluate('window.marker = 3');

  const log = join(tr.peers.dir, 'php-hold.log');
  phpWorker(tr.peers, { count: 0, log, functions: ['hold', 'rev'], id: 'thumbnailer-1' });
  const php = table.locator('tbody tr', { hasText: 'thumbnailer-1' });
  await php.waitFor({ timeout: 10_000 });
  await php.getByRole('link', { name: 'hold' }).waitFor();
  await php.getByRole('link', { name: 'rev' }).waitFor();
  assert.equal(await php.getByRole('link', { name: 'rev' }).getAttribute('href'), '/functions/rev');
  await php.getByText('127.0.0.1', { exact: true }).waitFor();

  const handle = await tr.submit('hold', 'a big picture');
  await php.getByRole('link', { name: handle }).waitFor({ timeout: 10_000 });
  assert.equal(await php.getByRole('link', { name: handle }).getAttribute('href'), `/jobs/${encodeURIComponent(handle)}`);
  await php.locator('.badge.state-running').waitFor();
  const runningFor = php.getByTestId('running-for');
  const first = ms((await runningFor.textContent())!);
  await waitFor('the running time to tick', async () => (ms((await runningFor.textContent())!) >= first + 1000 ? true : undefined), 5000);
  await page.getByTestId('workers-summary').getByText('1 connected, 1 busy').waitFor();
  await screenshot(page, 'workers');

  releaseHeldJobs(log);
  await tr.waitForState(handle, 'completed');
  await php.getByRole('link', { name: handle }).waitFor({ state: 'detached', timeout: 10_000 });
  await php.getByText('idle').or(php.getByText('sleeping')).waitFor();

  const perl = perlWorker(tr.peers, { count: 0, log: join(tr.peers.dir, 'perl.log'), functions: ['echo'] });
  const perlRow = table.locator('tbody tr', { has: page.getByRole('link', { name: 'echo', exact: true }) });
  await perlRow.waitFor({ timeout: 10_000 });
  await page.getByTestId('worker-filter').fill('echo');
  await page.waitForURL(/q=echo/);
  await waitFor('the filter', async () => ((await table.locator('tbody tr').count()) === 1 ? true : undefined));
  await page.getByTestId('worker-filter').fill('');
  perl.kill();
  await perlRow.waitFor({ state: 'detached', timeout: 10_000 });
  assert.equal(await page.evaluate('window.marker'), 3, 'all of it without a reload');
  assert.deepEqual(problems, []);
  assert.deepEqual(external, []);
});

test('workers with the read-only token', { timeout: 60_000 }, async (t) => {
  const env = await dashboardEnv(t, ['--http-token', 'full-secret', '--http-read-token', 'read-secret']);
  const { page, problems, external } = await env.open('/workers?sort=-connected', { token: 'read-secret' });
  await page.getByTestId('workers-table').getByText('No workers connected.').waitFor();
  traffic(t, env).php(['rev'], 0);
  await page.getByTestId('workers-table').getByRole('link', { name: 'rev' }).waitFor({ timeout: 10_000 });
  assert.equal(await page.locator('main button').count(), 0, 'nothing to act on');
  assert.deepEqual(problems, []);
  assert.deepEqual(external, []);
});

test('workers: a worker that joined before the live stream was up shows at once, not at the next poll', { timeout: 60_000 }, async (t) => {
  const env = await dashboardEnv(t);
  // The page's first fetch answers, but its event stream is held back until the worker is in.
  let releaseStream!: () => void;
  const streamHeld = new Promise<void>((resolve) => { releaseStream = resolve; });
  const { page, problems } = await env.open('/workers', {
    beforeLoad: async (p) => { await p.route('**/api/v1/events*', async (route) => { await streamHeld; await route.continue(); }); },
  });
  const table = page.getByTestId('workers-table');
  await table.getByText('No workers connected.').waitFor();
  traffic(t, env).php(['rev'], 0);
  await waitFor('the worker to register', async () => {
    const { workers } = (await env.api('GET', '/api/v1/workers')).body;
    return workers.length === 1 && workers[0].functions.includes('rev') ? true : undefined;
  }, 10_000);
  releaseStream();
  // The page polls every 15 s; the stream's opening must bring the worker in well before.
  await table.getByRole('link', { name: 'rev' }).waitFor({ timeout: 5_000 });
  assert.deepEqual(problems, []);
});
