/**
 * The overview in a real Chromium, with real traffic: a PHP worker completes `rev` jobs and
 * fails `throw` jobs (WORK_EXCEPTION) submitted with the gearman CLI. The totals, the busiest
 * functions, the worker and a firing alert show; more jobs submitted while the page is open change
 * the numbers without a reload; it reads on a phone and in the dark theme.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { screenshot } from '../support/browser.js';
import { waitFor } from '../support/peers.js';
import { dashboardEnv, type DashboardEnv } from './dashboard-setup.js';
import { traffic } from './jobs-traffic.js';

/** Waits until the stats say `fn` completed and failed at least so many jobs in the 5m window. */
function waitForCounts(env: DashboardEnv, fn: string, completed: number, failed: number) {
  return waitFor(`${fn}: ${completed} completed, ${failed} failed`, async () => {
    const r = await env.api('GET', '/api/v1/stats?window=5m');
    const f = r.body.functions.find((x: { function: string }) => x.function === fn);
    return f && f.completed >= completed && f.failed >= failed ? f : undefined;
  }, 15_000);
}

async function busyServer(t: Parameters<typeof dashboardEnv>[0]) {
  const env = await dashboardEnv(t);
  const tr = traffic(t, env);
  tr.php(['rev', 'throw'], 0);
  await tr.submitMany('rev', ['one', 'two', 'three']);
  await tr.submitMany('throw', ['x', 'y']);
  await waitForCounts(env, 'rev', 3, 0);
  await waitForCounts(env, 'throw', 0, 2);
  return { env, tr };
}

test('overview: totals, busiest functions, the worker and a firing alert from real traffic; updates live', { timeout: 90_000 }, async (t) => {
  const { env, tr } = await busyServer(t);
  const rule = { name: 'throw-failing', metric: 'failure_rate', function: 'throw', op: '>', threshold: 0.5, forSeconds: 0 };
  assert.equal((await env.api('POST', '/api/v1/alerts/rules', rule)).status, 201);
  await waitFor('the alert to fire', async () => {
    const r = await env.api('GET', '/api/v1/alerts?state=firing');
    return r.body.alerts.length > 0 ? true : undefined;
  });

  const { page, problems, external } = await env.open('/');
  await page.getByRole('heading', { name: 'Overview' }).waitFor();
  const stat = (id: string) => page.getByTestId(id).locator('.stat-value');
  await waitFor('totals from the traffic', async () => (await stat('total-completed').textContent()) === '3' ? true : undefined);
  assert.equal(await stat('total-failed').textContent(), '2');
  assert.equal(await stat('total-failure-rate').textContent(), '40%');
  await page.getByTestId('total-workers').getByText('1', { exact: true }).waitFor();

  const top = page.getByTestId('top-functions');
  const rowOf = (fn: string) => top.locator('tbody tr', { has: page.getByRole('link', { name: fn, exact: true }) });
  await rowOf('rev').waitFor();
  assert.deepEqual(await rowOf('throw').locator('td').allTextContents(), ['throw', '0', '0', '1', '0', '2', '0/s', '100%']);
  assert.equal(await rowOf('rev').getByRole('link').getAttribute('href'), '/functions/rev');

  const alerts = page.getByTestId('alerts-panel');
  await alerts.getByText('throw-failing').waitFor();
  await alerts.locator('.badge.state-firing').waitFor();
  const workers = page.getByTestId('workers-panel');
  await workers.getByText('1 connected, 0 busy.').waitFor();
  await workers.getByText('rev, throw').waitFor();
  await page.getByTestId('server-panel').getByText('sqlite').waitFor();
  // The charts are drawn (uPlot canvases), with a point per sample.
  await page.getByTestId('overview-chart-throughput').locator('canvas').waitFor();
  await page.getByTestId('overview-chart-depth').locator('canvas').waitFor();

  // Live: more jobs while the page stays open.
  await page.evaluate('window.marker = 7');
  await tr.submitMany('rev', ['four', 'five', 'six', 'seven']);
  await waitFor('the totals to follow', async () => (await stat('total-completed').textContent()) === '7' ? true : undefined, 15_000);
  await rowOf('rev').locator('td', { hasText: /^7$/ }).waitFor();
  assert.equal(await page.evaluate('window.marker'), 7, 'updated in place, not reloaded');

  await screenshot(page, 'overview');
  assert.deepEqual(problems, []);
  assert.deepEqual(external, []);
});

test('overview: a window and range in the URL; on a phone nothing spills sideways; dark theme', { timeout: 90_000 }, async (t) => {
  const { env } = await busyServer(t);
  const phone = await env.open('/?window=1m&range=6h', { viewport: { width: 390, height: 844 } });
  const { page } = phone;
  await page.getByTestId('total-completed').getByText('3', { exact: true }).waitFor();
  assert.equal(await page.getByTestId('window-picker').inputValue(), '1m');
  assert.equal(await page.getByTestId('range-picker').inputValue(), '6h');
  await page.getByText('completed (1m)').waitFor();
  await page.getByTestId('window-picker').selectOption('1h');
  await page.waitForURL(/window=1h/);
  await page.getByText('completed (1h)').waitFor();
  const overflow = await page.evaluate('document.documentElement.scrollWidth - window.innerWidth') as number;
  assert.ok(overflow <= 0, `the page is ${overflow}px wider than the phone`);
  await screenshot(page, 'overview-phone');

  const dark = await env.open('/', { colorScheme: 'dark' });
  await dark.page.getByTestId('total-completed').getByText('3', { exact: true }).waitFor();
  const bg = await dark.page.evaluate('getComputedStyle(document.body).backgroundColor');
  assert.equal(bg, 'rgb(18, 21, 27)', 'the dark palette');
  await screenshot(dark.page, 'overview-dark');
  for (const p of [phone, dark]) {
    assert.deepEqual(p.problems, []);
    assert.deepEqual(p.external, []);
  }
});
