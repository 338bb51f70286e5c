/**
 * `gearhq schedules list|add|rm|pause|resume` against a real server: next runs in the user's zone
 * (TZ=Europe/Berlin) and UTC, and the errors a user meets.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { berlin, startCliServer, utc, type CliServer } from './cli-setup.js';

describe('gearhq schedules', () => {
  const server: { s?: CliServer } = {};
  const setup = () => server.s!;
  before(async () => { server.s = await startCliServer(); });
  after(async () => { await server.s?.stop(); });

  it('add shows the next runs in local time and UTC; list shows the next run in both', async () => {
    const s = setup();
    const r = await s.run(['schedules', 'add', '--name', 'ny-report', '--cron', '30 2 * * *', '--timezone', 'America/New_York',
      '--function', 'report', '--payload', '{"kind":"daily"}', '--priority', 'high']);
    assert.equal(r.status, 0, r.stderr);
    const view = await s.api('GET', '/api/v1/schedules/ny-report');
    assert.equal(view.priority, 'high');
    assert.equal(view.payload, '{"kind":"daily"}');
    const lines = r.stdout.trimEnd().split('\n');
    assert.equal(lines[0], 'added schedule ny-report (30 2 * * *, America/New_York) → report');
    assert.equal(lines[1], 'next runs:');
    assert.equal(lines.length, 5);
    view.nextRuns.slice(0, 3).forEach((at: string, i: number) => {
      // 02:30 in New York is 07:30 or 06:30 UTC, and 08:30 or 07:30 in Berlin.
      assert.match(lines[2 + i]!, /^ {2}\d{4}-\d\d-\d\d 0[78]:30:00 CES?T \(\d{4}-\d\d-\d\d 0[67]:30:00 UTC\) {2}in \d+[smhd]$/);
      assert.ok(lines[2 + i]!.includes(`${berlin(at)} CE`) && lines[2 + i]!.includes(`(${utc(at)} UTC)`), lines[2 + i]);
    });
    const list = await s.run(['schedules', 'list']);
    assert.equal(list.status, 0, list.stderr);
    const [header, row] = list.stdout.trimEnd().split('\n');
    assert.match(header!, /^NAME +CRON +TIMEZONE +FUNCTION +STATE +NEXT RUN \(Europe\/Berlin\) +NEXT RUN \(UTC\) +LAST RUN +FROM$/);
    assert.ok(row!.includes(`${berlin(view.nextRuns[0])} CE`), row);
    assert.ok(row!.includes(`${utc(view.nextRuns[0])} UTC`), row);
    assert.match(row!, /^ny-report +30 2 \* \* \* +America\/New_York +report +active +.* +- +api$/);
    // `gearhq schedules` alone lists too.
    assert.equal((await s.run(['schedules'])).stdout, list.stdout);
  });

  it('pause, resume and rm change the schedule and say so', async () => {
    const s = setup();
    await s.run(['schedules', 'add', '--name', 'hourly', '--cron', '0 * * * *', '--function', 'tick']);
    const p = await s.run(['schedules', 'pause', 'hourly']);
    assert.equal(p.status, 0, p.stderr);
    assert.equal(p.stdout, 'paused schedule hourly\n');
    assert.equal((await s.api('GET', '/api/v1/schedules/hourly')).enabled, false);
    assert.match((await s.run(['schedules', 'list'])).stdout, /\nhourly +0 \* \* \* \* +UTC +tick +paused +- +- +- +api\n/);
    const r = await s.run(['schedules', 'resume', 'hourly']);
    assert.match(r.stdout, /^resumed schedule hourly; next runs:\n {2}\d{4}-\d\d-\d\d \d\d:00:00 CES?T \(\d{4}-\d\d-\d\d \d\d:00:00 UTC\)/);
    assert.equal((await s.api('GET', '/api/v1/schedules/hourly')).enabled, true);
    const rm = await s.run(['schedules', 'rm', 'hourly']);
    assert.equal(rm.status, 0, rm.stderr);
    assert.equal(rm.stdout, 'removed schedule hourly\n');
    const again = await s.run(['schedules', 'rm', 'hourly']);
    assert.equal(again.status, 1);
    assert.equal(again.stderr, 'gearhq: no schedule "hourly" (SCHEDULE_NOT_FOUND)\n');
    const json = JSON.parse((await s.run(['schedules', 'list', '--json'])).stdout);
    assert.ok(!json.schedules.some((x: { name: string }) => x.name === 'hourly'));
  });

  it('list shows the last run with how its job stands', async () => {
    const s = setup();
    const r = await s.run(['schedules', 'add', '--name', 'every-second', '--cron', '* * * * * *', '--function', 'nobody-works-this']);
    assert.equal(r.status, 0, r.stderr);
    try {
      const deadline = Date.now() + 10_000;
      let row = '';
      while (!/· queued/.test(row)) {
        assert.ok(Date.now() < deadline, `no run shown: ${row}`);
        await new Promise((res) => setTimeout(res, 200));
        row = (await s.run(['schedules', 'list'])).stdout.split('\n').find((l) => l.startsWith('every-second')) ?? '';
      }
      assert.match(row, / {2}(now|\d+\S* ago) · queued +api$/, 'a tick\'s job waits: nobody works that function');
    } finally {
      await s.run(['schedules', 'rm', 'every-second']);
    }
  });

  it('passes on the server\'s refusals and checks its own options', async () => {
    const s = setup();
    await s.run(['schedules', 'add', '--name', 'dup', '--cron', '0 0 * * *', '--function', 'f']);
    const dup = await s.run(['schedules', 'add', '--name', 'dup', '--cron', '0 1 * * *', '--function', 'f']);
    assert.equal(dup.status, 1);
    assert.equal(dup.stderr, 'gearhq: a schedule named dup exists (CONFLICT)\n');
    const bad = await s.run(['schedules', 'add', '--name', 'bad', '--cron', '* * *', '--function', 'f']);
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /^gearhq: schedule bad: cron must have 5 or 6 fields, got 3 \(BAD_REQUEST\)\n$/);
    const missing = await s.run(['schedules', 'add', '--name', 'x', '--function', 'f']);
    assert.equal(missing.status, 2);
    assert.match(missing.stderr, /required option '--cron <expr>' not specified/);
    const choice = await s.run(['schedules', 'add', '--name', 'x', '--cron', '* * * * *', '--function', 'f', '--missed', 'all']);
    assert.equal(choice.status, 2);
    assert.match(choice.stderr, /Allowed choices are skip, run-once/);
  });
});
