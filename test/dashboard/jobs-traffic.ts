/**
 * Real Gearman traffic for the jobs and job pages' tests: background jobs submitted with the
 * gearman CLI, run by the PHP and Perl peer workers (test/peers/scripts), and the API to see
 * where each job ended up.
 */
import type { TestContext } from 'node:test';
import { join } from 'node:path';
import { assertSucceeded, gearman, perlWorker, phpWorker, waitFor, type Peer, type PeerEnv } from '../support/peers.js';
import { peersFor, type DashboardEnv } from './dashboard-setup.js';

export interface Traffic {
  peers: PeerEnv;
  /** Submits one background job with the gearman CLI; answers its handle. */
  submit(fn: string, payload: string, unique?: string): Promise<string>;
  /** Submits one background job per line of `payloads` in a single gearman run. */
  submitMany(fn: string, payloads: string[]): Promise<void>;
  php(functions: string[], count: number): Peer;
  perl(functions: string[], count: number): Peer;
  /** GET /api/v1/jobs/{handle} */
  job(handle: string): Promise<any>;
  /** Waits until the job is in `state`; answers the job. */
  waitForState(handle: string, state: string, timeoutMs?: number): Promise<any>;
  /** Every job of a function, newest first (through the API's listing). */
  jobsOf(fn: string): Promise<any[]>;
}

export function traffic(t: TestContext, env: DashboardEnv): Traffic {
  const peers = peersFor(t, env);
  const dir = peers.dir;
  const api = async (path: string) => {
    const r = await env.api('GET', path);
    if (r.status !== 200) throw new Error(`GET ${path}: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body;
  };
  let workers = 0;
  const self: Traffic = {
    peers,
    async submit(fn, payload, unique) {
      // gearman -b prints nothing useful; the handle is the newest job of the function.
      const before = new Set((await self.jobsOf(fn)).map((j) => j.handle));
      assertSucceeded(await gearman(peers, ['-f', fn, ...(unique ? ['-u', unique] : []), '-b', payload]));
      return waitFor(`a new ${fn} job`, async () => (await self.jobsOf(fn)).find((j) => !before.has(j.handle))?.handle);
    },
    async submitMany(fn, payloads) {
      assertSucceeded(await gearman(peers, ['-f', fn, '-b', '-N'], { input: `${payloads.join('\n')}\n` }));
    },
    php: (functions, count) => phpWorker(peers, { count, functions, log: join(dir, `php-${++workers}.log`) }),
    perl: (functions, count) => perlWorker(peers, { count, functions, log: join(dir, `perl-${++workers}.log`) }),
    job: (handle) => api(`/api/v1/jobs/${encodeURIComponent(handle)}`),
    waitForState: (handle, state, timeoutMs = 10_000) => waitFor(`${handle} ${state}`, async () => {
      const j = await self.job(handle);
      return j.state === state ? j : undefined;
    }, timeoutMs),
    async jobsOf(fn) {
      return (await api(`/api/v1/jobs?function=${encodeURIComponent(fn)}&limit=1000`)).jobs;
    },
  };
  return self;
}
