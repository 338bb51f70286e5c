/**
 * The functions list and a function's page in a real Chromium, with real traffic: a PHP worker
 * completes `rev` jobs and fails `throw` jobs (WORK_EXCEPTION "boom:<payload>") submitted with the
 * gearman CLI. Sort and filter live in the URL; rows follow new jobs without a reload; the function
 * page shows the policy, failures with their error text, pauses and resumes for real, edits the
 * policy; the read-only token sees no actions.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { RollupRecord } from '../../src/store/store.js';
import { screenshot } from '../support/browser.js';
import { waitFor } from '../support/peers.js';
import { dashboardEnv, type DashboardEnv } from './dashboard-setup.js';
import { traffic } from './jobs-traffic.js';

async function setup(t: Parameters<typeof dashboardEnv>[0]) {
  const env = await dashboardEnv(t);
  const tr = traffic(t, env);
  tr.php(['rev', 'throw'], 0);
  await tr.submitMany('rev', ['one', 'two', 'three']);
  await tr.submitMany('throw', ['x', 'y']);
  await waitFor('the jobs to finish', async () => {
    const r = await env.api('GET', '/api/v1/stats?window=5m');
    const done = (fn: string) => r.body.functions.find((f: { function: string }) => f.function === fn);
    return done('rev')?.completed === 3 && done('throw')?.failed === 2 ? true : undefined;
  }, 15_000);
  return { env, tr };
}

const fnState = async (env: DashboardEnv, name: string) => (await env.api('GET', `/api/v1/functions/${name}`)).body;

test('functions: a row per function with its figures; sort and filter in the URL; live rows', { timeout: 90_000 }, async (t) => {
  const { env, tr } = await setup(t);
  const { page, problems, external } = await env.open('/functions');
  const table = page.getByTestId('functions-table');
  const rowOf = (fn: string) => table.locator('tbody tr', { has: page.getByRole('link', { name: fn, exact: true }) });
  await rowOf('throw').waitFor();
  const headers = await table.locator('thead th').allTextContents();
  const cell = async (fn: string, header: string) => (await rowOf(fn).locator('td').allTextContents())[headers.findIndex((h) => h.startsWith(header))];
  assert.equal(await cell('throw', 'Failed'), '100%');
  assert.equal(await cell('rev', 'Failed'), '0%');
  assert.equal(await cell('rev', 'Workers'), '1');
  assert.equal(await cell('rev', 'Drains in'), 'empty');
  assert.match((await cell('rev', 'Run p50'))!, /ms$/, 'a runtime was measured');

  // Sorting by failure rate, highest first, is a link anyone can share.
  await table.locator('thead th', { hasText: 'Failed' }).click();
  await page.waitForURL(/sort=-failure/);
  assert.deepEqual(await table.locator('tbody tr td:first-child a').allTextContents(), ['throw', 'rev']);
  await page.getByTestId('function-filter').fill('re');
  await page.waitForURL(/q=re/);
  await waitFor('the filter', async () => (await table.locator('tbody tr').count()) === 1 ? true : undefined);
  await page.getByTestId('function-filter').fill('');

  // Live: jobs for a function nobody serves appear, queued by priority, without a reload.
  await page.evaluate('window.marker = 11');
  await tr.submitMany('resize', ['a', 'b']);
  await rowOf('resize').waitFor({ timeout: 10_000 });
  await waitFor('resize queued', async () => (await cell('resize', 'Normal')) === '2' ? true : undefined);
  assert.equal(await cell('resize', 'Workers'), '0');
  assert.equal(await cell('resize', 'Drains in'), 'no workers');
  assert.equal(await page.evaluate('window.marker'), 11, 'updated in place, not reloaded');

  await page.goto(`${env.base}/functions?sort=-failure&window=1h`);
  await rowOf('resize').waitFor();
  assert.equal((await table.locator('tbody tr td:first-child a').allTextContents())[0], 'throw', 'the shared sort');
  assert.equal(await page.getByTestId('window-picker').inputValue(), '1h');
  await screenshot(page, 'functions');
  const dark = await env.open('/functions', { colorScheme: 'dark' });
  await dark.page.getByTestId('functions-table').getByRole('link', { name: 'throw' }).waitFor();
  await screenshot(dark.page, 'functions-dark');
  for (const p of [{ problems, external }, dark]) {
    assert.deepEqual(p.problems, []);
    assert.deepEqual(p.external, []);
  }
});

test('function page: figures, failures with their error text, pause and resume that take effect', { timeout: 90_000 }, async (t) => {
  const { env, tr } = await setup(t);
  const { page, problems, external } = await env.open('/functions/throw');
  await page.getByRole('heading', { name: 'throw' }).waitFor();
  await page.getByTestId('stat-failed').getByText('2', { exact: true }).waitFor();
  const failures = page.getByTestId('failures-table');
  await failures.getByText('boom:x').waitFor();
  await failures.getByText('boom:y').waitFor();
  assert.equal(await page.getByRole('link', { name: 'all failed jobs' }).getAttribute('href'), '/jobs?function=throw&state=failed');
  assert.equal(await page.getByRole('main').getByRole('link', { name: 'Jobs', exact: true }).getAttribute('href'), '/jobs?function=throw');
  await page.getByTestId('policy-source').getByText('No retry policy').waitFor();
  await page.getByTestId('function-chart-runtime').locator('canvas').waitFor();
  await screenshot(page, 'function-failures');

  await page.goto(`${env.base}/functions/rev`);
  await page.getByTestId('stat-completed').getByText('3', { exact: true }).waitFor();
  await page.evaluate('window.marker = 5');
  await page.getByTestId('pause').click();
  await page.getByRole('button', { name: 'Pause: stop handing out its jobs?' }).click();
  await page.getByTestId('paused-badge').waitFor();
  assert.equal((await fnState(env, 'rev')).paused, true);
  // Paused for real: a new job waits although the worker is there.
  const handle = await tr.submit('rev', 'while-paused');
  await page.getByTestId('stat-queued').getByText('1', { exact: true }).waitFor({ timeout: 10_000 });
  assert.equal((await tr.job(handle)).state, 'queued');
  await page.getByTestId('resume').click();
  await tr.waitForState(handle, 'completed');
  assert.equal((await fnState(env, 'rev')).paused, false);
  await page.getByTestId('paused-badge').waitFor({ state: 'detached' });
  await page.getByTestId('stat-completed').getByText('4', { exact: true }).waitFor({ timeout: 10_000 });
  assert.equal(await page.evaluate('window.marker'), 5, 'no reload');
  assert.deepEqual(problems, []);
  assert.deepEqual(external, []);
});

test('function page: the retry policy is set, refused with the server\'s reason, and reset', { timeout: 60_000 }, async (t) => {
  const env = await dashboardEnv(t);
  assert.equal((await env.api('POST', '/api/v1/jobs', { function: 'mail', payload: 'hi' })).status, 201);
  const { page, problems, external } = await env.open('/functions/mail');
  await page.getByTestId('policy-edit').click();
  await page.getByTestId('policy-maxAttempts').fill('4');
  await page.getByTestId('policy-initialMs').fill('500');
  await page.getByTestId('policy-retry-lost').uncheck();
  await page.getByTestId('policy-save').click();
  await page.getByTestId('policy-attempts').getByText('up to 4').waitFor();
  await page.getByTestId('policy-source').getByText('Its own policy.').waitFor();
  const saved = (await fnState(env, 'mail')).policy;
  assert.equal(saved.maxAttempts, 4);
  assert.equal(saved.backoff.initialMs, 500);
  assert.deepEqual(saved.retryOn, ['fail', 'exception', 'timeout']);

  await page.getByTestId('policy-edit').click();
  await page.getByTestId('policy-jitter').fill('2');
  await page.getByTestId('policy-save').click();
  await page.getByTestId('policy-error').getByText('jitter').waitFor();
  assert.equal((await fnState(env, 'mail')).policy.backoff.jitter, 0, 'nothing stored');
  await screenshot(page, 'function-policy');
  await page.getByRole('button', { name: 'Cancel' }).click();

  await page.getByTestId('policy-reset').click();
  await page.getByRole('button', { name: 'Remove its own policy?' }).click();
  await page.getByTestId('policy-source').getByText('No retry policy').waitFor();
  assert.equal((await fnState(env, 'mail')).policy, null);
  // The refused save is the only error the browser saw (its 400).
  assert.deepEqual(problems.filter((p) => !p.includes('400')), []);
  assert.deepEqual(external, []);
});

test('function page with the read-only token, on a phone: figures and policy, no pause, resume or policy editing', { timeout: 60_000 }, async (t) => {
  const env = await dashboardEnv(t, ['--http-token', 'full-secret', '--http-read-token', 'read-secret']);
  assert.equal((await env.api('POST', '/api/v1/jobs', { function: 'mail', payload: 'hi' }, 'full-secret')).status, 201);
  assert.equal((await env.api('PUT', '/api/v1/functions/mail/policy', { maxAttempts: 2 }, 'full-secret')).status, 200);
  const { page, problems, external } = await env.open('/functions/mail', { token: 'read-secret', viewport: { width: 390, height: 844 } });
  await page.getByTestId('policy-attempts').getByText('up to 2').waitFor();
  await page.getByTestId('stat-queued').getByText('1', { exact: true }).waitFor();
  for (const id of ['pause', 'resume', 'policy-edit', 'policy-reset']) assert.equal(await page.getByTestId(id).count(), 0, `${id} is hidden`);
  const overflow = await page.evaluate('document.documentElement.scrollWidth - window.innerWidth') as number;
  assert.ok(overflow <= 0, `the page is ${overflow}px wider than the phone`);
  await screenshot(page, 'function-phone-read-only');
  await page.goto(`${env.base}/functions`);
  await page.getByTestId('functions-table').getByRole('link', { name: 'mail' }).waitFor();
  assert.deepEqual(problems, []);
  assert.deepEqual(external, []);
});

/** Twenty minutes of `report` that a server running here before stored, ending 21 minutes ago. */
async function storedHistory(dataDir: string): Promise<void> {
  const store = new SqliteStore({ dataDir, durability: 'os' });
  await store.open();
  const minute = Math.floor(Date.now() / 60_000) * 60_000;
  const rows: RollupRecord[] = [];
  for (let ago = 40; ago > 20; ago--) {
    rows.push({
      fn: 'report', at: minute - ago * 60_000, submitted: 120, completed: 114, failed: 6, exceptions: 6, retried: 0, cancelled: 0,
      wait: { p50: 20, p95: 80, p99: 90, count: 120 }, runtime: { p50: 200, p95: 450, p99: 500, count: 114 },
      timeToCompletion: { p50: 300, p95: 900, p99: 990, count: 114 }, queued: 40, running: 2, workers: 3,
    });
  }
  await store.rollupsAppend(rows);
  await store.close();
}

test('function page: the charts draw the stored minute roll-ups, then nothing where nothing happened', { timeout: 60_000 }, async (t) => {
  const env = await dashboardEnv(t, [], storedHistory);
  const { page, problems, external } = await env.open('/functions/report?range=1h');
  // Not in the server's memory since the restart: said so, and the stored past is still drawn.
  await page.getByText('The server holds no function named').waitFor();
  /** Hovers at `share` of the chart's width and reads its legend, as someone pointing at it. */
  const legendAt = async (chart: string, share: number) => {
    const over = page.getByTestId(chart).locator('.u-over');
    const box = (await over.boundingBox())!;
    await page.mouse.move(box.x + box.width * share, box.y + box.height / 2);
    const legend = page.getByTestId(chart).locator('.u-legend .u-series');
    const labels = await legend.locator('.u-label').allTextContents();
    const values = await legend.locator('.u-value').allTextContents();
    return labels.map((l, i) => `${l}: ${values[i]}`).join(' ');
  };
  // The axis starts at the first stored minute (about 39 minutes ago); the stored part is its first half.
  await waitFor('the stored minutes', async () => (/submitted: 2\/s/.test(await legendAt('function-chart-throughput', 0.2)) ? true : undefined));
  assert.match(await legendAt('function-chart-throughput', 0.2), /completed: 1\.9\/s failed: 0\.1\/s/);
  assert.match(await legendAt('function-chart-depth', 0.2), /queued: 40 running: 2/);
  assert.match(await legendAt('function-chart-runtime', 0.2), /p50: 200 ms p95: 450 ms/);
  assert.match(await legendAt('function-chart-ttc', 0.2), /p50: 300 ms p95: 900 ms/);
  assert.match(await legendAt('function-chart-throughput', 0.75), /submitted: 0\/s completed: 0\/s failed: 0\/s/, 'a quiet minute is zero');
  await screenshot(page, 'function-history');
  assert.deepEqual(problems.filter((p) => !p.includes('404')), [], 'only the function itself is unknown (404)');
  assert.deepEqual(external, []);
});
