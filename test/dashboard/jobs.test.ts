/**
 * The jobs page in a real Chromium against a real gearhq with real peers: search by handle, the
 * filters (and the URL that holds them), paging, the live first page, bulk cancel, and the
 * read-only token.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { screenshot } from '../support/browser.js';
import { waitForStatus } from '../support/peers.js';
import { dashboardEnv } from './dashboard-setup.js';
import { traffic } from './jobs-traffic.js';

/** The handles the page shows, top to bottom. */
async function shownHandles(page: Page): Promise<string[]> {
  return page.locator('[data-testid=job-row]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-handle')!));
}

/** Waits until the list shows exactly `n` rows, every one passing `each` (when given). */
async function waitForRows(page: Page, n: number, each?: { state?: string }): Promise<string[]> {
  // A string: the test build has no DOM types, the browser runs it.
  await page.waitForFunction(`(() => {
    if (document.querySelector('[aria-busy=true]')) return false;
    const rows = [...document.querySelectorAll('[data-testid=job-row]')];
    const state = ${JSON.stringify(each?.state ?? null)};
    return rows.length === ${n} && rows.every((r) => state === null || r.getAttribute('data-state') === state);
  })()`, undefined, { timeout: 10_000 }).catch(async (e: Error) => {
    throw new Error(`${e.message}\nwanted ${n} rows${each?.state ? ` (${each.state})` : ''} at ${page.url()}; the page shows:\n${await page.locator('main').innerText()}`);
  });
  return shownHandles(page);
}

/** Completed (PHP rev), failed (Perl fail) and queued-forever jobs, with a unique and a findable text. */
async function mixedTraffic(t: Parameters<typeof traffic>[0], env: Awaited<ReturnType<typeof dashboardEnv>>) {
  const tr = traffic(t, env);
  const php = tr.php(['rev'], 3);
  const perl = tr.perl(['fail'], 2);
  const rev = [await tr.submit('rev', 'alpha'), await tr.submit('rev', 'beta needle'), await tr.submit('rev', 'gamma')];
  const fail = [await tr.submit('fail', 'card 1'), await tr.submit('fail', 'card 2')];
  const queued = [await tr.submit('nobody', 'waits', 'order-7'), await tr.submit('nobody', 'waits too', 'order-8')];
  for (const h of rev) await tr.waitForState(h, 'completed');
  for (const h of fail) await tr.waitForState(h, 'failed');
  await php.done;
  await perl.done;
  return { tr, rev, fail, queued };
}

test('a handle typed in the search opens that job with its timeline and result', async (t) => {
  const env = await dashboardEnv(t);
  const { rev } = await mixedTraffic(t, env);
  const { page, problems, external } = await env.open('/jobs');
  await waitForRows(page, 7);
  await screenshot(page, 'jobs');
  await page.getByTestId('job-search').fill(rev[1]!);
  await page.waitForURL(`${env.base}/jobs/${rev[1]}`);
  await page.getByTestId('job-handle').filter({ hasText: rev[1]! }).waitFor();
  await page.locator('.page-header .badge.state-completed').waitFor();
  const timeline = page.getByTestId('job-timeline');
  assert.deepEqual(await timeline.locator('li').evaluateAll((li) => li.map((l) => l.getAttribute('data-type'))), ['submitted', 'started', 'completed']);
  assert.equal(await page.getByTestId('job-result').locator('pre').textContent(), 'eldeen ateb');
  // Back in the browser returns to the list.
  await page.goBack();
  await waitForRows(page, 7);
  assert.deepEqual(problems, []);
  assert.deepEqual(external, []);
});

test('filters narrow the list, live in the URL, and the URL reopens the same list', async (t) => {
  const env = await dashboardEnv(t);
  const { rev, fail, queued } = await mixedTraffic(t, env);
  const { page, problems, external } = await env.open('/jobs');
  assert.deepEqual(await waitForRows(page, 7), [...queued].reverse().concat([...fail].reverse(), [...rev].reverse()));

  await page.getByTestId('filter-state').selectOption('failed');
  assert.deepEqual(await waitForRows(page, 2, { state: 'failed' }), [...fail].reverse());
  assert.equal(new URL(page.url()).searchParams.get('state'), 'failed');

  await page.getByTestId('filter-state').selectOption('');
  await page.getByTestId('filter-function').fill('rev');
  assert.deepEqual(await waitForRows(page, 3, { state: 'completed' }), [...rev].reverse());
  assert.equal(new URL(page.url()).searchParams.get('function'), 'rev');

  await page.getByTestId('job-search').fill('needle');
  assert.deepEqual(await waitForRows(page, 1), [rev[1]]);
  const url = page.url();
  assert.equal(new URL(url).searchParams.get('q'), 'needle');
  await screenshot(page, 'jobs-filtered');

  // The same link in a fresh browser shows the same list, its fields filled in.
  const again = await env.open(new URL(url).pathname + new URL(url).search);
  assert.deepEqual(await waitForRows(again.page, 1), [rev[1]]);
  assert.equal(await again.page.getByTestId('filter-function').inputValue(), 'rev');
  assert.equal(await again.page.getByTestId('job-search').inputValue(), 'needle');

  // Unique, on a fresh page through the UI.
  await page.getByRole('button', { name: 'clear filters' }).click();
  await waitForRows(page, 7);
  await page.getByTestId('filter-unique').fill('order-8');
  assert.deepEqual(await waitForRows(page, 1, { state: 'queued' }), [queued[1]]);
  assert.equal(new URL(page.url()).searchParams.get('unique'), 'order-8');

  // A filter nothing matches says so.
  await page.goto(`${env.base}/jobs?function=rev&state=failed`);
  await page.getByTestId('jobs-empty').filter({ hasText: 'No jobs match these filters.' }).waitFor();
  assert.deepEqual(problems, []);
  assert.deepEqual(again.problems, []);
  assert.deepEqual(external, []);
});

test('paging walks 60 jobs 25 at a time, newest first, and back', async (t) => {
  const env = await dashboardEnv(t);
  const tr = traffic(t, env);
  await tr.submitMany('pages', Array.from({ length: 60 }, (_, i) => `job ${i}`));
  await waitForStatus(env.server, 'pages', (s) => s.total === 60, '60 queued');
  const all = (await tr.jobsOf('pages')).map((j) => j.handle);
  assert.equal(all.length, 60);

  const { page, problems } = await env.open('/jobs?function=pages&limit=25');
  assert.deepEqual(await waitForRows(page, 25), all.slice(0, 25));
  await page.getByTestId('page-next').click();
  assert.deepEqual(await waitForRows(page, 25), all.slice(25, 50));
  assert.ok(new URL(page.url()).searchParams.get('cursor'), 'the cursor is in the URL');
  await page.getByTestId('page-next').click();
  assert.deepEqual(await waitForRows(page, 10), all.slice(50));
  assert.equal(await page.getByTestId('page-next').isDisabled(), true, 'nothing older');
  await page.getByTestId('page-newer').click();
  assert.deepEqual(await waitForRows(page, 25), all.slice(25, 50));
  // The browser's back button pages too.
  await page.goBack();
  assert.deepEqual(await waitForRows(page, 10), all.slice(50));
  await page.getByTestId('page-newer').click();
  await page.getByTestId('page-newer').click();
  assert.deepEqual(await waitForRows(page, 25), all.slice(0, 25));
  assert.equal(await page.getByTestId('page-newer').count(), 0, 'the newest page has no newer one');
  assert.deepEqual(problems, []);
});

test('the first page shows a job submitted while it is open, and its state changes, without reloading', async (t) => {
  const env = await dashboardEnv(t);
  const tr = traffic(t, env);
  const first = await tr.submit('rev', 'one');
  const { page, problems } = await env.open('/jobs?function=rev');
  await waitForRows(page, 1);
  await page.locator('[data-testid=live-status].live').waitFor({ timeout: 10_000 });
  await page.evaluate('window.marker = 42');
  const second = await tr.submit('rev', 'two');
  assert.deepEqual(await waitForRows(page, 2), [second, first]);
  // A worker runs both: the rows turn completed on their own.
  const php = tr.php(['rev'], 2);
  assert.equal((await php.done).code, 0);
  await waitForRows(page, 2, { state: 'completed' });
  assert.equal(await page.evaluate('window.marker'), 42, 'the page was not reloaded');
  assert.deepEqual(problems, []);
});

test('a text search is not re-run per event: it offers the new jobs with a click', async (t) => {
  const env = await dashboardEnv(t);
  const tr = traffic(t, env);
  const first = await tr.submit('texty', 'a needle here');
  const { page, problems } = await env.open('/jobs?q=needle');
  assert.deepEqual(await waitForRows(page, 1), [first]);
  await page.locator('[data-testid=live-status].live').waitFor({ timeout: 10_000 });
  const second = await tr.submit('texty', 'another needle');
  await page.getByTestId('live-pending').filter({ hasText: '1 new — refresh' }).click();
  assert.deepEqual(await waitForRows(page, 2), [second, first]);
  // Text shaped like a handle that is no job is searched for as text.
  await page.getByTestId('job-search').fill('H:nowhere:404');
  await page.getByTestId('jobs-empty').waitFor();
  assert.equal(new URL(page.url()).searchParams.get('q'), 'H:nowhere:404');
  assert.deepEqual(problems.filter((p) => !p.includes('404')), []);
});

test('bulk cancel of a filter cancels exactly the matching jobs', async (t) => {
  const env = await dashboardEnv(t);
  const tr = traffic(t, env);
  await tr.submitMany('bulkme', ['a', 'b', 'c', 'd', 'e']);
  await tr.submitMany('keepme', ['x', 'y', 'z']);
  await waitForStatus(env.server, 'bulkme', (s) => s.total === 5, '5 queued');
  await waitForStatus(env.server, 'keepme', (s) => s.total === 3, '3 queued');
  const { page, problems, external } = await env.open('/jobs?function=bulkme');
  await waitForRows(page, 5, { state: 'queued' });
  await page.getByTestId('bulk-cancel').click();
  assert.equal(await page.getByTestId('bulk-filter').textContent(), 'function = bulkme');
  await screenshot(page, 'jobs-bulk-confirm');
  await page.getByTestId('bulk-confirm').click();
  await page.locator('[data-testid=bulk-progress][data-state=done]').waitFor({ timeout: 10_000 });
  assert.match(await page.getByTestId('bulk-summary').textContent() ?? '', /^5 cancelled, 0 skipped/);
  // The list reloads by itself once the operation is done.
  await waitForRows(page, 5, { state: 'cancelled' });
  await screenshot(page, 'jobs-bulk-done');
  assert.deepEqual((await tr.jobsOf('bulkme')).map((j) => j.state), Array(5).fill('cancelled'));
  assert.deepEqual((await tr.jobsOf('keepme')).map((j) => j.state), Array(3).fill('queued'));
  assert.deepEqual(problems, []);
  assert.deepEqual(external, []);
});

test('the read-only token shows the list without bulk actions; the phone layout fits', async (t) => {
  const env = await dashboardEnv(t, ['--http-token', 'full-secret', '--http-read-token', 'read-secret']);
  const tr = traffic(t, env);
  await tr.submitMany('ro', ['1', '2']);
  await waitForStatus(env.server, 'ro', (s) => s.total === 2, '2 queued');
  const ro = await env.open('/jobs', { token: 'read-secret', viewport: { width: 390, height: 844 } });
  await waitForRows(ro.page, 2);
  assert.equal(await ro.page.getByTestId('bulk-actions').count(), 0);
  // Nothing wider than the phone's screen but the table's own scroller.
  const overflow = await ro.page.evaluate('document.documentElement.scrollWidth - window.innerWidth') as number;
  assert.ok(overflow <= 0, `the page is ${overflow}px wider than the screen`);
  await screenshot(ro.page, 'jobs-phone');
  const full = await env.open('/jobs', { token: 'full-secret' });
  await waitForRows(full.page, 2);
  await full.page.getByTestId('bulk-cancel').waitFor();
  assert.deepEqual(ro.problems, []);
  assert.deepEqual(full.problems, []);
});
