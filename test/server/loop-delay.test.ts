/**
 * At stop, gearhq logs how late its event loop ran (p99 and max, in ms): the worst latency it
 * added to every connection. An idle loop is not late; a deliberate 60 ms block shows as such.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import { loopLatenessMs, startServer } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';

test('loop lateness: the sampling period is not lateness', () => {
  assert.equal(loopLatenessMs(5_150_000), 0.15);
  assert.equal(loopLatenessMs(65_000_000), 60);
  assert.equal(loopLatenessMs(4_900_000), 0, 'a tick a little early is not negative lateness');
});

test('gearhq logs its event-loop lateness at stop: near 0 when idle, the length of a stall at most', async () => {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString().split('\n')) if (l.trim()) lines.push(JSON.parse(l));
      done();
    },
  });
  const config = loadConfig({ port: 0, listen: '127.0.0.1', httpPort: 0, store: 'memory' }, {});
  const app = await startServer(config, { log: pino({ level: 'info' }, sink) });
  // About 250 samples of an idle loop and one 60 ms stall: the stall is the max, not the p99.
  await sleep(600);
  const blockedUntil = Date.now() + 60;
  while (Date.now() < blockedUntil) { /* the event loop is blocked for 60 ms */ }
  await sleep(600);
  await app.stop(100);
  const stopped = lines.find((l) => l.msg === 'gearhq stopped');
  assert.ok(stopped, 'a "gearhq stopped" line');
  const max = stopped.loopDelayMaxMs as number;
  const p99 = stopped.loopDelayP99Ms as number;
  // The sampling timer fell due somewhere in the first 5 ms of the block.
  assert.ok(max >= 54 && max < 70, `longest stall ${max} ms for a 60 ms block`);
  assert.ok(p99 < 4.5, `p99 ${p99} ms on an idle loop (the 5 ms sampling period is not lateness)`);
});
