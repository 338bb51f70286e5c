/**
 * GET /api/v1/events over a real HTTP socket (inject cannot stream): events arrive as SSE, the
 * function and type filters work, heartbeats flow, and a reader that stops reading is cut off
 * with `event: overflow` (or, if it never reads again, disconnected) instead of being buffered
 * for ever.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { get, type IncomingMessage } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { Priority } from '../../src/engine/job.js';
import { PacketType } from '../../src/protocol/packets.js';
import { buildHttpServer } from '../../src/http/http-server.js';
import type { LiveEventsOptions } from '../../src/http/live-events.js';
import { setup as appSetup, worker } from './http-setup.js';

interface SseEvent {
  event: string;
  data: any;
  id: string | null;
}

/** Reads an SSE stream, parsing events and counting comments. */
class SseReader {
  readonly events: SseEvent[] = [];
  readonly comments: string[] = [];
  ended = false;
  /** The connection itself closed (seen even while the reader is paused). */
  socketClosed = false;
  private buf = '';
  private waiters: (() => void)[] = [];

  constructor(readonly res: IncomingMessage) {
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => {
      this.buf += chunk;
      for (let i = this.buf.indexOf('\n\n'); i >= 0; i = this.buf.indexOf('\n\n')) {
        this.parse(this.buf.slice(0, i));
        this.buf = this.buf.slice(i + 2);
      }
      this.wake();
    });
    res.on('close', () => { this.ended = true; this.wake(); });
    res.socket.once('close', () => { this.socketClosed = true; this.wake(); });
  }

  private parse(block: string): void {
    let event = 'message';
    let data = '';
    let id: string | null = null;
    for (const line of block.split('\n')) {
      if (line.startsWith(':')) this.comments.push(line.slice(1).trim());
      else if (line.startsWith('event: ')) event = line.slice(7);
      else if (line.startsWith('data: ')) data += line.slice(6);
      else if (line.startsWith('id: ')) id = line.slice(4);
    }
    if (data !== '') this.events.push({ event, data: JSON.parse(data), id });
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  /** Resolves when `cond` holds, checked on every chunk. */
  until(cond: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}; got ${this.events.map((e) => e.event).join(' ')}`)), timeoutMs);
      const check = () => {
        if (cond()) { clearTimeout(timer); resolve(); } else if (this.ended || this.socketClosed) { clearTimeout(timer); reject(new Error(`stream ended before ${what}`)); } else this.waiters.push(check);
      };
      check();
    });
  }
}

async function setup(t: TestContext, options: Partial<LiveEventsOptions> = {}, config: Record<string, unknown> = {}) {
  const s = await appSetup(t, { config });
  const http = buildHttpServer({ ...s.app.httpDeps, liveEvents: options });
  await http.listen({ port: 0, host: '127.0.0.1' });
  t.after(() => http.close());
  const port = (http.server.address() as AddressInfo).port;
  /** The server's side of each connection, with whether it has closed. */
  const sockets: { closed: boolean }[] = [];
  http.server.on('connection', (sock: Socket) => {
    const entry = { closed: false };
    sockets.push(entry);
    sock.once('close', () => { entry.closed = true; });
  });
  const open = (query = ''): Promise<SseReader> => new Promise((resolve, reject) => {
    const req = get({ host: '127.0.0.1', port, path: `/api/v1/events${query}` }, (res) => {
      assert.equal(res.statusCode, 200);
      assert.match(String(res.headers['content-type']), /^text\/event-stream/);
      const reader = new SseReader(res);
      t.after(() => res.destroy());
      // Subscribed once the first comment has arrived.
      reader.until(() => reader.comments.includes('connected'), 'the connected comment').then(() => resolve(reader), reject);
    });
    req.on('error', reject);
  });
  return { s, http, open, sockets };
}

test('events: job and worker events arrive; ?function= and ?types= narrow the stream', async (t) => {
  const { s, open } = await setup(t);
  const all = await open();
  const mail = await open('?function=mail&types=job');
  const done = await open('?function=mail&function=pdf&types=job.completed,worker');

  assert.equal((await s.post('/api/v1/jobs', { function: 'other', payload: 'x' })).status, 201);
  const submitted = await s.post('/api/v1/jobs', { function: 'mail', payload: 'hello' });
  const handle = submitted.body.handle as string;
  const w = await worker(s, 'mail');
  const job = await w.grab();
  assert.equal(job.handle, handle);
  await w.complete(handle, 'sent');

  await mail.until(() => mail.events.some((e) => e.event === 'job.completed'), 'mail: job.completed');
  assert.deepEqual(mail.events.map((e) => [e.event, e.data.handle, e.data.function, e.data.state]), [
    ['job.submitted', handle, 'mail', 'queued'],
    ['job.started', handle, 'mail', 'running'],
    ['job.completed', handle, 'mail', 'completed'],
  ]);
  const started = mail.events[1]!.data;
  assert.equal(started.attempt, 1);
  assert.match(started.at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  assert.ok(Number(mail.events[2]!.id) > Number(mail.events[0]!.id), 'ids increase');

  await all.until(() => all.events.some((e) => e.event === 'job.completed'), 'all: job.completed');
  assert.deepEqual(all.events.map((e) => e.event).filter((e) => e !== 'activity'),
    ['job.submitted', 'job.submitted', 'worker.joined', 'job.started', 'job.completed']);
  const jobAndWorker = all.events.filter((e) => e.event !== 'activity');
  assert.equal(jobAndWorker[0]!.data.function, 'other');
  assert.deepEqual(jobAndWorker[2]!.data.functions, ['mail']);

  await done.until(() => done.events.some((e) => e.event === 'job.completed'), 'done: job.completed');
  assert.deepEqual(done.events.map((e) => e.event), ['worker.joined', 'job.completed']);

  w.conn.close();
  await all.until(() => all.events.some((e) => e.event === 'worker.left'), 'worker.left');
});

test('events: a worker\'s later CAN_DO and CANT_DO are `worker.changed`; with no function left it has left, until its next CAN_DO', async (t) => {
  const { s, open } = await setup(t);
  const stream = await open('?types=worker');
  const w = await worker(s, 'mail');
  w.conn.send(PacketType.CAN_DO, ['pdf']);
  w.conn.send(PacketType.CAN_DO, ['pdf']);
  w.conn.send(PacketType.CANT_DO, ['mail']);
  w.conn.send(PacketType.CANT_DO, ['never-had']);
  w.conn.send(PacketType.RESET_ABILITIES);
  w.conn.send(PacketType.RESET_ABILITIES);
  w.conn.send(PacketType.CAN_DO, ['mail']);
  w.conn.send(PacketType.CANT_DO, ['mail']);
  w.conn.close();
  await stream.until(() => stream.events.length >= 6, 'six worker events');
  await new Promise((r) => setTimeout(r, 100));
  assert.deepEqual(stream.events.map((e) => [e.event, e.data.functions]), [
    ['worker.joined', ['mail']],
    ['worker.changed', ['pdf', 'mail']],
    ['worker.changed', ['pdf']],
    ['worker.left', undefined],
    ['worker.joined', ['mail']],
    ['worker.left', undefined],
  ], 'a CAN_DO it already had, a CANT_DO it never had, a reset with nothing to reset and closing a non-worker change nothing');
  assert.ok(stream.events.every((e) => e.data.worker === stream.events[0]!.data.worker));
});

test('events: `activity` sums up, once per period, which functions had events — without the events themselves', async (t) => {
  const { s, open } = await setup(t, { activityMs: 100 });
  const activity = await open('?types=activity');
  for (let i = 0; i < 3; i++) assert.equal((await s.post('/api/v1/jobs', { function: 'mail', payload: `m${i}` })).status, 201);
  assert.equal((await s.post('/api/v1/jobs', { function: 'pdf', payload: 'p' })).status, 201);
  await activity.until(() => {
    const seen: Record<string, { events: number; submitted: number }> = {};
    for (const e of activity.events) {
      for (const [fn, c] of Object.entries(e.data.functions as Record<string, { events: number; submitted: number }>)) {
        seen[fn] = { events: (seen[fn]?.events ?? 0) + c.events, submitted: (seen[fn]?.submitted ?? 0) + c.submitted };
      }
    }
    return seen.mail?.events === 3 && seen.mail.submitted === 3 && seen.pdf?.events === 1 && seen.pdf.submitted === 1;
  }, 'activity for mail ×3 and pdf ×1');
  assert.ok(activity.events.every((e) => e.event === 'activity' && e.data.type === 'activity'), 'nothing but summaries');
  const count = activity.events.length;
  await new Promise((r) => setTimeout(r, 350));
  assert.equal(activity.events.length, count, 'no summary when nothing happened');
});

test('events: heartbeats keep the stream alive; bad filters are refused before streaming', async (t) => {
  const { s, open } = await setup(t, { heartbeatMs: 50 });
  const r = await open();
  await r.until(() => r.comments.filter((c) => c === 'heartbeat').length >= 2, 'two heartbeats');
  const bad = await s.http.inject({ method: 'GET', url: '/api/v1/events?types=job,jobs' });
  assert.equal(bad.statusCode, 400);
  assert.equal(JSON.parse(bad.body).error.code, 'BAD_REQUEST');
  assert.match(JSON.parse(bad.body).error.message, /unknown event type "jobs"/);
});

test('events: a reader that falls behind gets `overflow` and is closed; one that never reads is dropped', async (t) => {
  const { s, open, sockets } = await setup(t, { maxBufferedEvents: 200, maxBufferedBytes: 256 * 1024, closeGraceMs: 1500 },
    { store: 'memory' });
  const slow = await open();
  const stalled = await open();
  slow.res.pause();
  stalled.res.pause();
  // Long function names make big events, so the socket's buffers fill sooner.
  const fn = `bulk-${'x'.repeat(480)}`;
  const engine = s.app.engine;
  let generated = 0;
  for (let batch = 0; batch < 40 && sockets.some((x) => !x.closed); batch++) {
    for (let i = 0; i < 1000; i++) {
      const job = engine.submit(null, {
        fn, unique: '', payload: '', priority: Priority.NORMAL, background: true, dueAt: 0, reducer: '',
      });
      assert.ok(typeof job === 'object');
      engine.cancel(job.handle);
      generated += 2;
    }
    await new Promise((r) => setImmediate(r));
  }
  slow.res.resume();
  await slow.until(() => slow.ended, 'the slow stream to end', 10_000);
  const last = slow.events.at(-1)!;
  assert.equal(last.event, 'overflow');
  assert.ok(last.data.dropped > 200, `dropped ${last.data.dropped}`);
  assert.ok(slow.events.length < generated, `${slow.events.length} of ${generated} events delivered`);
  // The stalled reader's connection is closed by the server although it never read again.
  const deadline = Date.now() + 5000;
  while (sockets.some((x) => !x.closed)) {
    assert.ok(Date.now() < deadline, 'the server closed both connections');
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.equal(stalled.events.length, 0, 'the stalled reader read nothing');
});
