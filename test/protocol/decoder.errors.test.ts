import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Decoder, DEFAULT_DECODER_LIMITS } from '../../src/protocol/decoder.js';
import { ProtocolError } from '../../src/protocol/errors.js';
import { RecordingSink, byteByByte, decodeChunks, decodeWhole, rawPacket, req, splitAt, text } from './codec-helpers.js';

test('errors: bad magic is fatal, closes silently (no ERROR code) and ignores everything after', () => {
  const bad = rawPacket(Buffer.from([0, 0x52, 0x45, 0x50]), 16, 'x');
  const { seen, decoder } = decodeChunks([bad]);
  assert.deepEqual(seen, [{ kind: 'error', error: 'bad-magic', fatal: true, code: null, packetType: 0 }]);
  decoder.push(req(16, 'more'));
  decoder.push(text('status\n'));
  assert.equal(seen.length, 1);
  assert.equal(decoder.pendingBytes, 0);
});

test('errors: the error object is a ProtocolError carrying its kind', () => {
  let got: unknown;
  const d = new Decoder({ onPacket() {}, onText() {}, onProtocolError(e) { got = e; } });
  d.push(rawPacket('REQ', 0, ''));
  assert.ok(got instanceof ProtocolError);
  assert.equal((got as ProtocolError).kind, 'unknown-type');
  assert.equal((got as ProtocolError).name, 'ProtocolError');
  assert.match((got as ProtocolError).message, /0/);
});

test('errors: \\0RES magic is non-fatal INVALID_MAGIC, its body is skipped and the next packet parsed', () => {
  // The body holds what would look like a packet; it must not be parsed.
  const inner = req(16, 'smuggled');
  assert.deepEqual(decodeWhole(Buffer.concat([rawPacket('RES', 16, inner), req(16, 'real')])), [
    { kind: 'error', error: 'response-magic', fatal: false, code: 'INVALID_MAGIC', packetType: 16 },
    { kind: 'packet', type: 16, args: [], data: Buffer.from('real').toString('hex') },
  ]);
});

test('errors: \\0RES magic for every response-only type is still just INVALID_MAGIC', () => {
  for (const t of [6, 8, 10, 11, 17, 19, 20, 27, 31, 40, 42]) {
    assert.deepEqual(decodeWhole(Buffer.concat([rawPacket('RES', t, 'a\0b'), req(9)])), [
      { kind: 'error', error: 'response-magic', fatal: false, code: 'INVALID_MAGIC', packetType: t },
      { kind: 'packet', type: 9, args: [], data: null },
    ], `type ${t}`);
  }
});

test('errors: response-only types with request magic decode too (the decoder does not judge direction)', () => {
  assert.deepEqual(decodeWhole(Buffer.concat([req(6), req(19, 'CODE', 'text'), req(42, 'u', '1', '0', '0', '0', '2')])), [
    { kind: 'packet', type: 6, args: [], data: null },
    { kind: 'packet', type: 19, args: ['CODE', 'text'], data: null },
    { kind: 'packet', type: 42, args: ['u', '1', '0', '0', '0', '2'], data: null },
  ]);
});

for (const type of [0, 43, 44, 255, 0x80000000, 0xffffffff]) {
  test(`errors: packet type ${type} is fatal (unknown-type)`, () => {
    const { seen, decoder } = decodeChunks([req(9), rawPacket('REQ', type, 'abc'), req(9)]);
    assert.deepEqual(seen, [
      { kind: 'packet', type: 9, args: [], data: null },
      { kind: 'error', error: 'unknown-type', fatal: true, code: 'INVALID_COMMAND', packetType: type },
    ]);
    assert.equal(decoder.pendingBytes, 0);
  });
}

test('errors: an unknown type is reported as soon as the header is complete, before any body', () => {
  const header = rawPacket('REQ', 43, '', 1000);
  const { seen } = decodeChunks([header]);
  assert.equal(seen.length, 1);
  assert.equal((seen[0] as { error: string }).error, 'unknown-type');
});

test('errors: a declared length over the limit is fatal at the header, and nothing is buffered', () => {
  const sink = new RecordingSink();
  const d = new Decoder(sink, { maxBodyBytes: 100, maxTextLine: 8192 });
  d.push(rawPacket('REQ', 16, '', 101)); // header only: the body never needs to arrive
  assert.deepEqual(sink.seen, [{ kind: 'error', error: 'too-large', fatal: true, code: 'ARGUMENT_TOO_LARGE', packetType: 16 }]);
  assert.equal(d.pendingBytes, 0);
  d.push(Buffer.alloc(101, 0x41));
  d.push(req(16, 'x'));
  assert.equal(sink.seen.length, 1);
  assert.equal(d.pendingBytes, 0);
});

test('errors: exactly the limit is accepted', () => {
  const sink = new RecordingSink();
  const d = new Decoder(sink, { maxBodyBytes: 100, maxTextLine: 8192 });
  d.push(req(16, Buffer.alloc(100, 0x42)));
  assert.equal(sink.seen.length, 1);
  assert.equal(sink.seen[0]!.kind, 'packet');
});

test('errors: a 4 GiB declared length with the default limits is fatal at once, header split or not', () => {
  const header = rawPacket('REQ', 16, '', 0xffffffff);
  const expected = [{ kind: 'error', error: 'too-large', fatal: true, code: 'ARGUMENT_TOO_LARGE', packetType: 16 }];
  for (let i = 0; i <= header.length; i++) {
    assert.deepEqual(decodeChunks(splitAt(header, [i])).seen, expected, `split at ${i}`);
  }
  assert.ok(DEFAULT_DECODER_LIMITS.maxBodyBytes >= 64 * 1024 * 1024, 'a 64 MiB echo must fit by default');
});

test('errors: a declared length beyond the limit after good bytes in the same chunk', () => {
  const sink = new RecordingSink();
  const d = new Decoder(sink, { maxBodyBytes: 10, maxTextLine: 8192 });
  d.push(Buffer.concat([req(16, 'ok'), rawPacket('REQ', 16, 'x'.repeat(11))]));
  assert.deepEqual(sink.seen, [
    { kind: 'packet', type: 16, args: [], data: Buffer.from('ok').toString('hex') },
    { kind: 'error', error: 'too-large', fatal: true, code: 'ARGUMENT_TOO_LARGE', packetType: 16 },
  ]);
});

test('errors: missing separators skip exactly that packet (non-fatal INVALID_PACKET)', () => {
  const cases: [number, string][] = [
    [7, 'fnonly'],            // SUBMIT_JOB needs 2 NULs
    [7, 'fn\0unique'],        // one NUL short
    [23, 'fnonly'],           // CAN_DO_TIMEOUT needs 1 NUL
    [12, 'H:x:1\x002'],       // WORK_STATUS needs 2 NULs
    [35, 'fn\0u\0' + '1\0' + '2\0' + '3'], // SUBMIT_JOB_SCHED needs 7 NULs, has 5
    [13, 'H:x:1'],            // WORK_COMPLETE with no separator before its data
  ];
  for (const [type, body] of cases) {
    assert.deepEqual(decodeWhole(Buffer.concat([rawPacket('REQ', type, body), req(12, 'H:y:1', '3', '4')])), [
      { kind: 'error', error: 'missing-separator', fatal: false, code: 'INVALID_PACKET', packetType: type },
      { kind: 'packet', type: 12, args: ['H:y:1', '3', '4'], data: null },
    ], `type ${type} body ${JSON.stringify(body)}`);
  }
});

test('errors: the separator search never looks past the declared body (next packet has NULs)', () => {
  // SUBMIT_JOB with one NUL; the following packet's header and body are full of NULs.
  const bytes = Buffer.concat([rawPacket('REQ', 7, 'fn\0u'), req(7, 'f2', 'u2', 'w2')]);
  const expected = [
    { kind: 'error', error: 'missing-separator', fatal: false, code: 'INVALID_PACKET', packetType: 7 },
    { kind: 'packet', type: 7, args: ['f2', 'u2'], data: Buffer.from('w2').toString('hex') },
  ];
  assert.deepEqual(decodeWhole(bytes), expected);
  assert.deepEqual(decodeChunks(byteByByte(bytes)).seen, expected);
  // Through the decoder's own buffer with leftovers of an earlier, longer packet behind the end.
  const earlier = req(16, Buffer.alloc(300, 0));
  // The bad packet is last in that buffer, so only stale bytes (NULs) lie past its end.
  const chunks = [...splitAt(earlier, [5]), ...splitAt(rawPacket('REQ', 7, 'fn\0u'), [3]), req(7, 'f2', 'u2', 'w2')];
  assert.deepEqual(decodeChunks(chunks).seen.slice(1), expected);
});

test('errors: the last argument of a non-data packet takes the rest of the body, NULs included', () => {
  assert.deepEqual(decodeWhole(Buffer.concat([req(1, 'fn\0'), req(22, 'id\0with\0nuls'), req(23, 'f', '10\0')])), [
    { kind: 'packet', type: 1, args: ['fn\0'], data: null },
    { kind: 'packet', type: 22, args: ['id\0with\0nuls'], data: null },
    { kind: 'packet', type: 23, args: ['f', '10\0'], data: null },
  ]);
});

test('errors: a 0-argument packet with a body has the body ignored, and the stream carries on', () => {
  for (const type of [3, 4, 9, 24, 30, 39]) {
    assert.deepEqual(decodeWhole(Buffer.concat([rawPacket('REQ', type, 'junk\0junk'), req(16, 'next')])), [
      { kind: 'packet', type, args: [], data: null },
      { kind: 'packet', type: 16, args: [], data: Buffer.from('next').toString('hex') },
    ], `type ${type}`);
  }
});

test('errors: NUL bytes inside data are kept byte-exact', () => {
  const data = Buffer.from([0, 0, 0, 0x52, 0x45, 0x51, 0, 0, 0, 7, 0]);
  assert.deepEqual(decodeWhole(req(37, 'fn', 'u', 'red', 'agg', data)), [
    { kind: 'packet', type: 37, args: ['fn', 'u', 'red', 'agg'], data: data.toString('hex') },
  ]);
});

test('errors: a stream that begins with a short header waits rather than failing', () => {
  const { seen, decoder } = decodeChunks([Buffer.from([0, 0x52, 0x45])]);
  assert.deepEqual(seen, []);
  assert.equal(decoder.pendingBytes, 3);
});

test('errors: after a fatal error nothing stays buffered (pendingBytes is 0), whether or not bytes were held', () => {
  const cases: [string, Buffer[]][] = [
    ['too-large, header in one chunk', [rawPacket('REQ', 16, '', 0xffffffff)]],
    ['too-large, header split', splitAt(rawPacket('REQ', 16, '', 0xffffffff), [5])],
    ['unknown type, header split', splitAt(rawPacket('REQ', 43, ''), [5])],
    ['bad magic, header split', splitAt(rawPacket(Buffer.from([0, 1, 2, 3]), 16, ''), [2])],
    ['text too long, in pieces', [text('x'.repeat(4096)), text('x'.repeat(4096))]],
  ];
  for (const [name, chunks] of cases) {
    const { seen, decoder } = decodeChunks(chunks);
    assert.equal(seen.length, 1, name);
    assert.equal(decoder.pendingBytes, 0, `${name}: pendingBytes`);
  }
});
