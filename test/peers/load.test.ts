/**
 * Load with real peers, against gearhq and gearmand: 50 concurrent client processes × 20 jobs served
 * by PHP and Perl workers together, and 1000 queued background jobs drained by 4 workers with
 * nothing lost and nothing run twice.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import {
  SERVER_KINDS, peerEnv, phpClient, phpWorker, perlClient, perlWorker, clientResult, readJobLog,
  releaseHeldJobs, waitForLoggedJobs, waitForStatus, waitForWorkers, b64, type Peer,
} from '../support/peers.js';

const CLIENTS = 50;
const JOBS_PER_CLIENT = 20;
const BACKGROUND_JOBS = 1000;
const reverse = (s: string): string => [...s].reverse().join('');

for (const kind of SERVER_KINDS) {
  describe(`load with peers against ${kind}`, () => {
    test(`${CLIENTS} concurrent clients × ${JOBS_PER_CLIENT} jobs all get their own correct result`, { timeout: 60000 }, async (t) => {
      const env = await peerEnv(t, kind);
      const log = join(env.dir, 'jobs');
      for (let i = 0; i < 2; i++) phpWorker(env, { count: 0, log, functions: ['rev'], timeoutMs: 60000 });
      for (let i = 0; i < 2; i++) perlWorker(env, { count: 0, log, functions: ['rev'], timeoutMs: 60000 });
      await waitForWorkers(env.server, 'rev', 4);
      const salt = randomBytes(4).toString('hex');
      const payload = (c: number, j: number): string => `client${c}-job${j}-${salt}`;
      // Three kinds of client: PHP doNormal one job at a time, PHP addTask batches (all 20 jobs in
      // flight on one connection), Perl do_task one at a time.
      const clients: { c: number; style: string; peer: Peer }[] = [];
      for (let c = 0; c < CLIENTS; c++) {
        const jobs = Array.from({ length: JOBS_PER_CLIENT }, (_, j) => payload(c, j));
        const style = ['php-do', 'php-tasks', 'perl-do'][c % 3]!;
        const peer = style === 'php-do'
          ? phpClient(env, jobs.map((data) => ({ op: 'do', method: 'doNormal', fn: 'rev', data })), { timeoutMs: 50000 })
          : style === 'php-tasks'
            ? phpClient(env, [{ op: 'tasks', tasks: jobs.map((data) => ({ method: 'addTask', fn: 'rev', data })) }], { timeoutMs: 50000 })
            : perlClient(env, jobs.map((data) => ({ op: 'do', fn: 'rev', data })), { timeoutMs: 50000 });
        clients.push({ c, style, peer });
      }
      for (const { c, style, peer } of clients) {
        const res = await clientResult(peer);
        const expected = Array.from({ length: JOBS_PER_CLIENT }, (_, j) => reverse(payload(c, j)));
        let got: string[];
        if (style === 'php-tasks') {
          const events = res[0].events as [number, string, string][];
          const complete = events.filter((e) => e[1] === 'complete');
          assert.equal(complete.length, JOBS_PER_CLIENT, `client ${c}: ${JSON.stringify(events.filter((e) => e[1] !== 'complete' && e[1] !== 'created'))}`);
          got = [];
          for (const [task, , data] of complete) got[task] = b64(data);
        } else {
          got = res.map((r: { result: string }) => b64(r.result));
        }
        assert.deepEqual(got, expected, `client ${c} (${style})`);
      }
      const runs = readJobLog(log);
      assert.equal(runs.length, CLIENTS * JOBS_PER_CLIENT, 'each job ran exactly once');
      assert.equal(new Set(runs.map((r) => r.handle)).size, CLIENTS * JOBS_PER_CLIENT, 'no handle ran twice');
      const byWorker = new Set(runs.map((r) => r.pid));
      assert.ok(byWorker.size >= 2, `the work was shared (workers used: ${byWorker.size})`);
      await waitForStatus(env.server, 'rev', (s) => s.total === 0 && s.running === 0, 'nothing left');
    });

    test(`${BACKGROUND_JOBS} queued background jobs are drained by 4 workers, none lost or doubled`, { timeout: 60000 }, async (t) => {
      const env = await peerEnv(t, kind);
      const ids = Array.from({ length: BACKGROUND_JOBS }, (_, i) => `bg-${i}`);
      const [submitted] = await clientResult(phpClient(env, [{ op: 'tasks', tasks: ids.map((id, i) => ({
        method: ['addTaskBackground', 'addTaskHighBackground', 'addTaskLowBackground'][i % 3], fn: 'hold', data: id, unique: id,
      })) }], { timeoutMs: 30000 }));
      const created = (submitted.events as [number, string, string][]).filter((e) => e[1] === 'created');
      assert.equal(created.length, BACKGROUND_JOBS);
      const handles = new Set(created.map((e) => e[2]));
      assert.equal(handles.size, BACKGROUND_JOBS, 'distinct handles');
      await waitForStatus(env.server, 'hold', (s) => s.total === BACKGROUND_JOBS && s.running === 0, 'all jobs queued');
      // `hold` makes each worker's first job wait for the release file: once four jobs are running,
      // every worker is known to be connected and working, and the release lets them race.
      const log = join(env.dir, 'jobs');
      const workers = [phpWorker, phpWorker, perlWorker, perlWorker]
        .map((start) => start(env, { count: 0, log, functions: ['hold'], timeoutMs: 60000 }));
      const first = await waitForLoggedJobs(log, 4);
      assert.deepEqual(new Set(first.map((r) => r.pid)), new Set(workers.map((w) => w.pid)));
      await waitForStatus(env.server, 'hold', (s) => s.running === 4, 'four jobs running');
      releaseHeldJobs(log);
      await waitForStatus(env.server, 'hold', (s) => s.total === 0, 'the queue drained', 45000);
      await env.peers.killAll();
      const runs = readJobLog(log);
      const seen = runs.map((r) => r.data?.toString() ?? '');
      const doubled = seen.filter((id, i) => seen.indexOf(id) !== i);
      assert.deepEqual(doubled, [], 'jobs run twice');
      assert.deepEqual([...seen].sort(), [...ids].sort(), 'exactly the submitted jobs ran');
      for (const r of runs) {
        assert.ok(handles.has(r.handle), `unknown handle ${r.handle}`);
        if (r.unique !== undefined) assert.equal(r.unique, r.data?.toString(), 'the unique travels with the job');
      }
      assert.equal(new Set(runs.map((r) => r.handle)).size, BACKGROUND_JOBS, 'no handle ran twice');
      assert.equal(new Set(runs.map((r) => r.pid)).size, 4, 'all four workers took part');
    });
  });
}
