/**
 * Whole server, real peers: jobs submitted and worked by php-gearman, the `gearman` CLI and Perl's
 * Gearman::Worker against a gearhq process (SQLite, HTTP API on a real socket), then found again
 * through the REST API by handle, by unique, by function and state, and by text, with their
 * timelines, results and errors — what a user does to find "where did my job go".
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  clientResult, gearman, peerEnv, perlWorker, phpClient, phpWorker, readJobLog, type PeerEnv,
} from '../support/peers.js';
import { freePort, waitForHttp } from '../support/servers.js';

interface Env extends PeerEnv {
  get(path: string): Promise<{ status: number; body: any }>;
}

async function env(t: Parameters<typeof peerEnv>[0]): Promise<Env> {
  const httpPort = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), 'gearhq-peers-http-'));
  const e = await peerEnv(t, 'gearhq', ['--store', 'sqlite', '--data-dir', dataDir, '--durability', 'os',
    '--http-port', String(httpPort)]);
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  const base = `http://127.0.0.1:${httpPort}`;
  await waitForHttp(base);
  return {
    ...e,
    async get(path) {
      const r = await fetch(base + path);
      return { status: r.status, body: await r.json() };
    },
  };
}

/** Polls `path` until `ok(body)` (the journal commits lazily: a few ms after the reply). */
async function until(e: Env, path: string, ok: (body: any) => boolean): Promise<any> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const r = await e.get(path);
    if (r.status === 200 && ok(r.body)) return r.body;
    if (Date.now() > deadline) throw new Error(`${path} never matched; last: ${JSON.stringify(r.body)}`);
    await new Promise((res) => setTimeout(res, 50));
  }
}

test('a PHP background job with a unique is found by handle, by unique and by text, with its worker, result and timeline', async (t) => {
  const e = await env(t);
  const log = join(e.dir, 'worker.log');
  const submitted = await clientResult(phpClient(e, [
    { op: 'bg', method: 'doBackground', fn: 'rev', data: 'invoice-7731 for ACME', unique: 'order-42' },
  ]));
  const handle: string = submitted[0].handle;
  assert.match(handle, /^H:/);
  const worker = phpWorker(e, { count: 1, log, functions: ['rev'], id: 'billing-worker-1' });
  assert.equal((await worker.done).code, 0);

  const job = await until(e, `/api/v1/jobs/${encodeURIComponent(handle)}`, (j) => j.state === 'completed');
  assert.equal(job.function, 'rev');
  assert.equal(job.unique, 'order-42');
  assert.equal(job.background, true);
  assert.equal(job.payload.text, 'invoice-7731 for ACME');
  assert.equal(job.result.text, 'EMCA rof 1377-eciovni', 'the PHP worker reversed the workload');
  assert.equal(job.attempts, 1);
  assert.match(job.worker, /billing-worker-1/, 'the worker is named by its client id');
  assert.equal(readJobLog(log)[0]!.handle, handle, 'the worker ran the job the API shows');
  const types = job.events.map((ev: { type: string }) => ev.type);
  for (const step of ['submitted', 'started', 'completed']) assert.ok(types.includes(step), `${step} in ${types}`);
  assert.ok(Date.parse(job.submittedAt) <= Date.parse(job.startedAt) && Date.parse(job.startedAt) <= Date.parse(job.finishedAt));

  const byUnique = await e.get('/api/v1/jobs?unique=order-42');
  assert.deepEqual(byUnique.body.jobs.map((j: { handle: string }) => j.handle), [handle]);
  const byText = await e.get(`/api/v1/jobs?q=${encodeURIComponent('invoice-7731')}`);
  assert.deepEqual(byText.body.jobs.map((j: { handle: string }) => j.handle), [handle]);
  const byResult = await e.get(`/api/v1/jobs?q=${encodeURIComponent('EMCA rof')}`);
  assert.deepEqual(byResult.body.jobs.map((j: { handle: string }) => j.handle), [handle], 'text search covers results');
});

test('foreground jobs from the gearman CLI worked by Perl are listed by function and state, failures with their state', async (t) => {
  const e = await env(t);
  const log = join(e.dir, 'perl.log');
  const worker = perlWorker(e, { count: 3, log, functions: ['rev', 'fail'] });
  const ok1 = await gearman(e, ['-f', 'rev', 'alpha']);
  const ok2 = await gearman(e, ['-f', 'rev', 'beta']);
  assert.equal(ok1.stdout.toString().trim(), 'ahpla');
  assert.equal(ok2.stdout.toString().trim(), 'ateb');
  await gearman(e, ['-f', 'fail', 'gamma']);
  assert.equal((await worker.done).code, 0);

  const done = await until(e, '/api/v1/jobs?function=rev&state=completed', (b) => b.jobs.length === 2);
  assert.deepEqual(done.jobs.map((j: any) => [j.background, j.payload.text]), [[false, 'beta'], [false, 'alpha']],
    'foreground jobs are on record too, newest first');
  const full = await e.get(`/api/v1/jobs/${encodeURIComponent(done.jobs[0].handle)}`);
  assert.equal(full.body.result.text, 'ateb');
  const failed = await until(e, '/api/v1/jobs?state=failed', (b) => b.jobs.length === 1);
  assert.equal(failed.jobs[0].function, 'fail');
  assert.equal(failed.jobs[0].payload.text, 'gamma');
  const none = await e.get('/api/v1/jobs?function=rev&state=failed');
  assert.deepEqual(none.body.jobs, []);
});

test('a job queued by the gearman CLI with no worker yet is found queued, and an unknown handle is a 404', async (t) => {
  const e = await env(t);
  const r = await gearman(e, ['-f', 'later', '-b', 'wait for me']);
  assert.equal(r.code, 0);
  const listed = await until(e, '/api/v1/jobs?function=later', (b) => b.jobs.length === 1);
  assert.equal(listed.jobs[0].state, 'queued');
  const one = await e.get(`/api/v1/jobs/${encodeURIComponent(listed.jobs[0].handle)}`);
  assert.equal(one.body.state, 'queued');
  assert.equal(one.body.payload.text, 'wait for me');
  const missing = await e.get('/api/v1/jobs/H:nowhere:999');
  assert.equal(missing.status, 404);
  assert.equal(missing.body.error.code, 'JOB_NOT_FOUND');
});
