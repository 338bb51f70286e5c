/**
 * The alerts page in a real Chromium against a real gearhq: a rule added with the form; three
 * background jobs put in with the gearman CLI and no worker make it fire on the open page without
 * a reload; a real gearman worker drains them and it resolves, both in the history; the rule is
 * edited and deleted from the UI. Config-file rules and the read-only token show no actions.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { screenshot } from '../support/browser.js';
import { assertSucceeded, gearman, gearmanWorker } from '../support/peers.js';
import { dashboardEnv, peersFor } from './dashboard-setup.js';

test('a rule added in the UI fires live when jobs pile up, resolves when a worker drains them, and is edited and deleted', async (t) => {
  const env = await dashboardEnv(t);
  const peers = peersFor(t, env);
  const { page, problems, external } = await env.open('/alerts');
  await page.getByText('No alert rules.').waitFor();
  await page.getByRole('button', { name: 'New rule' }).click();
  const form = page.getByTestId('rule-form');
  await form.locator('[name=name]').fill('f-backlog');
  await form.locator('[name=metric]').selectOption('queue_depth');
  await form.locator('[name=function]').fill('f');
  await form.locator('[name=op]').selectOption('>');
  await form.locator('[name=threshold]').fill('2');
  await form.locator('[name=forSeconds]').fill('0');
  await form.getByRole('button', { name: 'Add rule' }).click();
  await form.waitFor({ state: 'detached' });
  const row = page.getByTestId('rules-table').locator('tbody tr', { hasText: 'f-backlog' });
  await row.getByRole('cell', { name: 'Queue depth of f > 2', exact: true }).waitFor();
  await row.locator('.badge.state-inactive').waitFor();
  const rule = await env.api('GET', '/api/v1/alerts/rules/f-backlog');
  assert.equal(rule.status, 200);
  assert.deepEqual({ ...rule.body, notify: undefined }, {
    name: 'f-backlog', metric: 'queue_depth', function: 'f', window: '5m', op: '>', threshold: 2, forSeconds: 0, source: 'api', notify: undefined,
  });
  await page.evaluate('window.marker = 42');

  // Three background jobs for f and nobody to run them.
  assertSucceeded(await gearman(peers, ['-f', 'f', '-b', '-N'], { input: 'one\ntwo\nthree\n' }));
  const banner = page.getByTestId('firing-f-backlog');
  await banner.waitFor({ timeout: 10_000 });
  assert.match((await banner.textContent())!, /now 3/);
  await row.locator('.badge.state-firing').waitFor();
  await page.getByTestId('firing-count').getByText('1 firing').waitFor();
  await screenshot(page, 'alerts-firing');

  // A worker drains the queue: the alert resolves, on the same page.
  gearmanWorker(peers, ['f'], 3, ['cat']);
  await banner.waitFor({ state: 'detached', timeout: 15_000 });
  await row.locator('.badge.state-resolved').waitFor();
  const history = page.getByTestId('alert-history');
  await history.locator('tbody tr').nth(1).waitFor();
  const changes = await history.locator('tbody tr').evaluateAll((rows) => rows.map((r) => r.textContent));
  assert.match(changes[0]!, /f-backlog.*firing → resolved/);
  assert.match(changes[1]!, /f-backlog.*inactive → firing/);
  assert.equal(await page.evaluate('window.marker'), 42, 'followed live, without a reload');
  assert.equal((await env.api('GET', '/api/v1/alerts?state=resolved')).body.alerts[0].rule, 'f-backlog');
  await screenshot(page, 'alerts');

  // Edit: the form comes filled in; the change replaces the rule.
  await page.getByTestId('edit-f-backlog').click();
  assert.equal(new URL(page.url()).searchParams.get('edit'), 'f-backlog');
  const edit = page.getByTestId('rule-form');
  assert.equal(await edit.locator('[name=threshold]').inputValue(), '2');
  assert.equal(await edit.locator('[name=function]').inputValue(), 'f');
  await edit.locator('[name=threshold]').fill('5');
  await edit.locator('[name=forSeconds]').fill('30');
  await edit.getByRole('button', { name: 'Save changes' }).click();
  await edit.waitFor({ state: 'detached' });
  await row.getByRole('cell', { name: 'Queue depth of f > 5 for 30 s', exact: true }).waitFor();
  const changed = (await env.api('GET', '/api/v1/alerts/rules/f-backlog')).body;
  assert.equal(changed.threshold, 5);
  assert.equal(changed.forSeconds, 30);

  // A rule the server refuses shows the server's words.
  await page.getByRole('button', { name: 'New rule' }).click();
  const bad = page.getByTestId('rule-form');
  await bad.locator('[name=name]').fill('bad rate');
  await bad.locator('[name=metric]').selectOption('failure_rate');
  await bad.locator('[name=threshold]').fill('5');
  await bad.getByRole('button', { name: 'Add rule' }).click();
  await bad.getByRole('alert').getByText(/BAD_REQUEST: .*name must be 1 to 128 letters/).waitFor();
  await bad.getByRole('button', { name: 'Cancel' }).click();

  await page.getByTestId('delete-f-backlog').click();
  await page.getByTestId('delete-f-backlog').filter({ hasText: 'Delete f-backlog?' }).click();
  await row.waitFor({ state: 'detached' });
  assert.equal((await env.api('GET', '/api/v1/alerts/rules/f-backlog')).status, 404);
  // The browser logs the refused rule's 400; nothing else went wrong.
  assert.deepEqual(problems, ['console: Failed to load resource: the server responded with a status of 400 (Bad Request)']);
  assert.deepEqual(external, []);
});

test('config-file rules are read-only; the read-only token sees no actions', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'gearhq-dash-conf-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const config = join(dir, 'gearhq.json');
  writeFileSync(config, JSON.stringify({ 'alert-rules': [{ name: 'store-down', metric: 'store_errors', forSeconds: 0 }] }));
  const env = await dashboardEnv(t, ['--config', config, '--http-token', 'full-secret', '--http-read-token', 'read-secret']);
  const made = await env.api('POST', '/api/v1/alerts/rules', {
    name: 'slow-resize', metric: 'runtime_p95_ms', function: 'resize', window: '1h', op: '>', threshold: 2500, forSeconds: 120,
    notify: [{ type: 'webhook', url: 'http://127.0.0.1:9/hook' }],
  }, 'full-secret');
  assert.equal(made.status, 201);

  const full = await env.open('/alerts', { token: 'full-secret' });
  const table = full.page.getByTestId('rules-table');
  const store = table.locator('tbody tr', { hasText: 'store-down' });
  await store.getByText('config file').waitFor();
  await store.getByRole('cell', { name: 'Store errors', exact: true }).waitFor();
  assert.equal(await store.locator('button').count(), 0, 'no edit or delete for a config-file rule');
  const slow = table.locator('tbody tr', { hasText: 'slow-resize' });
  await slow.getByRole('cell', { name: 'Runtime p95 of resize > 2.5 s for 2 min (1h window)', exact: true }).waitFor();
  await slow.getByText('127.0.0.1:9').waitFor();
  assert.equal(await slow.getByTestId('edit-slow-resize').count(), 1);
  await full.page.getByText('Nothing is firing or pending.').waitFor();

  const read = await env.open('/alerts', { token: 'read-secret', viewport: { width: 390, height: 844 }, colorScheme: 'dark' });
  await read.page.getByTestId('rules-table').locator('tbody tr', { hasText: 'slow-resize' }).waitFor();
  assert.equal(await read.page.locator('main button').count(), 0, 'no actions at all');
  await screenshot(read.page, 'alerts-phone');
  await read.page.goto(`${env.base}/alerts?edit=slow-resize&new=1`);
  await read.page.getByTestId('rules-table').waitFor();
  assert.equal(await read.page.locator('main form, main button').count(), 0, 'not even through a link to the form');
  assert.deepEqual(full.problems, []);
  assert.deepEqual(read.problems, []);
  assert.deepEqual([...full.external, ...read.external], []);
});
