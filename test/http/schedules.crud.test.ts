/**
 * /api/v1/schedules: create (201 with nextRuns), read, change, pause, delete; those made through
 * the API survive restarts; those from the config file can be paused but not edited (409).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { nextEvent, setup } from './http-setup.js';

const nightly = { name: 'nightly-report', cron: '30 2 * * *', timezone: 'Europe/Berlin', function: 'report', payload: '{"kind":"daily"}' };

describe('/api/v1/schedules', () => {
  it('creates a schedule with defaults and its next runs in its time zone', async (t) => {
    const s = await setup(t);
    const r = await s.post('/api/v1/schedules', nightly);
    assert.equal(r.status, 201);
    assert.deepEqual(
      { ...r.body, nextRuns: undefined },
      {
        ...nightly, unique: null, priority: 'normal', enabled: true, missed: 'skip', source: 'api',
        lastRunAt: null, lastJob: null, lastError: null, nextRuns: undefined, recentRuns: [],
      },
    );
    assert.equal(r.body.nextRuns.length, 5);
    const berlin = new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/Berlin', hour: '2-digit', minute: '2-digit' });
    for (const at of r.body.nextRuns) {
      assert.match(at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:00\.000Z$/);
      assert.equal(berlin.format(new Date(at)), '02:30');
    }
    assert.ok(Date.parse(r.body.nextRuns[0]) > Date.now());
    const list = await s.get('/api/v1/schedules');
    assert.deepEqual(list.body.schedules.map((x: { name: string }) => x.name), ['nightly-report']);
    assert.deepEqual((await s.get('/api/v1/schedules/nightly-report')).body, r.body);
  });

  it('refuses a duplicate name with 409 and a bad schedule with 400', async (t) => {
    const s = await setup(t);
    assert.equal((await s.post('/api/v1/schedules', nightly)).status, 201);
    const dup = await s.post('/api/v1/schedules', { ...nightly, cron: '0 * * * *' });
    assert.equal(dup.status, 409);
    assert.deepEqual(dup.body.error, { code: 'CONFLICT', message: 'a schedule named nightly-report exists' });
    const cases: [unknown, RegExp][] = [
      [{ ...nightly, name: 'x', cron: '* * * *' }, /cron must have 5 or 6 fields, got 4/],
      [{ ...nightly, name: 'x', cron: '61 * * * *' }, /schedule x: /],
      [{ ...nightly, name: 'x', missed: 'all' }, /missed must be skip or run-once/],
      [{ ...nightly, name: 'x', every: 'day' }, /unknown field "every"/],
      [{ ...nightly, name: 'bad name' }, /name must be 1-128 letters/],
      [{ name: 'x', cron: '* * * * *' }, /function is required/],
    ];
    for (const [body, message] of cases) {
      const r = await s.post('/api/v1/schedules', body);
      assert.equal(r.status, 400, JSON.stringify(body));
      assert.equal(r.body.error.code, 'BAD_REQUEST');
      assert.match(r.body.error.message, message);
    }
    assert.equal((await s.get('/api/v1/schedules')).body.schedules.length, 1);
  });

  it('changes, pauses, resumes and deletes a schedule; 404 for an unknown one', async (t) => {
    const s = await setup(t);
    await s.post('/api/v1/schedules', nightly);
    const p = await s.request('PATCH', '/api/v1/schedules/nightly-report', { cron: '0 6 * * 1', priority: 'high' });
    assert.equal(p.status, 200);
    assert.equal(p.body.cron, '0 6 * * 1');
    assert.equal(p.body.priority, 'high');
    assert.equal(p.body.payload, nightly.payload, 'other fields kept');
    assert.ok(p.body.nextRuns.every((at: string) => new Date(at).getUTCDay() === 1), 'Mondays');
    const off = await s.request('PATCH', '/api/v1/schedules/nightly-report', { enabled: false });
    assert.equal(off.body.enabled, false);
    assert.deepEqual(off.body.nextRuns, []);
    const on = await s.request('PATCH', '/api/v1/schedules/nightly-report', { enabled: true });
    assert.equal(on.body.nextRuns.length, 5);
    const rename = await s.request('PATCH', '/api/v1/schedules/nightly-report', { name: 'other' });
    assert.equal(rename.status, 400);
    assert.match(rename.body.error.message, /cannot be renamed/);
    const bad = await s.request('PATCH', '/api/v1/schedules/nightly-report', { cron: 'never' });
    assert.equal(bad.status, 400);
    const d = await s.request('DELETE', '/api/v1/schedules/nightly-report');
    assert.equal(d.status, 204);
    assert.equal(d.text, '');
    for (const [method, url] of [['GET', '/api/v1/schedules/nightly-report'], ['DELETE', '/api/v1/schedules/nightly-report'],
      ['PATCH', '/api/v1/schedules/nightly-report']] as const) {
      const r = await s.request(method, url, method === 'PATCH' ? { enabled: false } : undefined);
      assert.equal(r.status, 404, `${method} ${url}`);
      assert.deepEqual(r.body.error, { code: 'SCHEDULE_NOT_FOUND', message: 'no schedule "nightly-report"' });
    }
  });

  it('keeps schedules made through the API, with their changes, across a restart', async (t) => {
    const s = await setup(t);
    await s.post('/api/v1/schedules', nightly);
    await s.post('/api/v1/schedules', { ...nightly, name: 'hourly', cron: '0 * * * *' });
    await s.post('/api/v1/schedules', { ...nightly, name: 'gone', cron: '0 * * * *' });
    await s.request('PATCH', '/api/v1/schedules/hourly', { enabled: false, payload: 'changed' });
    await s.request('DELETE', '/api/v1/schedules/gone');
    await s.restart();
    const list = (await s.get('/api/v1/schedules')).body.schedules;
    assert.deepEqual(list.map((x: { name: string }) => x.name).sort(), ['hourly', 'nightly-report']);
    const hourly = list.find((x: { name: string }) => x.name === 'hourly');
    assert.equal(hourly.enabled, false);
    assert.equal(hourly.payload, 'changed');
    assert.equal(hourly.source, 'api');
  });

  it('fires an ordinary job linked to its schedule', async (t) => {
    const s = await setup(t);
    const fired = nextEvent(s.app, 'job.submitted', 3000);
    const r = await s.post('/api/v1/schedules', { name: 'each-second', cron: '* * * * * *', function: 'tick', payload: 'tock' });
    assert.equal(r.status, 201);
    await fired;
    await s.request('PATCH', '/api/v1/schedules/each-second', { enabled: false });
    const jobs = (await s.get('/api/v1/jobs?function=tick')).body.jobs;
    assert.ok(jobs.length >= 1);
    const job = (await s.get(`/api/v1/jobs/${encodeURIComponent(jobs.at(-1).handle)}`)).body;
    assert.equal(job.payload.text, 'tock');
    assert.match(job.unique, /^schedule:each-second:\d+000$/);
    assert.ok(job.events.some((e: { type: string; detail: string }) => e.type === 'schedule' && e.detail.startsWith('each-second ')));
    const view = (await s.get('/api/v1/schedules/each-second')).body;
    assert.notEqual(view.lastRunAt, null);
    assert.notEqual(view.lastJob, null);
  });

  describe('from the config file', () => {
    const fromConfig = { name: 'cleanup', cron: '0 3 * * *', function: 'cleanup' };

    it('refuses edits and deletion with 409 but pauses and resumes, kept across a restart', async (t) => {
      const s = await setup(t, { config: { schedules: [fromConfig] } });
      const g = await s.get('/api/v1/schedules/cleanup');
      assert.equal(g.body.source, 'config');
      assert.equal(g.body.timezone, 'UTC');
      const edit = await s.request('PATCH', '/api/v1/schedules/cleanup', { cron: '0 4 * * *' });
      assert.equal(edit.status, 409);
      assert.equal(edit.body.error.code, 'CONFLICT');
      assert.match(edit.body.error.message, /comes from the config file/);
      const del = await s.request('DELETE', '/api/v1/schedules/cleanup');
      assert.equal(del.status, 409);
      const dup = await s.post('/api/v1/schedules', { ...fromConfig, cron: '0 5 * * *' });
      assert.equal(dup.status, 409);
      const pause = await s.request('PATCH', '/api/v1/schedules/cleanup', { enabled: false });
      assert.equal(pause.status, 200);
      assert.equal(pause.body.enabled, false);
      assert.equal(pause.body.cron, '0 3 * * *');
      await s.restart();
      const after = await s.get('/api/v1/schedules/cleanup');
      assert.equal(after.body.enabled, false, 'still paused after a restart');
      assert.equal(after.body.source, 'config');
      await s.request('PATCH', '/api/v1/schedules/cleanup', { enabled: true });
      await s.restart();
      assert.equal((await s.get('/api/v1/schedules/cleanup')).body.enabled, true);
    });
  });
});
