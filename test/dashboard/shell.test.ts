/**
 * The dashboard's shell in a real Chromium: served at / with deep links, navigation without
 * reloads, the live event stream connected, the token prompt and read-only mode, no console
 * errors, no external requests, and the page-weight budget.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { DASHBOARD_DIR } from '../../src/http/dashboard.js';
import { screenshot } from '../support/browser.js';
import { dashboardEnv } from './dashboard-setup.js';

test('the dashboard loads at /, navigates between pages without reloading, and connects the live stream', async (t) => {
  const env = await dashboardEnv(t);
  const { page, problems, external } = await env.open('/');
  await page.getByRole('navigation', { name: 'Main' }).waitFor();
  await page.locator('[data-testid=live-status].live').waitFor({ timeout: 10_000 });
  await page.evaluate('window.marker = 42');
  for (const [label, path] of [['Functions', '/functions'], ['Jobs', '/jobs'], ['Workers', '/workers'],
    ['Schedules', '/schedules'], ['Alerts', '/alerts'], ['Overview', '/']] as const) {
    await page.getByRole('link', { name: label, exact: true }).click();
    await page.waitForURL(env.base + path);
    assert.equal(await page.locator('nav li a[aria-current=page]').textContent(), label);
  }
  // Still the same document: navigation happened in the page, not by reloading it.
  assert.equal(await page.evaluate('window.marker'), 42);
  await screenshot(page, 'shell');
  assert.deepEqual(problems, []);
  assert.deepEqual(external, []);
});

test('a deep link opens its page directly, and an unknown path says so', async (t) => {
  const env = await dashboardEnv(t);
  const { page, problems } = await env.open('/workers');
  assert.equal(await page.locator('nav li a[aria-current=page]').textContent(), 'Workers');
  await page.goto(`${env.base}/no/such/page`);
  await page.getByRole('heading', { name: 'Not found' }).waitFor();
  assert.deepEqual(problems, []);
});

test('with tokens the dashboard asks for one; the read token signs in read-only', async (t) => {
  const env = await dashboardEnv(t, ['--http-token', 'full-secret', '--http-read-token', 'read-secret']);
  const unauth = await env.api('GET', '/api/v1/functions');
  assert.equal(unauth.status, 401, 'the API itself stays closed');
  const { page, problems } = await env.open('/');
  await page.getByTestId('token-input').fill('wrong');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByText('That token was not accepted.').waitFor();
  await page.getByTestId('token-input').fill('read-secret');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('navigation', { name: 'Main' }).waitFor();
  await page.getByText('read-only').waitFor();
  await page.locator('[data-testid=live-status].live').waitFor({ timeout: 10_000 });
  // The 401 of the wrong token is the only error the browser reports.
  assert.deepEqual(problems.filter((p) => !p.includes('401')), []);
});

test('the page weighs less than 150 kB of gzipped JS and CSS', () => {
  const assets = join(DASHBOARD_DIR, 'assets');
  let total = 0;
  for (const f of readdirSync(assets)) {
    if (f.endsWith('.js') || f.endsWith('.css')) total += gzipSync(readFileSync(join(assets, f))).length;
  }
  assert.ok(total > 5_000, `the built assets look empty (${total} B)`);
  assert.ok(total < 150_000, `JS+CSS gzip is ${total} B`);
});
