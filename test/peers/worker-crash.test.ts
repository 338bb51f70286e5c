/**
 * Peers killed with SIGKILL. A worker killed while it holds a job: the server must notice the closed
 * connection, put the job back on its queue and give it to the next worker, and the client — which
 * is told nothing in between — must still get the result. Checked with a libgearman (PHP) worker
 * and client for a foreground job and with the Perl worker (GRAB_JOB) for a background job.
 * A foreground client killed while its job waits: nobody wants the result, so it must never run.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import {
  SERVER_KINDS, peerEnv, phpClient, phpWorker, perlClient, perlWorker, clientResult, readJobLog,
  releaseHeldJobs, waitForLoggedJobs, waitForStatus, describeResult, waitFor, adminCommand,
} from '../support/peers.js';

for (const kind of SERVER_KINDS) {
  describe(`peers killed mid-job, against ${kind}`, () => {
    test('a foreground job held by a killed PHP worker is rerun by another and the client gets the result', { timeout: 20000 }, async (t) => {
      const env = await peerEnv(t, kind);
      const log = join(env.dir, 'jobs');
      const doomed = phpWorker(env, { count: 1, log, functions: ['hold'] });
      const client = phpClient(env, [{ op: 'tasks', tasks: [{ method: 'addTask', fn: 'hold', data: 'precious' }] }]);
      const [first] = await waitForLoggedJobs(log, 1);
      assert.equal(first!.pid, doomed.pid);
      doomed.kill('SIGKILL');
      const gone = await doomed.done;
      assert.equal(gone.signal, 'SIGKILL', describeResult(gone));
      await waitForStatus(env.server, 'hold', (s) => s.total === 1 && s.running === 0 && s.workers === 0,
        'the job back on the queue, not running, no worker');
      releaseHeldJobs(log);
      const rescuer = phpWorker(env, { count: 1, log, functions: ['hold'] });
      const [result] = await clientResult(client);
      const events = result.events as unknown[][];
      assert.deepEqual(events.map((e) => e[1]), ['created', 'status', 'status', 'complete'],
        'the client saw the first attempt\'s status, the second attempt\'s status and the result');
      assert.equal(Buffer.from(events.at(-1)![2] as string, 'base64').toString(), 'held:precious');
      assert.equal((await rescuer.done).code, 0);
      const runs = readJobLog(log);
      assert.deepEqual(runs.map((r) => r.pid), [doomed.pid, rescuer.pid]);
      assert.equal(runs[1]!.handle, runs[0]!.handle, 'the same job, not a new one');
      assert.equal(runs[1]!.unique, runs[0]!.unique);
      assert.equal(runs[1]!.data?.toString(), 'precious');
      await waitForStatus(env.server, 'hold', (s) => s.total === 0, 'nothing left');
    });

    test('a background job held by a killed Perl worker is finished by the next one', { timeout: 20000 }, async (t) => {
      const env = await peerEnv(t, kind);
      const log = join(env.dir, 'jobs');
      const [{ handle }] = await clientResult(perlClient(env, [{ op: 'bg', fn: 'hold', data: 'bg-precious' }]));
      const doomed = perlWorker(env, { count: 1, log, functions: ['hold'] });
      await waitForLoggedJobs(log, 1);
      const [running] = await clientResult(perlClient(env, [{ op: 'status', handle }]));
      assert.deepEqual(running, { known: 1, running: 1, numerator: '1', denominator: '2' });
      doomed.kill('SIGKILL');
      await doomed.done;
      // Requeued: known, not running, and the progress of the lost attempt is forgotten.
      await waitForStatus(env.server, 'hold', (s) => s.total === 1 && s.running === 0, 'the job requeued');
      const [requeued] = await clientResult(perlClient(env, [{ op: 'status', handle }]));
      assert.deepEqual(requeued, { known: 1, running: 0, numerator: '0', denominator: '0' });
      releaseHeldJobs(log);
      const rescuer = perlWorker(env, { count: 1, log, functions: ['hold'] });
      await waitForStatus(env.server, 'hold', (s) => s.total === 0, 'the job finished');
      const runs = readJobLog(log);
      assert.deepEqual(runs.map((r) => r.pid), [doomed.pid, rescuer.pid]);
      assert.deepEqual(runs.map((r) => r.handle), [handle.split('//')[1], handle.split('//')[1]]);
      const [done] = await clientResult(perlClient(env, [{ op: 'status', handle }]));
      assert.equal(done.known, 0);
    });

    test('a client killed while its job waits: no worker ever runs that job', { timeout: 20000 }, async (t) => {
      const env = await peerEnv(t, kind);
      const client = phpClient(env, [{ op: 'do', method: 'doNormal', fn: 'echo', data: 'abandoned' }]);
      await waitForStatus(env.server, 'echo', (s) => s.total === 1, 'the job queued');
      client.kill('SIGKILL');
      await client.done;
      // gearmand 1.1.20 keeps the abandoned job, flagged ignored, until a worker polls; Gearman HQ
      // drops it at once (PROTOCOL.md, "Gearman HQ's choices").
      if (kind === 'gearmand') {
        await waitFor('show jobs to flag the job ignored', async () =>
          (/^\S+\t\d+\t1\t[01]$/m.test(await adminCommand(env.server, 'show jobs')) ? true : undefined));
      } else {
        await waitForStatus(env.server, 'echo', (s) => s.total === 0, 'the abandoned job dropped');
      }
      const log = join(env.dir, 'jobs');
      phpWorker(env, { count: 0, log, functions: ['echo'] });
      const [sentinel] = await clientResult(phpClient(env, [{ op: 'do', method: 'doNormal', fn: 'echo', data: 'sentinel' }]));
      assert.equal(Buffer.from(sentinel.result, 'base64').toString(), 'sentinel');
      assert.deepEqual(readJobLog(log).map((j) => j.data?.toString()), ['sentinel']);
      await waitForStatus(env.server, 'echo', (s) => s.total === 0, 'nothing left');
    });
  });
}
