import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PACKETS, type PacketSpec } from '../../src/protocol/packets.js';
import { encodePacket } from '../../src/protocol/encoder.js';
import { decodeWhole, req } from './codec-helpers.js';

/** Sample arguments for a packet type: distinct strings, and a blob with NULs and high bytes. */
function sample(spec: PacketSpec): { args: string[]; data: Buffer | null } {
  const args = spec.fields.slice(0, spec.args).map((f, i) => `${f}-${spec.type}-${i}\xff`);
  const data = spec.data ? Buffer.from([0, 1, 0, 0xff, 0x52, 0x45, 0x51, 0, spec.type]) : null;
  return { args, data };
}

const SPECS = PACKETS.filter((s): s is PacketSpec => s !== undefined);

test('round trip: every one of the 42 packet types encodes and decodes back to itself', () => {
  assert.equal(SPECS.length, 42);
  for (const spec of SPECS) {
    const { args, data } = sample(spec);
    const bytes = encodePacket(spec.type, args, data, 'REQ');
    const seen = decodeWhole(bytes);
    // Packets without arguments carry no body, so nothing comes back but the type.
    assert.deepEqual(seen, [{ kind: 'packet', type: spec.type, args, data: data?.toString('hex') ?? null }],
      spec.name);
  }
});

test('round trip: the encoder writes exactly the PROTOCOL.md framing (NUL after every argument but the last)', () => {
  for (const spec of SPECS) {
    const { args, data } = sample(spec);
    const parts: (string | Buffer)[] = data ? [...args, data] : args;
    assert.deepEqual(encodePacket(spec.type, args, data, 'REQ'), req(spec.type, ...parts), spec.name);
  }
});

test('round trip: response magic by default, request magic on request', () => {
  const res = encodePacket(8, ['H:x:1'], null);
  assert.equal(res.subarray(0, 4).toString('latin1'), '\0RES');
  assert.equal(res.readUInt32BE(4), 8);
  assert.equal(res.readUInt32BE(8), 5);
  const reqBytes = encodePacket(8, ['H:x:1'], null, 'REQ');
  assert.equal(reqBytes.subarray(0, 4).toString('latin1'), '\0REQ');
  assert.deepEqual(reqBytes.subarray(4), res.subarray(4));
});

test('round trip: the PROTOCOL.md §1.1 byte example', () => {
  // 00 52 45 51 | 00 00 00 07 | 00 00 00 0d | "reverse" 00 | 00 | "test"
  const expected = Buffer.from('00524551' + '00000007' + '0000000d' + '72657665727365' + '00' + '00' + '74657374', 'hex');
  assert.deepEqual(encodePacket(7, ['reverse', ''], Buffer.from('test'), 'REQ'), expected);
  assert.deepEqual(decodeWhole(expected), [{ kind: 'packet', type: 7, args: ['reverse', ''], data: Buffer.from('test').toString('hex') }]);
  const created = Buffer.from('00524553' + '00000008' + '00000007' + Buffer.from('H:lap:1').toString('hex'), 'hex');
  assert.deepEqual(encodePacket(8, ['H:lap:1'], null), created);
});

test('round trip: empty arguments and empty blobs survive', () => {
  for (const spec of SPECS) {
    if (spec.args === 0 && !spec.data) continue;
    const args = spec.fields.slice(0, spec.args).map(() => '');
    const data = spec.data ? Buffer.alloc(0) : null;
    const bytes = encodePacket(spec.type, args, data, 'REQ');
    assert.equal(bytes.readUInt32BE(8), spec.data ? spec.args : spec.args - 1, `${spec.name} body is only separators`);
    assert.deepEqual(decodeWhole(bytes), [{ kind: 'packet', type: spec.type, args, data: data ? '' : null }], spec.name);
  }
});
