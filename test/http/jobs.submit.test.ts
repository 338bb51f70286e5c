/**
 * POST /api/v1/jobs: payload forms, unique, priority, due times (runAt, delayMs), and refusals
 * (bad fields → 400 BAD_REQUEST, long function names → 400 FUNCTION_TOO_LARGE, maxqueue → 429).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setup } from './http-setup.js';

describe('POST /api/v1/jobs', () => {
  it('answers 201 with the stored background job, payload as text', async (t) => {
    const s = await setup(t);
    const r = await s.post('/api/v1/jobs', { function: 'email', payload: 'hello' });
    assert.equal(r.status, 201);
    assert.match(r.body.handle, /^H:test:\d+$/);
    assert.equal(r.body.function, 'email');
    assert.equal(r.body.state, 'queued');
    assert.equal(r.body.background, true);
    assert.equal(r.body.priority, 'normal');
    assert.equal(r.body.unique, '');
    assert.equal(r.body.dueAt, null);
    assert.deepEqual(r.body.payload, { size: 5, text: 'hello', truncated: false });
    assert.ok(Math.abs(Date.parse(r.body.submittedAt) - Date.now()) < 5000);
    assert.equal(r.body.events[0].type, 'submitted');
    assert.equal(s.app.engine.functions.get('email')!.queued[1], 1);
  });

  it('takes bytes as payloadBase64 and shows non-UTF-8 bytes as base64', async (t) => {
    const s = await setup(t);
    const bytes = Buffer.from([0, 0xff, 0xfe, 10]);
    const r = await s.post('/api/v1/jobs', { function: 'bin', payloadBase64: bytes.toString('base64') });
    assert.equal(r.status, 201);
    assert.deepEqual(r.body.payload, { size: 4, base64: bytes.toString('base64'), truncated: false });
    const utf8 = await s.post('/api/v1/jobs', { function: 'bin', payloadBase64: Buffer.from('grüß').toString('base64') });
    assert.deepEqual(utf8.body.payload, { size: 6, text: 'grüß', truncated: false });
  });

  it('cuts a long payload to the preview size and says so', async (t) => {
    const s = await setup(t);
    const r = await s.post('/api/v1/jobs', { function: 'big', payload: 'x'.repeat(100 * 1024) });
    assert.equal(r.status, 201);
    assert.equal(r.body.payload.size, 100 * 1024);
    assert.equal(r.body.payload.text.length, 64 * 1024);
    assert.equal(r.body.payload.truncated, true);
  });

  it('joins an active job with the same unique, as Gearman does', async (t) => {
    const s = await setup(t);
    const a = await s.post('/api/v1/jobs', { function: 'report', unique: 'customer-42', payload: 'a' });
    const b = await s.post('/api/v1/jobs', { function: 'report', unique: 'customer-42', payload: 'b' });
    assert.equal(a.status, 201);
    assert.equal(b.status, 201);
    assert.equal(b.body.handle, a.body.handle);
    assert.equal(b.body.unique, 'customer-42');
    assert.equal(s.app.engine.functions.get('report')!.queuedTotal, 1);
  });

  it('queues at the priority asked for', async (t) => {
    const s = await setup(t);
    for (const priority of ['high', 'low', 'low'] as const) {
      const r = await s.post('/api/v1/jobs', { function: 'prio', priority, payload: priority });
      assert.equal(r.body.priority, priority);
    }
    assert.deepEqual(s.app.engine.functions.get('prio')!.queued, [1, 0, 2]);
  });

  it('holds a job with runAt in the future as scheduled; a past runAt queues it now', async (t) => {
    const s = await setup(t);
    const at = new Date(Date.now() + 3600_000);
    at.setUTCMilliseconds(0);
    const r = await s.post('/api/v1/jobs', { function: 'later', runAt: at.toISOString() });
    assert.equal(r.status, 201);
    assert.equal(r.body.state, 'scheduled');
    assert.equal(r.body.dueAt, at.toISOString());
    assert.match(r.body.events[0].detail, /^due /);
    // Any ISO-8601 form with an offset is read as that instant.
    const offset = await s.post('/api/v1/jobs', { function: 'later', runAt: '2099-01-01T01:00:00+01:00' });
    assert.equal(offset.body.dueAt, '2099-01-01T00:00:00.000Z');
    const past = await s.post('/api/v1/jobs', { function: 'later', runAt: '2001-01-01T00:00:00Z' });
    assert.equal(past.body.state, 'queued');
    assert.equal(past.body.dueAt, null);
    assert.equal(s.app.engine.functions.get('later')!.scheduled, 2);
  });

  it('holds a job with delayMs for that long', async (t) => {
    const s = await setup(t);
    const before = Date.now();
    const r = await s.post('/api/v1/jobs', { function: 'later', delayMs: 60_000 });
    assert.equal(r.body.state, 'scheduled');
    const due = Date.parse(r.body.dueAt);
    assert.ok(due >= before + 60_000 && due <= Date.now() + 60_000, `due ${r.body.dueAt}`);
    const now = await s.post('/api/v1/jobs', { function: 'later', delayMs: 0 });
    assert.equal(now.body.state, 'queued');
  });

  it('refuses bad requests with 400 BAD_REQUEST and a message naming the problem', async (t) => {
    const s = await setup(t);
    const cases: [unknown, RegExp][] = [
      [{}, /required property 'function'/],
      [{ function: '' }, /function must NOT have fewer than 1 characters/],
      [{ function: 42 }, /function must be string/],
      [{ function: 'f', priority: 'urgent' }, /priority must be equal to one of the allowed values/],
      [{ function: 'f', colour: 'red' }, /must NOT have additional properties/],
      [{ function: 'f', delayMs: -5 }, /delayMs must be >= 0/],
      [{ function: 'f', delayMs: 1.5 }, /delayMs must be integer/],
      [{ function: 'f', runAt: 'tomorrow' }, /runAt must be an ISO-8601 time, got "tomorrow"/],
      [{ function: 'f', runAt: '2030-01-01T00:00:00Z', delayMs: 5 }, /runAt or delayMs, not both/],
      [{ function: 'f', payload: 'a', payloadBase64: 'YQ==' }, /payload or payloadBase64, not both/],
    ];
    for (const [body, message] of cases) {
      const r = await s.post('/api/v1/jobs', body);
      assert.equal(r.status, 400, JSON.stringify(body));
      assert.equal(r.body.error.code, 'BAD_REQUEST', JSON.stringify(body));
      assert.match(r.body.error.message, message, JSON.stringify(body));
    }
    const notJson = await s.http.inject({
      method: 'POST', url: '/api/v1/jobs', headers: { 'content-type': 'application/json' }, payload: '{"function":',
    });
    assert.equal(notJson.statusCode, 400);
    assert.equal(JSON.parse(notJson.body).error.code, 'BAD_REQUEST');
    assert.equal(s.app.engine.jobs.size, 0, 'nothing was submitted');
  });

  it('refuses a function name over 512 bytes with 400 FUNCTION_TOO_LARGE (bytes, not characters)', async (t) => {
    const s = await setup(t);
    const ok = await s.post('/api/v1/jobs', { function: 'f'.repeat(512) });
    assert.equal(ok.status, 201);
    const long = await s.post('/api/v1/jobs', { function: 'f'.repeat(513) });
    assert.equal(long.status, 400);
    assert.equal(long.body.error.code, 'FUNCTION_TOO_LARGE');
    assert.match(long.body.error.message, /512 bytes/);
    const wide = await s.post('/api/v1/jobs', { function: 'é'.repeat(300) }); // 600 bytes in UTF-8
    assert.equal(wide.status, 400);
    assert.equal(wide.body.error.code, 'FUNCTION_TOO_LARGE');
    const unique = await s.post('/api/v1/jobs', { function: 'f', unique: 'u'.repeat(65) });
    assert.equal(unique.status, 400);
    assert.equal(unique.body.error.code, 'UNIQUE_TOO_LARGE');
  });

  it('answers 429 QUEUE_FULL when the function reached its maxqueue', async (t) => {
    const s = await setup(t);
    s.app.engine.fn('limited');
    assert.ok(s.app.engine.setMaxQueue('limited', [2, 2, 2]));
    assert.equal((await s.post('/api/v1/jobs', { function: 'limited', payload: '1' })).status, 201);
    assert.equal((await s.post('/api/v1/jobs', { function: 'limited', payload: '2' })).status, 201);
    const full = await s.post('/api/v1/jobs', { function: 'limited', payload: '3' });
    assert.equal(full.status, 429);
    assert.equal(full.body.error.code, 'QUEUE_FULL');
    assert.match(full.body.error.message, /maxqueue/);
  });
});
