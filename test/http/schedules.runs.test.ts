/**
 * /api/v1/schedules: each schedule's recent runs with their outcome (the state of the job each
 * tick submitted, followed live and from the store), kept across a restart for the last tick, and
 * `?dryRun=true` on create and change — checked as for real, previewed, nothing saved.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { nextEvent, setup, worker, type HttpSetup } from './http-setup.js';

const eachSecond = { name: 'each-second', cron: '* * * * * *', function: 'tick', payload: 'tock' };

/** Polls GET /api/v1/schedules/<name> until `ok` holds (the scheduler fires on its own clock). */
async function scheduleWhen(s: HttpSetup, name: string, ok: (v: any) => boolean, timeoutMs = 5000): Promise<any> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = (await s.get(`/api/v1/schedules/${name}`)).body;
    if (ok(v)) return v;
    if (Date.now() > deadline) throw new Error(`schedule ${name} never matched: ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('/api/v1/schedules recent runs', () => {
  it('lists each run newest first with its job and that job\'s state as it changes', async (t) => {
    const s = await setup(t);
    const fired = nextEvent(s.app, 'job.submitted', 3000);
    await s.post('/api/v1/schedules', eachSecond);
    await fired;
    await s.request('PATCH', '/api/v1/schedules/each-second', { enabled: false });
    const v = await scheduleWhen(s, 'each-second', (x) => x.recentRuns.length >= 1);
    const run = v.recentRuns[0];
    assert.deepEqual(Object.keys(run).sort(), ['at', 'error', 'handle', 'state']);
    assert.equal(run.at, v.lastRunAt);
    assert.equal(run.handle, v.lastJob);
    assert.equal(run.state, 'queued', 'no worker yet');
    assert.equal(run.error, null);
    for (let i = 1; i < v.recentRuns.length; i++) assert.ok(v.recentRuns[i - 1].at > v.recentRuns[i].at, 'newest first');
    // The run's job is an ordinary job that the jobs API finds by the same handle.
    assert.equal((await s.get(`/api/v1/jobs/${encodeURIComponent(run.handle)}`)).body.function, 'tick');

    const w = await worker(s, 'tick');
    for (const _ of v.recentRuns) {
      const job = await w.grab();
      if (job.handle === run.handle) {
        const running = (await s.get('/api/v1/schedules/each-second')).body.recentRuns[0];
        assert.equal(running.state, 'running');
        await w.fail(job.handle);
      } else {
        await w.complete(job.handle, 'ok');
      }
    }
    const after = (await s.get('/api/v1/schedules')).body.schedules[0].recentRuns;
    assert.equal(after[0].handle, run.handle);
    assert.equal(after[0].state, 'failed', 'a finished job\'s state comes from the store');
    assert.ok(after.slice(1).every((r: { state: string }) => r.state === 'completed'));
  });

  it('after a restart, still shows the last run and its outcome', async (t) => {
    const s = await setup(t);
    const fired = nextEvent(s.app, 'job.submitted', 3000);
    await s.post('/api/v1/schedules', eachSecond);
    await fired;
    await s.request('PATCH', '/api/v1/schedules/each-second', { enabled: false });
    const before = await scheduleWhen(s, 'each-second', (x) => x.recentRuns.length >= 1);
    await s.restart();
    const after = (await s.get('/api/v1/schedules/each-second')).body;
    assert.equal(after.lastRunAt, before.lastRunAt);
    assert.deepEqual(after.recentRuns, [{ at: before.lastRunAt, handle: before.recentRuns[0].handle, state: 'queued', error: null }]);
  });
});

describe('/api/v1/schedules?dryRun=true', () => {
  const weekly = { name: 'weekly', cron: '0 9 * * 1', timezone: 'UTC', function: 'report' };

  it('previews a new schedule without saving it, and refuses what the real call would', async (t) => {
    const s = await setup(t);
    const r = await s.post('/api/v1/schedules?dryRun=true', weekly);
    assert.equal(r.status, 200);
    assert.equal(r.body.name, 'weekly');
    assert.equal(r.body.source, 'api');
    assert.deepEqual(r.body.recentRuns, []);
    assert.equal(r.body.nextRuns.length, 5);
    assert.ok(r.body.nextRuns.every((at: string) => new Date(at).getUTCDay() === 1 && at.endsWith('T09:00:00.000Z')));
    assert.deepEqual((await s.get('/api/v1/schedules')).body.schedules, [], 'nothing saved');
    assert.equal((await s.get('/api/v1/schedules/weekly')).status, 404);

    const bad = await s.post('/api/v1/schedules?dryRun=true', { ...weekly, cron: '0 9 * *' });
    assert.equal(bad.status, 400);
    assert.match(bad.body.error.message, /cron must have 5 or 6 fields, got 4/);
    await s.post('/api/v1/schedules', weekly);
    const dup = await s.post('/api/v1/schedules?dryRun=true', weekly);
    assert.equal(dup.status, 409);
    const odd = await s.post('/api/v1/schedules?dryRun=yes', { ...weekly, name: 'other' });
    assert.equal(odd.status, 400);
    assert.match(odd.body.error.message, /dryRun/);
  });

  it('previews a change without making it', async (t) => {
    const s = await setup(t);
    await s.post('/api/v1/schedules', weekly);
    const r = await s.request('PATCH', '/api/v1/schedules/weekly?dryRun=true', { cron: '0 9 * * 5' });
    assert.equal(r.status, 200);
    assert.equal(r.body.cron, '0 9 * * 5');
    assert.ok(r.body.nextRuns.every((at: string) => new Date(at).getUTCDay() === 5), 'Fridays');
    const kept = (await s.get('/api/v1/schedules/weekly')).body;
    assert.equal(kept.cron, '0 9 * * 1');
    assert.ok(kept.nextRuns.every((at: string) => new Date(at).getUTCDay() === 1), 'still Mondays');
    const paused = await s.request('PATCH', '/api/v1/schedules/weekly?dryRun=true', { enabled: false });
    assert.deepEqual(paused.body.nextRuns, []);
    assert.equal((await s.get('/api/v1/schedules/weekly')).body.enabled, true);
    await s.restart();
    assert.equal((await s.get('/api/v1/schedules/weekly')).body.cron, '0 9 * * 1', 'not stored either');
  });
});
