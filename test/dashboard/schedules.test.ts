/**
 * The schedules pages in a real Chromium against a real gearhq: a schedule added through the form
 * (with the server's live preview of its next runs and its error for a bad cron), paused and
 * deleted from the UI; an every-second schedule whose runs link to their jobs and show how they
 * ended once a real gearman worker ran them; config-file schedules and the read-only token.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { screenshot } from '../support/browser.js';
import { gearmanWorker } from '../support/peers.js';
import { dashboardEnv, peersFor } from './dashboard-setup.js';

/** A config file with these contents, removed after the test. */
function configFile(t: TestContext, contents: unknown): string {
  const dir = mkdtempSync(join(tmpdir(), 'gearhq-dash-conf-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'gearhq.json');
  writeFileSync(file, JSON.stringify(contents));
  return file;
}

test('a schedule added with the form is listed with its next runs, then paused and deleted from the UI', async (t) => {
  const env = await dashboardEnv(t);
  const { page, problems, external } = await env.open('/schedules');
  await page.getByText('No schedules yet.').waitFor();
  await page.getByRole('button', { name: 'New schedule' }).click();
  assert.equal(new URL(page.url()).searchParams.get('new'), '1', 'the open form is a link');
  const form = page.getByTestId('schedule-form');
  await form.locator('[name=name]').fill('weekly-report');
  await form.locator('[name=function]').fill('report');
  // The server checks what is typed: a cron with four fields is refused with its own words…
  await form.locator('[name=cron]').fill('0 9 * *');
  await page.getByTestId('schedule-preview').getByText('cron must have 5 or 6 fields, got 4').waitFor();
  // …and a good one answers with its next runs, counted down from now.
  await form.locator('[name=cron]').fill('0 9 * * 1');
  const preview = page.getByTestId('schedule-preview');
  await preview.getByText('Next runs:').waitFor();
  assert.match((await preview.textContent())!, /\(in \d+ (d|h|min)/);
  assert.equal((await env.api('GET', '/api/v1/schedules')).body.schedules.length, 0, 'a preview saves nothing');
  await screenshot(page, 'schedules-form');
  await form.getByRole('button', { name: 'Add schedule' }).click();

  const row = page.getByTestId('schedules-table').locator('tbody tr', { hasText: 'weekly-report' });
  await row.waitFor();
  await form.waitFor({ state: 'detached' });
  assert.match((await row.textContent())!, /0 9 \* \* 1/);
  await row.locator('.badge.state-enabled', { hasText: 'active' }).waitFor();
  await row.getByText(/^in \d+ (d|h|min)/).waitFor();
  await row.getByText('never').waitFor();
  const saved = await env.api('GET', '/api/v1/schedules/weekly-report');
  assert.equal(saved.status, 200);
  assert.equal(saved.body.cron, '0 9 * * 1');
  assert.equal(saved.body.function, 'report');
  assert.equal(saved.body.enabled, true);

  await page.getByTestId('pause-weekly-report').click();
  await row.locator('.badge.state-paused').waitFor();
  await row.getByText('paused', { exact: true }).last().waitFor();
  assert.equal((await env.api('GET', '/api/v1/schedules/weekly-report')).body.enabled, false);
  await screenshot(page, 'schedules');

  await page.getByTestId('delete-weekly-report').click();
  await page.getByTestId('delete-weekly-report').filter({ hasText: 'Delete weekly-report?' }).click();
  await row.waitFor({ state: 'detached' });
  await page.getByText('No schedules yet.').waitFor();
  assert.equal((await env.api('GET', '/api/v1/schedules/weekly-report')).status, 404);
  // The browser logs the preview's one refusal (the four-field cron); nothing else went wrong.
  assert.deepEqual(problems, ['console: Failed to load resource: the server responded with a status of 400 (Bad Request)']);
  assert.deepEqual(external, []);
});

test('an every-second schedule shows its runs linking to their jobs, and how they ended', async (t) => {
  const env = await dashboardEnv(t);
  const peers = peersFor(t, env);
  const made = await env.api('POST', '/api/v1/schedules', { name: 'each-second', cron: '* * * * * *', function: 'tick', payload: 'tock' });
  assert.equal(made.status, 201);
  const { page, problems, external } = await env.open('/schedules/each-second');
  const runs = page.getByTestId('recent-runs');
  // Runs arrive without reloading the page: nobody works on `tick` yet, so they wait.
  await runs.locator('a[href^="/jobs/"] .badge.state-queued').first().waitFor({ timeout: 10_000 });
  await page.getByRole('button', { name: 'Pause' }).click();
  await page.locator('.page-header .badge.state-paused').waitFor();
  await page.getByText('Paused: no runs until resumed.').waitFor();
  assert.equal((await env.api('GET', '/api/v1/schedules/each-second')).body.enabled, false);

  const waiting = (await env.api('GET', '/api/v1/jobs?function=tick&state=queued')).body.jobs.length;
  assert.ok(waiting >= 1);
  gearmanWorker(peers, ['tick'], waiting, ['cat']);
  await runs.locator('.badge.state-completed').nth(waiting - 1).waitFor({ timeout: 15_000 });
  assert.equal(await runs.locator('.badge.state-queued').count(), 0);
  await screenshot(page, 'schedule');

  // The list shows the last run too; its link opens the job.
  await page.getByRole('link', { name: 'All schedules' }).click();
  const last = page.getByTestId('schedules-table').locator('tbody tr', { hasText: 'each-second' }).locator('a[href^="/jobs/"]');
  await last.locator('.badge.state-completed').waitFor();
  const href = (await last.getAttribute('href'))!;
  const { lastJob } = (await env.api('GET', '/api/v1/schedules/each-second')).body;
  assert.equal(href, `/jobs/${encodeURIComponent(lastJob)}`);
  await last.click();
  await page.waitForURL(`${env.base}${href}`);
  assert.deepEqual(problems, []);
  assert.deepEqual(external, []);
});

test('config-file schedules pause but do not edit; the read-only token sees no actions', async (t) => {
  const config = configFile(t, { schedules: [{ name: 'cleanup', cron: '0 3 * * *', function: 'cleanup' }] });
  const env = await dashboardEnv(t, ['--config', config, '--http-token', 'full-secret', '--http-read-token', 'read-secret']);
  await env.api('POST', '/api/v1/schedules', { name: 'hourly', cron: '0 * * * *', function: 'report' }, 'full-secret');

  const full = await env.open('/schedules', { token: 'full-secret' });
  const table = full.page.getByTestId('schedules-table');
  const cleanup = table.locator('tbody tr', { hasText: 'cleanup' });
  await cleanup.getByText('config file').waitFor();
  assert.equal(await cleanup.getByTestId('pause-cleanup').count(), 1, 'config schedules pause and resume');
  assert.equal(await cleanup.getByTestId('edit-cleanup').count(), 0);
  assert.equal(await cleanup.getByTestId('delete-cleanup').count(), 0);
  const hourly = table.locator('tbody tr', { hasText: 'hourly' });
  assert.equal(await hourly.getByTestId('edit-hourly').count(), 1);
  assert.equal(await hourly.getByTestId('delete-hourly').count(), 1);
  await full.page.goto(`${env.base}/schedules/cleanup`);
  await full.page.getByText('Defined in the server\'s config file: change it there.').waitFor();
  assert.equal(await full.page.getByRole('button', { name: 'Edit' }).count(), 0);
  assert.equal(await full.page.getByRole('button', { name: 'Pause' }).count(), 1);
  // An API schedule is edited in place: its form previews the change and saves it.
  await full.page.goto(`${env.base}/schedules/hourly`);
  await full.page.getByRole('button', { name: 'Edit' }).click();
  const form = full.page.getByTestId('schedule-form');
  await form.locator('[name=cron]').fill('15 * * * *');
  await full.page.getByTestId('schedule-preview').getByText(/:15:00/).first().waitFor();
  await form.getByRole('button', { name: 'Save changes' }).click();
  await form.waitFor({ state: 'detached' });
  await full.page.locator('dl.facts').getByText('15 * * * *').waitFor();
  assert.equal((await env.api('GET', '/api/v1/schedules/hourly', undefined, 'read-secret')).body.cron, '15 * * * *');

  const read = await env.open('/schedules', { token: 'read-secret', viewport: { width: 390, height: 844 } });
  await read.page.getByTestId('schedules-table').locator('tbody tr', { hasText: 'cleanup' }).waitFor();
  assert.equal(await read.page.getByRole('button', { name: 'New schedule' }).count(), 0);
  assert.equal(await read.page.locator('main button').count(), 0, 'no actions at all');
  await screenshot(read.page, 'schedules-phone');
  await read.page.goto(`${env.base}/schedules/hourly?edit=1`);
  await read.page.getByTestId('next-runs').waitFor();
  assert.equal(await read.page.locator('main button').count(), 0, 'not even through a link to the form');
  assert.deepEqual(full.problems, []);
  assert.deepEqual(read.problems, []);
  assert.deepEqual([...full.external, ...read.external], []);
});
