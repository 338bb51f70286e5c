import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Decoder } from '../../src/protocol/decoder.js';
import { RecordingSink, byteByByte, decodeChunks, decodeWhole, req, text } from './codec-helpers.js';

test('text: \\r\\n and bare \\n both end a line, one \\r is removed', () => {
  assert.deepEqual(decodeWhole(text('status\r\nworkers\nversion\r\r\n')), [
    { kind: 'text', line: 'status' },
    { kind: 'text', line: 'workers' },
    { kind: 'text', line: 'version\r' },
  ]);
});

test('text: leading spaces, inner runs of spaces and case are passed through untouched', () => {
  assert.deepEqual(decodeWhole(text(' status\nSHOW   jobs \n')), [
    { kind: 'text', line: ' status' },
    { kind: 'text', line: 'SHOW   jobs ' },
  ]);
});

test('text: an empty line (bare \\n or \\r\\n) is reported as an empty line', () => {
  assert.deepEqual(decodeWhole(text('\n\r\n')), [{ kind: 'text', line: '' }, { kind: 'text', line: '' }]);
});

test('text: a line without its newline is held until the newline arrives', () => {
  const { seen, decoder } = decodeChunks([text('stat')]);
  assert.deepEqual(seen, []);
  decoder.push(text('us\r'));
  assert.deepEqual(seen, []);
  decoder.push(text('\n'));
  assert.deepEqual(seen, [{ kind: 'text', line: 'status' }]);
  assert.equal(decoder.pendingBytes, 0);
});

test('text: bytes above 0x7f are kept one char per byte (latin1)', () => {
  assert.deepEqual(decodeWhole(Buffer.from([0x63, 0xe9, 0xff, 0x0a])), [{ kind: 'text', line: 'c\xe9\xff' }]);
});

test('text: a line of 8191 bytes plus its newline (8192 in all) is accepted', () => {
  const line = 'x'.repeat(8191);
  assert.deepEqual(decodeWhole(text(line + '\n')), [{ kind: 'text', line }]);
  assert.deepEqual(decodeChunks(byteByByte(text('y'.repeat(8191) + '\n'))).seen, [{ kind: 'text', line: 'y'.repeat(8191) }]);
});

test('text: 8192 bytes without a newline is fatal (text-too-long), in one chunk or in pieces', () => {
  const expected = [{ kind: 'error', error: 'text-too-long', fatal: true, code: null, packetType: 0 }];
  assert.deepEqual(decodeWhole(text('x'.repeat(8192))), expected);
  assert.deepEqual(decodeWhole(text('x'.repeat(8192) + '\n')), expected);
  const pieces = [text('x'.repeat(4000)), text('x'.repeat(4000)), text('x'.repeat(192))];
  const { seen, decoder } = decodeChunks(pieces);
  assert.deepEqual(seen, expected);
  decoder.push(text('\nstatus\n'));
  assert.deepEqual(seen, expected, 'nothing after a fatal error');
});

test('text: a long but incomplete line below the limit is not an error yet', () => {
  const { seen, decoder } = decodeChunks([text('x'.repeat(8000))]);
  assert.deepEqual(seen, []);
  assert.equal(decoder.pendingBytes, 8000);
});

test('text: the limit is per line, not per chunk', () => {
  const lines = Array.from({ length: 10 }, (_, i) => `line${i}` + 'z'.repeat(1000)).join('\n') + '\n';
  const seen = decodeWhole(text(lines));
  assert.equal(seen.length, 10);
  assert.ok(seen.every((s) => s.kind === 'text'));
});

test('text: a configured line limit is honoured', () => {
  const sink = new RecordingSink();
  const d = new Decoder(sink, { maxBodyBytes: 1024, maxTextLine: 16 });
  d.push(text('0123456789abcd\n')); // 15 bytes with the newline
  d.push(text('0123456789abcdef'));
  assert.deepEqual(sink.seen, [
    { kind: 'text', line: '0123456789abcd' },
    { kind: 'error', error: 'text-too-long', fatal: true, code: null, packetType: 0 },
  ]);
});

test('text: a NUL at a line boundary starts a binary packet, right after the newline', () => {
  assert.deepEqual(decodeWhole(Buffer.concat([text('version\n'), req(9), text('getpid\n')])), [
    { kind: 'text', line: 'version' },
    { kind: 'packet', type: 9, args: [], data: null },
    { kind: 'text', line: 'getpid' },
  ]);
});
