// Building and running the C load generator (bench/loadgen.c).
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import path from 'node:path';

export interface LoadgenPaths {
  source: string;
  binary: string;
}

export function loadgenPaths(repo: string): LoadgenPaths {
  return { source: path.join(repo, 'bench/loadgen.c'), binary: path.join(repo, 'bench/bin/loadgen') };
}

/** Compiles the generator when the binary is missing or older than its source. */
export function ensureLoadgen(repo: string): string {
  const { source, binary } = loadgenPaths(repo);
  const stale = !existsSync(binary) || statSync(binary).mtimeMs < statSync(source).mtimeMs;
  if (stale) {
    mkdirSync(path.dirname(binary), { recursive: true });
    const args = ['-O2', '-o', binary, source, '-lgearman', '-lpthread'];
    process.stderr.write(`bench: gcc ${args.join(' ')}\n`);
    execFileSync('gcc', args, { cwd: repo, stdio: 'inherit', timeout: 120000 });
  }
  return binary;
}

/** One {"type":"result"} line of the generator, as printed. */
export interface LoadgenResult {
  type: 'result';
  scenario: string;
  fn: string;
  jobs: number;
  ok: number;
  errors: number;
  seconds: number;
  jobs_per_s: number;
  gen_cpu_s: number;
  gen_cpu_share: number;
  server_cpu_s: number | null;
  server_cpu_s_per_100k: number | null;
  other_cpu_s: number | null;
  other_cpu_share: number | null;
  payload: number;
  p50_ms?: number;
  p99_ms?: number;
  max_ms?: number;
  lat_kind?: 'batch' | 'job';
  rss_per_queued_job_b?: number;
  last_error: string | null;
  [key: string]: unknown;
}

export interface LoadgenRun {
  result: LoadgenResult | null;
  exitCode: number | null;
  signal: string | null;
  stderr: string;
  timedOut: boolean;
}

/** Runs the generator once; never rejects (failures come back in the LoadgenRun). */
export function runLoadgen(binary: string, args: string[], timeoutMs: number): Promise<LoadgenRun> {
  return new Promise((resolve) => {
    const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let timedOut = false;
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString('utf8');
    });
    child.stderr.on('data', (c: Buffer) => {
      err = (err + c.toString('utf8')).slice(-8192);
    });
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    const finish = (exitCode: number | null, signal: string | null, extra = '') => {
      clearTimeout(timer);
      let result: LoadgenResult | null = null;
      for (const line of out.split('\n')) {
        if (!line.startsWith('{')) continue;
        try {
          const obj = JSON.parse(line) as LoadgenResult;
          if (obj.type === 'result') result = obj;
        } catch {
          err += `\nunparsable loadgen line: ${line}`;
        }
      }
      resolve({ result, exitCode, signal, stderr: err + extra, timedOut });
    };
    child.on('error', (e) => finish(null, null, `\nspawn error: ${e.message}`));
    child.on('close', (code, signal) => finish(code, signal));
  });
}
