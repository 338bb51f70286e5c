import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OutBuffer, encodePacket } from '../../src/protocol/encoder.js';
import { rawPacket } from './codec-helpers.js';

/** The bytes a server response must have, built without the encoder. */
function res(type: number, ...parts: (string | Buffer)[]): Buffer {
  const bufs: Buffer[] = [];
  parts.forEach((p, i) => {
    if (i > 0) bufs.push(Buffer.from([0]));
    bufs.push(typeof p === 'string' ? Buffer.from(p, 'latin1') : p);
  });
  return rawPacket('RES', type, Buffer.concat(bufs));
}

/** Byte equality with a short report (length and first differing offset) instead of a huge diff. */
function sameBytes(actual: Buffer, expected: Buffer, what = 'bytes'): void {
  if (actual.equals(expected)) return;
  let i = 0;
  while (i < actual.length && i < expected.length && actual[i] === expected[i]) i++;
  assert.fail(`${what}: got ${actual.length} bytes, expected ${expected.length}; first difference at offset ${i}`);
}

function pattern(n: number, seed: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (i * 7 + seed + (i >> 9)) & 0xff;
  return b;
}

test('OutBuffer: packet0, packet1, packet and text write the exact bytes in order', () => {
  const out = new OutBuffer();
  out.packet0(6);
  out.packet1(8, 'H:x:1');
  out.packet(11, ['H:x:1', 'fn'], Buffer.from('a\0b'));
  out.packet(12, ['H:x:1', '1', '2'], null);
  out.packet(17, [], Buffer.from('echo'));
  out.text('OK\r\n');
  const expected = Buffer.concat([
    res(6), res(8, 'H:x:1'), res(11, 'H:x:1', 'fn', Buffer.from('a\0b')), res(12, 'H:x:1', '1', '2'),
    res(17, Buffer.from('echo')), Buffer.from('OK\r\n'),
  ]);
  assert.equal(out.size, expected.length);
  sameBytes(Buffer.concat(out.take()), expected);
});

test('OutBuffer: latin1 strings are written one byte per char', () => {
  const out = new OutBuffer();
  out.packet1(27, 'caf\xe9\xff');
  sameBytes(Buffer.concat(out.take()), res(27, Buffer.from([0x63, 0x61, 0x66, 0xe9, 0xff])));
});

test('OutBuffer: take() empties the buffer; a second take() returns nothing', () => {
  const out = new OutBuffer();
  assert.equal(out.isEmpty, true);
  assert.deepEqual(out.take(), []);
  out.packet0(10);
  assert.equal(out.isEmpty, false);
  assert.equal(out.size, 12);
  assert.equal(Buffer.concat(out.take()).length, 12);
  assert.equal(out.isEmpty, true);
  assert.equal(out.size, 0);
  assert.deepEqual(out.take(), []);
  out.packet1(8, 'H:x:2');
  sameBytes(Buffer.concat(out.take()), res(8, 'H:x:2'), 'only what came after the last take');
});

test('OutBuffer: inline blobs of 100 B, 20 KB and 40 KB; chunks already taken are not changed by later writes', () => {
  for (const size of [100, 20000, 40000]) {
    const out = new OutBuffer();
    out.packet(17, [], pattern(size, 1));
    const first = Buffer.concat(out.take());
    sameBytes(first, res(17, pattern(size, 1)), `first turn (${size})`);
    for (let i = 0; i < 5; i++) out.packet(17, [], pattern(size, 2 + i));
    const second = Buffer.concat(out.take());
    sameBytes(first, res(17, pattern(size, 1)), `first turn still intact (${size})`);
    sameBytes(second, Buffer.concat([2, 3, 4, 5, 6].map((s) => res(17, pattern(size, s)))), `second turn (${size})`);
  }
});

test('OutBuffer: grows past its initial capacity keeping every byte', () => {
  const out = new OutBuffer();
  const expected: Buffer[] = [];
  for (let i = 0; i < 50; i++) {
    const d = pattern(3000 + i, i);
    out.packet(13, [`H:x:${i}`], d);
    expected.push(res(13, `H:x:${i}`, d));
  }
  sameBytes(Buffer.concat(out.take()), Buffer.concat(expected));
});

test('OutBuffer: a large blob (> 64 KiB) goes out as its own chunk and byte order is kept', () => {
  const out = new OutBuffer();
  const big = pattern(200 * 1024, 3);
  out.packet1(8, 'H:x:1');
  out.packet(13, ['H:x:1'], big);
  out.packet(28, ['H:x:2'], Buffer.from('small'));
  out.text('OK\n');
  const expected = Buffer.concat([res(8, 'H:x:1'), res(13, 'H:x:1', big), res(28, 'H:x:2', Buffer.from('small')), Buffer.from('OK\n')]);
  assert.equal(out.size, expected.length);
  const chunks = out.take();
  assert.ok(chunks.length >= 3, `expected the blob split out, got ${chunks.length} chunk(s)`);
  assert.ok(chunks.some((c) => c.length === big.length && c.equals(big)), 'one chunk is exactly the blob');
  sameBytes(Buffer.concat(chunks), expected);
  assert.equal(out.isEmpty, true);
});

test('OutBuffer: several large blobs in one turn, with packets between them, stay in order', () => {
  const out = new OutBuffer();
  const parts: Buffer[] = [];
  for (let i = 0; i < 4; i++) {
    const big = pattern(65 * 1024 + i, 10 + i);
    out.packet(17, [], big);
    parts.push(res(17, big));
    out.packet0(6);
    parts.push(res(6));
  }
  sameBytes(Buffer.concat(out.take()), Buffer.concat(parts));
  out.packet0(10);
  sameBytes(Buffer.concat(out.take()), res(10), 'the next turn starts clean');
});

test('OutBuffer: blobs just under and just over 64 KiB encode identically', () => {
  for (const n of [64 * 1024 - 1, 64 * 1024, 64 * 1024 + 1]) {
    const d = pattern(n, 5);
    const out = new OutBuffer();
    out.packet(13, ['H:x:9'], d);
    sameBytes(Buffer.concat(out.take()), res(13, 'H:x:9', d), `${n} bytes`);
  }
});

test('encodePacket: a fresh buffer per packet, large blobs included', () => {
  const big = pattern(100 * 1024, 9);
  sameBytes(encodePacket(40, ['H:x:1', 'fn', 'u', 'red'], big), res(40, 'H:x:1', 'fn', 'u', 'red', big));
  sameBytes(encodePacket(6, [], null), res(6));
});

test('OutBuffer: one inline packet larger than the free space (a 20 KB WORK_COMPLETE) is written whole', () => {
  const out = new OutBuffer();
  const d = pattern(20 * 1024, 4);
  out.packet(13, ['H:x:1'], d);
  const bytes = Buffer.concat(out.take());
  assert.equal(bytes.length, 12 + 6 + d.length);
  sameBytes(bytes, res(13, 'H:x:1', d));
});

test('OutBuffer: a blob given as a latin1 string encodes like the same bytes; an empty one keeps its separator', () => {
  for (const bytes of [Buffer.alloc(0), Buffer.from([0, 0xff, 0x80, 0x41]), pattern(20_000, 3), pattern(70_000, 5)]) {
    const asBytes = new OutBuffer();
    asBytes.packet(11, ['H:x:1', 'f'], bytes);
    const asText = new OutBuffer();
    asText.packet(11, ['H:x:1', 'f'], bytes.latin1Slice(0, bytes.length));
    sameBytes(Buffer.concat(asText.take()), Buffer.concat(asBytes.take()), `${bytes.length} bytes as text`);
  }
  const empty = new OutBuffer();
  empty.packet(11, ['H:x:1', 'f'], '');
  sameBytes(Buffer.concat(empty.take()), res(11, 'H:x:1', 'f', ''), 'JOB_ASSIGN with an empty payload');
});
