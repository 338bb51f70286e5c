import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  byteByByte, decodeChunks, decodeWhole, rawPacket, req, rng, splitAt, text, type Seen,
} from './codec-helpers.js';

const blobWithNuls = Buffer.from([0, 0, 0x52, 0, 0x0a, 0x0d, 0xff, 0]);

/** Fixtures: byte streams and what the decoder must report for them, however they are chunked. */
const FIXTURES: { name: string; bytes: Buffer; expected: Seen[] }[] = [
  {
    name: 'one SUBMIT_JOB',
    bytes: req(7, 'reverse', '', 'test'),
    expected: [{ kind: 'packet', type: 7, args: ['reverse', ''], data: Buffer.from('test').toString('hex') }],
  },
  {
    name: 'several packets back to back, NULs in the data',
    bytes: Buffer.concat([
      req(1, 'fn'), req(23, 'fn', '2000'), req(4), req(39),
      req(13, 'H:x:1', blobWithNuls), req(16), req(16, blobWithNuls), req(12, 'H:x:1', '1', '2'),
    ]),
    expected: [
      { kind: 'packet', type: 1, args: ['fn'], data: null },
      { kind: 'packet', type: 23, args: ['fn', '2000'], data: null },
      { kind: 'packet', type: 4, args: [], data: null },
      { kind: 'packet', type: 39, args: [], data: null },
      { kind: 'packet', type: 13, args: ['H:x:1'], data: blobWithNuls.toString('hex') },
      { kind: 'packet', type: 16, args: [], data: '' },
      { kind: 'packet', type: 16, args: [], data: blobWithNuls.toString('hex') },
      { kind: 'packet', type: 12, args: ['H:x:1', '1', '2'], data: null },
    ],
  },
  {
    name: 'text lines mixed with binary packets',
    bytes: Buffer.concat([
      text('version\r\n'), req(16, 'ping'), text('status\n'), text('workers\r\n'), req(9), text(' show jobs\n'),
    ]),
    expected: [
      { kind: 'text', line: 'version' },
      { kind: 'packet', type: 16, args: [], data: Buffer.from('ping').toString('hex') },
      { kind: 'text', line: 'status' },
      { kind: 'text', line: 'workers' },
      { kind: 'packet', type: 9, args: [], data: null },
      { kind: 'text', line: ' show jobs' },
    ],
  },
  {
    name: 'non-fatal errors between good packets',
    bytes: Buffer.concat([
      req(1, 'a'),
      rawPacket('RES', 16, 'response body\0with nul'),
      req(7, 'fn-without-separators'),
      rawPacket('REQ', 4, 'ignored body'),
      req(15, 'H:x:2'),
    ]),
    expected: [
      { kind: 'packet', type: 1, args: ['a'], data: null },
      { kind: 'error', error: 'response-magic', fatal: false, code: 'INVALID_MAGIC', packetType: 16 },
      { kind: 'error', error: 'missing-separator', fatal: false, code: 'INVALID_PACKET', packetType: 7 },
      { kind: 'packet', type: 4, args: [], data: null },
      { kind: 'packet', type: 15, args: ['H:x:2'], data: null },
    ],
  },
  {
    name: 'good packets then a fatal bad magic, then bytes that must be ignored',
    bytes: Buffer.concat([
      req(22, 'my id'), text('version\n'),
      rawPacket(Buffer.from([0, 0x52, 0x45, 0x58]), 16, 'x'),
      req(16, 'after'), text('status\n'),
    ]),
    expected: [
      { kind: 'packet', type: 22, args: ['my id'], data: null },
      { kind: 'text', line: 'version' },
      { kind: 'error', error: 'bad-magic', fatal: true, code: null, packetType: 0 },
    ],
  },
  {
    name: 'unknown type 43 is fatal',
    bytes: Buffer.concat([req(9), rawPacket('REQ', 43, ''), req(9)]),
    expected: [
      { kind: 'packet', type: 9, args: [], data: null },
      { kind: 'error', error: 'unknown-type', fatal: true, code: 'INVALID_COMMAND', packetType: 43 },
    ],
  },
];

for (const f of FIXTURES) {
  test(`chunking: "${f.name}" decodes as expected in one chunk`, () => {
    assert.deepEqual(decodeWhole(f.bytes), f.expected);
  });

  test(`chunking: "${f.name}" gives identical output split at every point`, () => {
    for (let i = 0; i <= f.bytes.length; i++) {
      assert.deepEqual(decodeChunks(splitAt(f.bytes, [i])).seen, f.expected, `split at ${i}`);
    }
  });

  test(`chunking: "${f.name}" gives identical output split at every pair of points`, () => {
    // Compared as JSON for speed (tens of thousands of decodes); deepEqual shows a mismatch.
    const want = JSON.stringify(f.expected);
    for (let i = 1; i < f.bytes.length; i++) {
      for (let j = i + 1; j < f.bytes.length; j++) {
        const seen = decodeChunks(splitAt(f.bytes, [i, j])).seen;
        if (JSON.stringify(seen) !== want) assert.deepEqual(seen, f.expected, `split at ${i}, ${j}`);
      }
    }
  });

  test(`chunking: "${f.name}" gives identical output byte by byte`, () => {
    assert.deepEqual(decodeChunks(byteByByte(f.bytes)).seen, f.expected);
  });
}

test('chunking: all fixtures concatenated, random chunk sizes, stay identical', () => {
  // The fatal fixtures end the stream, so only the non-fatal ones are concatenated.
  const usable = FIXTURES.filter((f) => !f.expected.some((e) => e.kind === 'error' && e.fatal));
  const bytes = Buffer.concat(usable.map((f) => f.bytes));
  const expected = usable.flatMap((f) => f.expected);
  const random = rng(42);
  for (let round = 0; round < 300; round++) {
    const cuts: number[] = [];
    let at = 0;
    for (;;) {
      at += 1 + Math.floor(random() * 40);
      if (at >= bytes.length) break;
      cuts.push(at);
    }
    assert.deepEqual(decodeChunks(splitAt(bytes, cuts)).seen, expected, `round ${round}: cuts ${cuts.join(',')}`);
  }
});

test('chunking: an empty chunk changes nothing', () => {
  const bytes = req(7, 'fn', 'u', 'w');
  const { seen, decoder } = decodeChunks([Buffer.alloc(0), bytes.subarray(0, 5), Buffer.alloc(0), bytes.subarray(5), Buffer.alloc(0)]);
  assert.deepEqual(seen, [{ kind: 'packet', type: 7, args: ['fn', 'u'], data: Buffer.from('w').toString('hex') }]);
  assert.equal(decoder.pendingBytes, 0);
});

test('chunking: pendingBytes counts an incomplete packet and drops to 0 once it completes', () => {
  const bytes = req(16, 'x'.repeat(100));
  const { seen, decoder } = decodeChunks([bytes.subarray(0, 50)]);
  assert.deepEqual(seen, []);
  assert.equal(decoder.pendingBytes, 50);
  decoder.push(bytes.subarray(50));
  assert.equal(decoder.pendingBytes, 0);
  assert.equal(seen.length, 1);
});

test('chunking: a 5 MiB body delivered in many chunks arrives whole and intact', () => {
  const body = Buffer.alloc(5 * 1024 * 1024);
  for (let i = 0; i < body.length; i++) body[i] = (i * 31 + (i >> 11)) & 0xff;
  const bytes = Buffer.concat([req(13, 'H:big:1', body), req(16, 'next')]);
  const random = rng(7);
  const cuts: number[] = [];
  for (let at = 1 + Math.floor(random() * 70000); at < bytes.length; at += 1 + Math.floor(random() * 70000)) cuts.push(at);
  assert.ok(cuts.length > 100);
  const { sink, decoder } = decodeChunks(splitAt(bytes, cuts));
  assert.equal(sink.blobs.length, 2);
  assert.equal(sink.seen[0]!.kind, 'packet');
  assert.deepEqual((sink.seen[0] as { args: string[] }).args, ['H:big:1']);
  assert.ok(sink.blobs[0]!.equals(body), '5 MiB body intact');
  assert.deepEqual(sink.blobs[1], Buffer.from('next'));
  assert.equal(decoder.pendingBytes, 0);
});

test('chunking: delivered data is a private copy, unaffected by later changes to the pushed chunk', () => {
  const chunk = req(28, 'H:x:1', 'payload');
  const { sink, decoder } = decodeChunks([chunk]);
  chunk.fill(0x41);
  assert.deepEqual(sink.blobs[0], Buffer.from('payload'));
  // And through the decoder's own buffer: a split packet, then the next one reuses the buffer.
  const a = req(28, 'H:x:2', 'first');
  decoder.push(a.subarray(0, 10));
  decoder.push(a.subarray(10));
  const b = req(28, 'H:x:3', 'SECOND');
  decoder.push(b.subarray(0, 10));
  decoder.push(b.subarray(10));
  assert.deepEqual(sink.blobs[1], Buffer.from('first'));
  assert.deepEqual(sink.blobs[2], Buffer.from('SECOND'));
});
