/**
 * GET /api/v1/jobs: newest first, filters (function, state, unique, since/until) and keyset
 * pagination that neither repeats nor skips a job, also while new jobs arrive between pages.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setup, worker, type HttpSetup } from './http-setup.js';

interface Listed { handle: string; function: string; state: string; unique: string; submittedAt: string }

async function allPages(s: HttpSetup, query: string, limit: number): Promise<{ jobs: Listed[]; pages: number }> {
  const jobs: Listed[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const sep = query === '' ? '' : '&';
    const r = await s.get(`/api/v1/jobs?${query}${sep}limit=${limit}${cursor === null ? '' : `&cursor=${cursor}`}`);
    assert.equal(r.status, 200, r.text);
    assert.ok(r.body.jobs.length <= limit);
    jobs.push(...r.body.jobs);
    cursor = r.body.nextCursor;
    pages++;
    assert.ok(pages < 100, 'pagination ends');
  } while (cursor !== null);
  return { jobs, pages };
}

describe('GET /api/v1/jobs', () => {
  it('pages through every job newest first without duplicates or gaps', async (t) => {
    const s = await setup(t);
    const handles: string[] = [];
    for (let i = 0; i < 23; i++) {
      handles.push((await s.post('/api/v1/jobs', { function: i % 2 ? 'odd' : 'even', payload: String(i) })).body.handle);
    }
    const { jobs, pages } = await allPages(s, '', 5);
    assert.equal(pages, 5);
    assert.deepEqual(jobs.map((j) => j.handle), [...handles].reverse());
    // An exact multiple of the page size ends with an empty page or a null cursor, never a repeat.
    const exact = await allPages(s, 'function=odd', 11);
    assert.deepEqual(exact.jobs.map((j) => j.handle), handles.filter((_, i) => i % 2).reverse());
  });

  it('keeps its place when new jobs arrive between pages', async (t) => {
    const s = await setup(t);
    const first: string[] = [];
    for (let i = 0; i < 10; i++) first.push((await s.post('/api/v1/jobs', { function: 'busy' })).body.handle);
    const p1 = await s.get('/api/v1/jobs?limit=4');
    for (let i = 0; i < 5; i++) await s.post('/api/v1/jobs', { function: 'busy' });
    const p2 = await s.get(`/api/v1/jobs?limit=4&cursor=${p1.body.nextCursor}`);
    const p3 = await s.get(`/api/v1/jobs?limit=4&cursor=${p2.body.nextCursor}`);
    const seen = [...p1.body.jobs, ...p2.body.jobs, ...p3.body.jobs].map((j: Listed) => j.handle);
    assert.deepEqual(seen, [...first].reverse());
    assert.equal(p3.body.nextCursor, null);
  });

  it('filters by function, state, unique and submission time', async (t) => {
    const s = await setup(t);
    const a = (await s.post('/api/v1/jobs', { function: 'mail', unique: 'order-1' })).body;
    const b = (await s.post('/api/v1/jobs', { function: 'mail', unique: 'order-2' })).body;
    const c = (await s.post('/api/v1/jobs', { function: 'sms', unique: 'order-1' })).body;
    const d = (await s.post('/api/v1/jobs', { function: 'mail', delayMs: 3600_000 })).body;
    const w = await worker(s, 'mail');
    await w.complete((await w.grab()).handle, 'sent');
    await s.post(`/api/v1/jobs/${encodeURIComponent(b.handle)}/cancel`);
    const handles = async (query: string) => (await allPages(s, query, 50)).jobs.map((j) => j.handle);
    assert.deepEqual(await handles('function=mail'), [d.handle, b.handle, a.handle]);
    assert.deepEqual(await handles('function=sms'), [c.handle]);
    assert.deepEqual(await handles('state=completed'), [a.handle]);
    assert.deepEqual(await handles('state=cancelled'), [b.handle]);
    assert.deepEqual(await handles('state=scheduled'), [d.handle]);
    assert.deepEqual(await handles('state=queued'), [c.handle]);
    assert.deepEqual(await handles('unique=order-1'), [c.handle, a.handle]);
    assert.deepEqual(await handles('function=mail&unique=order-1'), [a.handle]);
    assert.deepEqual(await handles('function=nothing'), []);
    // since is inclusive, until exclusive (jobs submitted in the same millisecond may share a time).
    const all = (await allPages(s, '', 50)).jobs;
    const at = (h: string) => Date.parse(all.find((j) => j.handle === h)!.submittedAt);
    const since = await handles(`since=${encodeURIComponent(c.submittedAt)}`);
    assert.ok(since.includes(c.handle) && since.includes(d.handle));
    assert.ok(since.every((h) => at(h) >= Date.parse(c.submittedAt)));
    const until = await handles(`until=${encodeURIComponent(c.submittedAt)}`);
    assert.ok(!until.includes(c.handle) && !until.includes(d.handle));
    assert.ok(until.every((h) => at(h) < Date.parse(c.submittedAt)));
    assert.deepEqual(await handles('since=2001-01-01T00:00:00Z&until=2002-01-01T00:00:00Z'), []);
  });

  it('refuses bad parameters with 400 BAD_REQUEST', async (t) => {
    const s = await setup(t);
    const cases: [string, RegExp][] = [
      ['limit=0', /limit must be 1 to 1000/],
      ['limit=1001', /limit must be 1 to 1000/],
      ['limit=ten', /limit must be 1 to 1000/],
      ['state=lost', /state must be one of scheduled, queued, running, completed, failed, cancelled, abandoned/],
      ['since=yesterday', /since must be an ISO-8601 time/],
      ['until=soon', /until must be an ISO-8601 time/],
      ['cursor=!!', /invalid cursor/],
    ];
    for (const [query, message] of cases) {
      const r = await s.get(`/api/v1/jobs?${query}`);
      assert.equal(r.status, 400, query);
      assert.equal(r.body.error.code, 'BAD_REQUEST', query);
      assert.match(r.body.error.message, message, query);
    }
  });
});
