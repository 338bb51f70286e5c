/**
 * Due-time dispatch at a steady rate: N jobs due evenly over one second (10k/s by default),
 * submitted ahead through the HTTP API with millisecond `runAt`, handed to W sleeping raw workers
 * (PRE_SLEEP/NOOP, one job at a time, like libgearman). Lateness = when a worker got JOB_ASSIGN
 * minus the job's due time. Run: `npx tsc -p . && node dist/bench/wakeup.js [N] [W]`.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(fileURLToPath(import.meta.url), '..', '..', '..');
const N = Number(process.argv[2] ?? 10_000);
const W = Number(process.argv[3] ?? 8);
const FN = 'steady';

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
}

function packet(type: number, args: string[]): Buffer {
  const body = Buffer.from(args.join('\0'), 'latin1');
  const h = Buffer.alloc(12);
  h.writeUInt32BE(0x00524551, 0);
  h.writeUInt32BE(type, 4);
  h.writeUInt32BE(body.length, 8);
  return Buffer.concat([h, body]);
}

const CAN_DO = 1, PRE_SLEEP = 4, NOOP = 6, GRAB_JOB = 9, NO_JOB = 10, JOB_ASSIGN = 11, WORK_COMPLETE = 13;

async function worker(port: number, onAssign: (handle: string, at: number) => void): Promise<Socket> {
  const s = connect(port, '127.0.0.1');
  s.setNoDelay(true);
  await new Promise<void>((r) => s.once('connect', () => r()));
  let buf: Buffer = Buffer.alloc(0);
  s.on('data', (d: Buffer) => {
    buf = buf.length ? Buffer.concat([buf, d]) : d;
    let at = 0;
    while (buf.length - at >= 12) {
      const type = buf.readUInt32BE(at + 4);
      const len = buf.readUInt32BE(at + 8);
      if (buf.length - at < 12 + len) break;
      const body = buf.subarray(at + 12, at + 12 + len);
      at += 12 + len;
      if (type === NOOP) s.write(packet(GRAB_JOB, []));
      else if (type === NO_JOB) s.write(packet(PRE_SLEEP, []));
      else if (type === JOB_ASSIGN) {
        const handle = body.subarray(0, body.indexOf(0)).toString('latin1');
        onAssign(handle, Date.now());
        s.write(Buffer.concat([packet(WORK_COMPLETE, [handle, '']), packet(GRAB_JOB, [])]));
      }
    }
    buf = buf.subarray(at);
  });
  s.write(Buffer.concat([packet(CAN_DO, [FN]), packet(GRAB_JOB, [])]));
  return s;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'gearhq-wakeup-'));
  const port = await freePort();
  const httpPort = await freePort();
  const child = spawn(process.execPath, [join(ROOT, 'dist/src/cli/main.js'), 'serve', '-p', String(port), '-L', '127.0.0.1',
    '--http-port', String(httpPort), '--data-dir', dir, '--verbose', 'ERROR'], { stdio: 'ignore' });
  try {
    for (let i = 0; ; i++) {
      try {
        if ((await fetch(`http://127.0.0.1:${httpPort}/healthz`)).ok) break;
      } catch { /* not up yet */ }
      if (i > 100) throw new Error('server did not start');
      await new Promise((r) => setTimeout(r, 100));
    }
    const dueOf = new Map<string, number>();
    const lateness: number[] = [];
    let done: () => void;
    const all = new Promise<void>((r) => { done = r; });
    const sockets: Socket[] = [];
    for (let i = 0; i < W; i++) {
      sockets.push(await worker(port, (handle, at) => {
        const due = dueOf.get(handle);
        if (due !== undefined) lateness.push(at - due);
        if (lateness.length === N) done();
      }));
    }
    const start = Date.now() + 8000;
    let next = 0;
    const submitOne = async (): Promise<void> => {
      while (next < N) {
        const i = next++;
        const due = start + Math.floor((i * 1000) / N);
        const res = await fetch(`http://127.0.0.1:${httpPort}/api/v1/jobs`, {
          method: 'POST', headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ function: FN, payload: `j${i}`, runAt: new Date(due).toISOString() }),
        });
        const job = await res.json() as { handle: string };
        dueOf.set(job.handle, due);
      }
    };
    await Promise.all(Array.from({ length: 32 }, submitOne));
    const ahead = start - Date.now();
    if (ahead < 500) throw new Error(`submitting took too long (${ahead} ms before the first due time)`);
    await Promise.race([all, new Promise((_, rej) => setTimeout(() => rej(new Error(`only ${lateness.length} of ${N} ran`)), ahead + 20000))]);
    lateness.sort((a, b) => a - b);
    const p = (q: number) => lateness[Math.min(N - 1, Math.floor(q * N))];
    console.log(`${N} jobs due evenly over 1 s (${N}/s), ${W} sleeping workers: lateness p50 ${p(0.5)} ms, ` +
      `p99 ${p(0.99)} ms, max ${lateness[N - 1]} ms, earliest ${lateness[0]} ms`);
    for (const s of sockets) s.destroy();
  } finally {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
