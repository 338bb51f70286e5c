/**
 * The dashboard follows the system's colour scheme while open: switching light ↔ dark redraws
 * the charts in the new scheme's colours, without a reload and without console errors.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { screenshot } from '../support/browser.js';
import { dashboardEnv } from './dashboard-setup.js';

/** The colour of the throughput chart's first series marker in its legend. */
const marker = '[data-testid=overview-chart-throughput] .u-legend .u-series:nth-child(2) .u-marker';

test('switching the system colour scheme redraws the charts in its colours', async (t) => {
  const env = await dashboardEnv(t);
  const { page, problems, external } = await env.open('/', { colorScheme: 'light' });
  await page.locator(marker).waitFor();
  const border = () => page.evaluate(`getComputedStyle(document.querySelector(${JSON.stringify(marker)})).borderColor`);
  assert.equal(await border(), 'rgb(47, 111, 222)', 'light scheme: --c1 is #2f6fde');
  await page.evaluate('window.marker = 42');
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.waitForFunction(`getComputedStyle(document.querySelector(${JSON.stringify(marker)})).borderColor === 'rgb(107, 155, 255)'`,
    undefined, { timeout: 5000 });
  assert.equal(await page.evaluate('window.marker'), 42, 'redrawn in place, not reloaded');
  await screenshot(page, 'overview-switched-to-dark');
  assert.deepEqual(problems, []);
  assert.deepEqual(external, []);
});
