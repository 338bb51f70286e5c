/**
 * Lookup latency with a big history: writes N finished and active jobs through the SQLite store
 * (as the server would), then times lookups by handle, by unique, a filtered list page, a deep
 * page, and a text search window. Prints p50/p99 per query and writes bench/SEARCH.md.
 * Run: `npx tsc -p . && node dist/bench/search.js [N]` (default 1,000,000).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SqliteStore } from '../src/store/sqlite/sqlite-store.js';
import { HISTORY_FUNCTIONS as FUNCTIONS, writeHistory } from './job-history.js';

const ROOT = join(fileURLToPath(import.meta.url), '..', '..', '..');
const N = Number(process.argv[2] ?? 1_000_000);

async function time(label: string, runs: number, fn: (i: number) => Promise<unknown>): Promise<string> {
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = process.hrtime.bigint();
    await fn(i);
    samples.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  samples.sort((a, b) => a - b);
  const p = (q: number) => samples[Math.min(samples.length - 1, Math.floor(q * samples.length))]!.toFixed(3);
  const row = `| ${label} | ${runs} | ${p(0.5)} | ${p(0.99)} |`;
  console.log(row);
  return row;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'gearhq-search-'));
  try {
    const store = new SqliteStore({ dataDir: dir, durability: 'os' });
    await store.open();
    const ms = writeHistory(store, N, Date.now());
    console.log(`wrote ${N} jobs in ${ms} ms`);
    const rand = (i: number) => 1 + ((i * 2654435761) % N);
    const rows = ['| query | runs | p50 ms | p99 ms |', '| --- | ---: | ---: | ---: |'];
    rows.push(await time('find by handle', 2000, (i) => store.findJob(`H:bench:${rand(i)}`)));
    rows.push(await time('find by unique', 2000, (i) => store.findByUnique(`order-${rand(i)}`, 10)));
    rows.push(await time('list: function + state, first page of 50', 300,
      (i) => store.listJobs({ fn: `fn${i % FUNCTIONS}`, state: 'failed', limit: 50 })));
    rows.push(await time('list: newest 50', 300, () => store.listJobs({ limit: 50 })));
    rows.push(await time('list: function, a page deep in history (cursor)', 300,
      (i) => store.listJobs({ fn: `fn${i % FUNCTIONS}`, limit: 50, cursor: rand(i).toString(36) })));
    rows.push(await time('text search: one 100k-id window', 20,
      (i) => store.listJobs({ text: Buffer.from(`c${i * 37 % 5000}"`), minId: Math.max(1, N - 100_000), limit: 50 })));
    await store.close();
    writeFileSync(join(ROOT, 'bench', 'SEARCH.md'), `# Lookup latency with ${N} jobs in the SQLite store\n\n` +
      `Measured ${new Date().toISOString()} by \`node dist/bench/search.js ${N}\` (store called directly, no HTTP).\n\n` +
      `${rows.join('\n')}\n`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
