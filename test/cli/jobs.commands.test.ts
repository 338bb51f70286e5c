/**
 * `gearhq submit`, `gearhq jobs` and `gearhq job <handle>` against a real server: what the user
 * reads (local time and UTC), --json for scripts, and the errors.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { berlin, completeOne, startCliServer, utc, type CliServer } from './cli-setup.js';

describe('gearhq submit / jobs / job', () => {
  // One server for this file: each test uses its own function names.
  const server: { s?: CliServer } = {};
  const setup = () => server.s!;
  before(async () => { server.s = await startCliServer(); });
  after(async () => { await server.s?.stop(); });

  it('submit prints the handle and state; --json prints the job', async () => {
    const s = setup();
    const r = await s.run(['submit', 'mail', 'hello there']);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^H:\S+:\d+ {2}queued\n$/);
    const handle = r.stdout.split(' ')[0]!;
    const job = await s.api('GET', `/api/v1/jobs/${encodeURIComponent(handle)}`);
    assert.equal(job.payload.text, 'hello there');
    const j = await s.run(['submit', 'mail', '{"to":"a@b"}', '--unique', 'order-7', '--priority', 'high', '--json']);
    assert.equal(j.status, 0, j.stderr);
    const parsed = JSON.parse(j.stdout);
    assert.equal(parsed.unique, 'order-7');
    assert.equal(parsed.priority, 'high');
    assert.equal(parsed.payload.text, '{"to":"a@b"}');
  });

  it('submit --run-at without a zone means local time, shown in local time and UTC', async () => {
    const s = setup();
    const r = await s.run(['submit', 'report', '--run-at', '2031-07-01 09:30']);
    assert.equal(r.status, 0, r.stderr);
    // Berlin is UTC+2 in July.
    assert.match(r.stdout, /^H:\S+ {2}scheduled {2}due 2031-07-01 09:30:00 CEST \(2031-07-01 07:30:00 UTC\) {2}in \d+d\n$/);
    const zoned = await s.run(['submit', 'report', '--run-at', '2031-01-15T12:00:00Z', '--json']);
    assert.equal(JSON.parse(zoned.stdout).dueAt, '2031-01-15T12:00:00.000Z');
    const delayed = await s.run(['submit', 'report', '--delay', '2h', '--json']);
    const due = Date.parse(JSON.parse(delayed.stdout).dueAt);
    assert.ok(Math.abs(due - (Date.now() + 7200_000)) < 10_000);
  });

  it('submit - sends stdin as the payload, byte for byte', async () => {
    const s = setup();
    const bytes = Buffer.from([0, 1, 2, 0xff, 10]);
    const r = await s.run(['submit', 'bin', '-', '--json'], { input: bytes });
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout).payload, { size: 5, base64: bytes.toString('base64'), truncated: false });
  });

  it('job <handle> shows the job and its timeline in local time and UTC', async () => {
    const s = setup();
    const sub = await s.run(['submit', 'resize', 'cat.png', '--json']);
    const handle = JSON.parse(sub.stdout).handle as string;
    await completeOne(s, 'resize', 'cat-small.png');
    const job = await s.api('GET', `/api/v1/jobs/${encodeURIComponent(handle)}`);
    const r = await s.run(['job', handle]);
    assert.equal(r.status, 0, r.stderr);
    const out = r.stdout;
    assert.match(out, new RegExp(`^Job ${handle} {2}completed\\n`));
    assert.match(out, /\n {2}function +resize\n/);
    assert.match(out, /\n {2}payload +cat\.png {2}\(7 bytes\)\n/);
    assert.match(out, /\n {2}result +cat-small\.png {2}\(13 bytes\)\n/);
    assert.match(out, /\n {2}attempts +1\n/);
    // Both zones, computed here independently of the CLI.
    assert.ok(out.includes(`submitted  ${berlin(job.submittedAt)} CE`), out);
    assert.ok(out.includes(`(${utc(job.submittedAt)} UTC)`), out);
    assert.match(out, /\nTimeline\n {2}LOCAL \(Europe\/Berlin\) +UTC +EVENT +DETAIL\n/);
    const lines = out.slice(out.indexOf('Timeline')).split('\n').slice(2).filter((l) => l.trim() !== '');
    assert.deepEqual(lines.map((l) => l.trim().split(/\s{2,}/)[2]), ['submitted', 'started', 'completed']);
    const started = lines[1]!;
    assert.ok(started.includes(`${berlin(job.startedAt)}.${job.startedAt.slice(20, 23)} CE`), started);
    assert.ok(started.includes(`${utc(job.startedAt)}.${job.startedAt.slice(20, 23)} UTC`), started);
    assert.match(started, /attempt 1 on 127\.0\.0\.1/);
    assert.doesNotMatch(out, /\u001b\[/, 'no colours when stdout is not a terminal');
    const json = await s.run(['job', handle, '--json']);
    assert.deepEqual(JSON.parse(json.stdout), job);
  });

  it('jobs lists newest first in a table, with filters and a hint for the next page', async () => {
    const s = setup();
    const handles: string[] = [];
    for (const p of ['a', 'b', 'c']) handles.push(JSON.parse((await s.run(['submit', 'listed', p, '--json'])).stdout).handle);
    await s.run(['submit', 'listed-later', '--delay', '60000']);
    const r = await s.run(['jobs', '--function', 'listed']);
    assert.equal(r.status, 0, r.stderr);
    const lines = r.stdout.trimEnd().split('\n');
    assert.match(lines[0]!, /^HANDLE +FUNCTION +STATE +PRIORITY +SUBMITTED \(Europe\/Berlin\) +WHEN +UNIQUE$/);
    assert.deepEqual(lines.slice(1).map((l) => l.split(/\s+/)[0]), [...handles].reverse());
    assert.ok(lines.slice(1).every((l) => /^\S+ +listed +queued +normal +\d{4}-\d\d-\d\d \d\d:\d\d:\d\d CE/.test(l)), r.stdout);
    const scheduled = await s.run(['jobs', '--state', 'scheduled', '--function', 'listed-later']);
    assert.match(scheduled.stdout, /listed-later +scheduled +normal +.* due in \d+s/);
    const page = await s.run(['jobs', '--function', 'listed', '--limit', '2']);
    assert.equal(page.stdout.trimEnd().split('\n').length, 4);
    const cursor = /more: add --cursor (\S+)/.exec(page.stdout)?.[1];
    assert.ok(cursor, page.stdout);
    const rest = await s.run(['jobs', '--function', 'listed', '--limit', '2', '--cursor', cursor]);
    assert.deepEqual(rest.stdout.trimEnd().split('\n').slice(1).map((l) => l.split(/\s+/)[0]), [handles[0]]);
    const none = await s.run(['jobs', '--function', 'nothing-here']);
    assert.equal(none.stdout, 'no jobs match\n');
    const json = JSON.parse((await s.run(['jobs', '--function', 'listed', '--json'])).stdout);
    assert.deepEqual(json.jobs.map((j: { handle: string }) => j.handle), [...handles].reverse());
    assert.equal(json.nextCursor, null);
  });

  it('says what went wrong: API errors and bad usage', async () => {
    const s = setup();
    const unknown = await s.run(['job', 'H:nowhere:1']);
    assert.equal(unknown.status, 1);
    assert.equal(unknown.stdout, '');
    assert.equal(unknown.stderr, 'gearhq: no job H:nowhere:1 (JOB_NOT_FOUND)\n');
    const long = await s.run(['submit', 'f'.repeat(600)]);
    assert.equal(long.status, 1);
    assert.match(long.stderr, /^gearhq: Function names are limited to 512 bytes\. \(FUNCTION_TOO_LARGE\)\n$/);
    const badState = await s.run(['jobs', '--state', 'lost']);
    assert.equal(badState.status, 2);
    assert.match(badState.stderr, /Allowed choices are scheduled, queued/);
    const both = await s.run(['submit', 'f', '--delay', '5', '--run-at', '2031-01-01']);
    assert.equal(both.status, 2);
    assert.match(both.stderr, /cannot be used with/);
    const badTime = await s.run(['submit', 'f', '--run-at', 'someday']);
    assert.equal(badTime.status, 2);
    assert.match(badTime.stderr, /--run-at: not a time: "someday"/);
    const badLimit = await s.run(['jobs', '--limit', '0']);
    assert.equal(badLimit.status, 2);
    assert.match(badLimit.stderr, /--limit must be 1 to 1000/);
  });
});
