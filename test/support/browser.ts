/**
 * A real headless Chromium (Debian's /usr/bin/chromium) driven by playwright-core, for the
 * dashboard's end-to-end tests. Each page records console errors, uncaught exceptions and any
 * request that leaves the server's origin, so a test can assert the dashboard is clean and makes
 * no external requests. Screenshots go to test-artifacts/dashboard/ (kept by CI as artifacts).
 * A missing Chromium fails loudly: `npm test` installs it first (scripts/ensure-peers.mjs).
 */
import type { TestContext } from 'node:test';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { REPO_ROOT } from './servers.js';

export const CHROMIUM = '/usr/bin/chromium';
export const ARTIFACTS_DIR = join(REPO_ROOT, 'test-artifacts', 'dashboard');

export interface ProbedPage {
  page: Page;
  /** Console errors, page errors and failed requests, as text. */
  problems: string[];
  /** URLs requested outside the server's origin. */
  external: string[];
}

export interface Browser {
  open(url: string, opts?: {
    token?: string; viewport?: { width: number; height: number }; colorScheme?: 'light' | 'dark';
    /** Runs before the page is loaded (to route its requests, say). */
    beforeLoad?: (page: Page) => Promise<void>;
  }): Promise<ProbedPage>;
}

export async function startBrowser(t: TestContext): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (npm test does it as root)`);
  const contexts: BrowserContext[] = [];
  const dirs: string[] = [];
  t.after(async () => {
    for (const c of contexts) await c.close().catch(() => undefined);
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });
  return {
    async open(url, opts = {}) {
      const userDataDir = mkdtempSync(join(tmpdir(), 'gearhq-chromium-'));
      dirs.push(userDataDir);
      const context = await chromium.launchPersistentContext(userDataDir, {
        executablePath: CHROMIUM,
        headless: true,
        args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
          '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
        viewport: opts.viewport ?? { width: 1280, height: 860 },
        colorScheme: opts.colorScheme ?? 'light',
      });
      contexts.push(context);
      const origin = new URL(url).origin;
      const page = context.pages()[0] ?? await context.newPage();
      const problems: string[] = [];
      const external: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error') problems.push(`console: ${m.text()}`);
      });
      page.on('pageerror', (e) => problems.push(`exception: ${e.message}`));
      page.on('request', (r) => {
        const u = r.url();
        if (!u.startsWith(origin) && !u.startsWith('data:') && !u.startsWith('blob:')) external.push(u);
      });
      page.on('requestfailed', (r) => {
        // A live stream torn down by navigation or by the test's end is not a failure.
        if (!r.url().includes('/api/v1/events') && r.failure()?.errorText !== 'net::ERR_ABORTED') {
          problems.push(`request failed: ${r.url()} ${r.failure()?.errorText}`);
        }
      });
      if (opts.token !== undefined) {
        await page.addInitScript(`localStorage.setItem('gearhq.token', ${JSON.stringify(opts.token)})`);
      }
      await opts.beforeLoad?.(page);
      await page.goto(url);
      return { page, problems, external };
    },
  };
}

/** Saves a full-page screenshot as test-artifacts/dashboard/<name>.png. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(ARTIFACTS_DIR, { recursive: true });
  const file = join(ARTIFACTS_DIR, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}
