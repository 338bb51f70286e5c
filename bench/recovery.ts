/**
 * Restart and memory with a big backlog: writes N queued 100-byte background jobs into a SQLite
 * store, starts gearhq on it and times how long until it answers and until every job is back;
 * then reports peak RSS with the same backlog for gearhq (sqlite and memory) and gearmand -t 1
 * (submitted through the load generator). Run: `npx tsc -p . && node dist/bench/recovery.js [N]`.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SqliteStore } from '../src/store/sqlite/sqlite-store.js';
import { emptyDelta, type JobDelta } from '../src/store/store.js';

const ROOT = join(fileURLToPath(import.meta.url), '..', '..', '..');
const MAIN = join(ROOT, 'dist/src/cli/main.js');
const LOADGEN = join(ROOT, 'bench/bin/loadgen');
const N = Number(process.argv[2] ?? 1_000_000);

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
}

function admin(port: number, line: string): Promise<string | null> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    let text = '';
    const timer = setTimeout(() => { s.destroy(); resolve(null); }, 2000);
    s.on('error', () => { clearTimeout(timer); resolve(null); });
    s.on('connect', () => s.write(`${line}\r\n`));
    s.on('data', (d) => {
      text += d.toString('latin1');
      if (line !== 'status' || /(^|\n)\.\n$/.test(text)) { clearTimeout(timer); s.destroy(); resolve(text); }
    });
  });
}

function rssMiB(pid: number): { rss: number; hwm: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (k: string) => Number(new RegExp(`${k}:\\s+(\\d+)`).exec(status)![1]) / 1024;
  return { rss: Math.round(kib('VmRSS')), hwm: Math.round(kib('VmHWM')) };
}

async function waitFor(cond: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

function totalQueued(status: string | null): number {
  if (status === null) return -1;
  return status.split('\n').filter((l) => l.includes('\t')).reduce((n, l) => n + Number(l.split('\t')[1]), 0);
}

async function fillStore(dir: string): Promise<number> {
  const store = new SqliteStore({ dataDir: dir, durability: 'os' });
  await store.open();
  const t0 = Date.now();
  const payload = Buffer.alloc(100, 120);
  for (let start = 1; start <= N; start += 10000) {
    const deltas: JobDelta[] = [];
    for (let id = start; id < Math.min(start + 10000, N + 1); id++) {
      deltas.push({
        ...emptyDelta(id),
        insert: {
          id, handle: `H:bench:${id}`, fn: `fn${id % 10}`, unique: `u-${id}`, priority: (id % 3) as 0 | 1 | 2,
          background: true, reducer: '', payload, payloadSize: 100, submittedAt: Date.now(), dueAt: 0, submitter: '',
        },
        state: 'queued',
      });
    }
    await store.commit({ deltas, events: [], sync: false, nextHandle: start + deltas.length });
  }
  await store.close();
  return Date.now() - t0;
}

async function startGearhq(args: string[]): Promise<{ child: ChildProcess; port: number; startedAt: number }> {
  const port = await freePort();
  const startedAt = Date.now();
  const child = spawn(process.execPath, [MAIN, 'serve', '-p', String(port), '-L', '127.0.0.1', '--http-port', '0',
    '--verbose', 'ERROR', ...args], { stdio: 'ignore' });
  return { child, port, startedAt };
}

async function stop(child: ChildProcess): Promise<void> {
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGINT');
  await exited;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'gearhq-recovery-'));
  try {
    const fillMs = await fillStore(dir);
    console.log(`wrote ${N} queued jobs into ${dir} in ${fillMs} ms`);
    const { child, port, startedAt } = await startGearhq(['--data-dir', dir]);
    await waitFor(async () => (await admin(port, 'version')) !== null, 120000);
    const readyMs = Date.now() - startedAt;
    const total = totalQueued(await admin(port, 'status'));
    const sqliteMem = rssMiB(child.pid!);
    await stop(child);
    console.log(`gearhq (sqlite): answering ${readyMs} ms after start with ${total} jobs queued; RSS ${sqliteMem.rss} MiB, peak ${sqliteMem.hwm} MiB`);

    const rows: string[] = [`| gearhq sqlite, restart with ${N} queued | ready in ${readyMs} ms | ${sqliteMem.hwm} MiB |`];
    for (const server of (process.env.RECOVERY_ONLY ? [] : ['gearhq-memory', 'gearmand'] as const)) {
      const port = await freePort();
      const child = server === 'gearmand'
        ? spawn('/usr/sbin/gearmand', ['-t', '1', '-p', String(port), '-L', '127.0.0.1', '--log-file', 'stderr', '--verbose', 'ERROR'], { stdio: 'ignore' })
        : spawn(process.execPath, [MAIN, 'serve', '-p', String(port), '-L', '127.0.0.1', '--http-port', '0', '--store', 'memory', '--verbose', 'ERROR'], { stdio: 'ignore' });
      await waitFor(async () => (await admin(port, 'version')) !== null, 10000);
      execFileSync(LOADGEN, ['--scenario', 'bg-submit', '--port', String(port), '--jobs', String(N), '--payload', '100'], { stdio: 'ignore', timeout: 600000 });
      const total = totalQueued(await admin(port, 'status'));
      const mem = rssMiB(child.pid!);
      await stop(child);
      console.log(`${server}: ${total} jobs queued through the protocol; RSS ${mem.rss} MiB, peak ${mem.hwm} MiB`);
      rows.push(`| ${server}, ${N} queued through the protocol | — | ${mem.hwm} MiB |`);
    }
    const md = ['| server | restart | peak RSS |', '| --- | ---: | ---: |', ...rows].join('\n');
    writeFileSync(join(ROOT, 'bench', 'RECOVERY.md'),
      `# Restart and memory with ${N} queued 100-byte jobs\n\nMeasured ${new Date().toISOString()} by \`node dist/bench/recovery.js ${N}\`.\n\n${md}\n`);
    console.log(md);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
