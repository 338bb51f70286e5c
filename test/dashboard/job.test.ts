/**
 * The job page in a real Chromium against a real gearhq with real peers: facts, progress,
 * timeline, result, data sent by the worker and error; cancel, retry and reschedule from the UI (checked through the API);
 * the API's refusal shown; a pruned job; the read-only token.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { screenshot } from '../support/browser.js';
import { dashboardEnv } from './dashboard-setup.js';
import { traffic } from './jobs-traffic.js';

const href = (handle: string) => `/jobs/${handle}`;

async function timelineTypes(page: Page): Promise<string[]> {
  return page.getByTestId('job-timeline').locator('li').evaluateAll((li) => li.map((l) => l.getAttribute('data-type')!));
}

async function badge(page: Page, state: string): Promise<void> {
  await page.locator(`.page-header .badge.state-${state}`).waitFor({ timeout: 10_000 });
}

test('a completed job shows its facts, progress, warning, timeline, result and the data its worker sent', async (t) => {
  const env = await dashboardEnv(t, ['--keep-work-data']);
  const tr = traffic(t, env);
  const php = tr.php(['stream'], 1);
  const handle = await tr.submit('stream', 'the payload', 'report-42');
  await tr.waitForState(handle, 'completed');
  await php.done;
  const { page, problems, external } = await env.open(href(handle));
  await badge(page, 'completed');
  const facts = page.getByTestId('job-facts');
  await facts.getByRole('link', { name: 'stream', exact: true }).waitFor();
  assert.equal(await facts.getByRole('link', { name: 'stream', exact: true }).getAttribute('href'), '/functions/stream');
  assert.match(await facts.textContent() ?? '', /report-42/);
  assert.match(await facts.textContent() ?? '', /background/);
  assert.match(await page.getByTestId('job-progress').textContent() ?? '', /3 \/ 3 \(100%\)/);
  assert.deepEqual(await timelineTypes(page), ['submitted', 'started', 'warning', 'completed']);
  assert.match(await page.getByTestId('job-timeline').textContent() ?? '', /Warning from the worker.*w1/);
  assert.equal(await page.getByTestId('job-payload').locator('pre').textContent(), 'the payload');
  assert.equal(await page.getByTestId('job-result').locator('pre').textContent(), 'done:the payload');
  assert.match(await page.getByTestId('job-result').textContent() ?? '', /16 B/);
  // The PHP worker's two sendData calls, kept in order (--keep-work-data).
  assert.equal(await page.getByTestId('job-data').locator('pre').textContent(), 'd1d2');
  await screenshot(page, 'job');
  const phone = await env.open(href(handle), { viewport: { width: 390, height: 844 } });
  await badge(phone.page, 'completed');
  await screenshot(phone.page, 'job-phone');
  assert.deepEqual(problems, []);
  assert.deepEqual(phone.problems, []);
  assert.deepEqual(external, []);
});

test('a failed job shows its error; retry from the UI queues it again', async (t) => {
  const env = await dashboardEnv(t);
  const tr = traffic(t, env);
  const php = tr.php(['throw'], 1);
  const handle = await tr.submit('throw', 'order 9');
  await tr.waitForState(handle, 'failed');
  await php.done;
  const { page, problems } = await env.open(href(handle));
  await badge(page, 'failed');
  assert.equal(await page.getByTestId('job-error').locator('pre').textContent(), 'boom:order 9');
  assert.deepEqual((await timelineTypes(page)).at(-1), 'failed');
  await screenshot(page, 'job-failed');
  await page.getByTestId('job-retry').click();
  // No worker now: the retried job waits in the queue, and the page follows.
  await badge(page, 'queued');
  assert.equal((await tr.job(handle)).state, 'queued');
  // A worker runs it again (it fails again): the page follows to the second attempt by itself.
  const again = tr.php(['throw'], 1);
  await badge(page, 'failed');
  await again.done;
  await page.getByTestId('job-facts').filter({ hasText: /Attempts\s*2/ }).waitFor();
  assert.deepEqual(problems, []);
});

test('cancel from the UI cancels a queued job; the API confirms it', async (t) => {
  const env = await dashboardEnv(t);
  const tr = traffic(t, env);
  const handle = await tr.submit('nobody', 'waits');
  const { page, problems } = await env.open(href(handle));
  await badge(page, 'queued');
  // Nobody serves its function: the forecast gives its place and says why there is no start time.
  assert.equal(await page.getByTestId('job-forecast').textContent(), 'next in line; no start time: no worker serves its function');
  await page.getByTestId('job-cancel').click();
  // The first click asks; the second cancels.
  assert.equal(await page.getByTestId('job-cancel').textContent(), 'Really cancel?');
  await page.getByTestId('job-cancel').click();
  await badge(page, 'cancelled');
  assert.equal((await tr.job(handle)).state, 'cancelled');
  assert.deepEqual((await timelineTypes(page)).at(-1), 'cancelled');
  assert.deepEqual(problems, []);
});

test('reschedule moves a queued job later; a running job\'s refusal is shown', async (t) => {
  const env = await dashboardEnv(t);
  const tr = traffic(t, env);
  const waiting = await tr.submit('nobody', 'later');
  const { page, problems } = await env.open(href(waiting));
  await badge(page, 'queued');
  await page.getByTestId('reschedule-minutes').fill('10');
  const before = Date.now();
  await page.getByTestId('reschedule-in-submit').click();
  await badge(page, 'scheduled');
  const j = await tr.job(waiting);
  assert.equal(j.state, 'scheduled');
  const due = Date.parse(j.dueAt);
  assert.ok(due >= before + 9.5 * 60_000 && due <= Date.now() + 10.5 * 60_000, `due at ${j.dueAt}`);
  assert.deepEqual((await timelineTypes(page)).at(-1), 'rescheduled');

  // A job a worker holds cannot be moved: the API's reason is shown.
  const php = tr.php(['hold'], 1);
  const held = await tr.submit('hold', 'busy');
  await tr.waitForState(held, 'running');
  await page.goto(`${env.base}${href(held)}`);
  await badge(page, 'running');
  await page.getByTestId('job-progress').filter({ hasText: '1 / 2' }).waitFor();
  await page.getByTestId('reschedule-in-submit').click();
  await page.getByRole('alert').filter({ hasText: 'is running' }).waitFor();
  await screenshot(page, 'job-running');
  php.kill();
  assert.deepEqual(problems.filter((p) => !p.includes('409')), [], 'only the refused request is reported');
});

test('a big payload is shown cut, with its whole size; a binary one as base64', async (t) => {
  const env = await dashboardEnv(t);
  const big = await env.api('POST', '/api/v1/jobs', { function: 'nobody', payload: 'x'.repeat(100 * 1024) });
  const bin = await env.api('POST', '/api/v1/jobs', { function: 'nobody', payloadBase64: Buffer.from([0, 255, 1, 254]).toString('base64') });
  assert.equal(big.status, 201);
  assert.equal(bin.status, 201);
  const { page, problems } = await env.open(href(big.body.handle));
  const payload = page.getByTestId('job-payload');
  await payload.filter({ hasText: '100.0 KiB · truncated: the server keeps a preview of the first 64.0 KiB' }).waitFor();
  assert.equal((await payload.locator('pre').textContent())!.length, 64 * 1024);
  await page.goto(`${env.base}${href(bin.body.handle)}`);
  await payload.filter({ hasText: '4 B · binary, shown as base64' }).waitFor();
  assert.equal(await payload.locator('pre').textContent(), 'AP8B/g==');
  assert.deepEqual(problems, []);
});

test('an unknown handle says it may have been pruned, with a way back', async (t) => {
  const env = await dashboardEnv(t);
  const { page, problems } = await env.open('/jobs/H:nowhere:999');
  await page.getByTestId('job-missing').filter({ hasText: 'No job H:nowhere:999 — it may have been pruned by retention' }).waitFor();
  await page.getByRole('link', { name: 'Back to the job search' }).click();
  await page.waitForURL(`${env.base}/jobs`);
  assert.deepEqual(problems.filter((p) => !p.includes('404')), []);
});

test('the read-only token shows the job without its actions', async (t) => {
  const env = await dashboardEnv(t, ['--http-token', 'full-secret', '--http-read-token', 'read-secret']);
  const r = await env.api('POST', '/api/v1/jobs', { function: 'nobody', payload: 'x' }, 'full-secret');
  assert.equal(r.status, 201);
  const ro = await env.open(href(r.body.handle), { token: 'read-secret' });
  await badge(ro.page, 'queued');
  assert.equal(await ro.page.getByTestId('job-actions').count(), 0);
  const full = await env.open(href(r.body.handle), { token: 'full-secret' });
  await full.page.getByTestId('job-cancel').waitFor();
  assert.deepEqual(ro.problems, []);
  assert.deepEqual(full.problems, []);
});
