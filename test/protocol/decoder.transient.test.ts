/**
 * Forwarded blobs (transientData) come as views of the chunk they arrived in; everything that may
 * wait in a queue is a private copy, and so is anything assembled from several chunks.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Decoder, DEFAULT_DECODER_LIMITS, type PacketSink } from '../../src/protocol/decoder.js';
import { PacketType } from '../../src/protocol/packets.js';
import { requestPacket } from '../support/raw-client.js';

function collect(transient: number[]) {
  const got: { type: number; data: Buffer | null }[] = [];
  const sink: PacketSink = {
    onPacket: (type, _args, data) => got.push({ type, data }),
    onText: () => {},
    onProtocolError: (e) => assert.fail(e.message),
  };
  const d = new Decoder(sink, { ...DEFAULT_DECODER_LIMITS, transientData: new Set(transient) });
  return { d, got };
}

test('decoder: a transient blob that arrived whole is a view of its chunk; a queued payload is a copy', () => {
  const { d, got } = collect([PacketType.WORK_COMPLETE]);
  const chunk = Buffer.concat([
    requestPacket(PacketType.WORK_COMPLETE, ['H:x:1', 'result']),
    requestPacket(PacketType.SUBMIT_JOB, ['f', '', 'payload']),
  ]);
  d.push(chunk);
  assert.equal(got[0]!.data!.toString(), 'result');
  assert.equal(got[1]!.data!.toString(), 'payload');
  chunk.fill(0x2a);
  assert.equal(got[0]!.data!.toString(), '******', 'the forwarded result is a view of the chunk (no copy)');
  assert.equal(got[1]!.data!.toString(), 'payload', 'a payload that may wait in a queue is a copy that outlives the chunk');
});

test('decoder: a transient blob split over chunks is copied out of the decoder\'s own buffer', () => {
  const { d, got } = collect([PacketType.WORK_COMPLETE]);
  const bytes = requestPacket(PacketType.WORK_COMPLETE, ['H:x:1', 'split result']);
  d.push(bytes.subarray(0, 20));
  d.push(bytes.subarray(20));
  const again = requestPacket(PacketType.WORK_COMPLETE, ['H:x:2', 'XXXXXXXXXXXXXXXXXXXXXXXXXXXX']);
  d.push(again.subarray(0, 20));
  assert.equal(got[0]!.data!.toString(), 'split result', 'later bytes did not overwrite it');
});

test('decoder: a blob its receiver copies at once (copiedData) is a view even when split over chunks', () => {
  const got: string[] = [];
  const sink: PacketSink = {
    // The receiver copies during the callback, as the submit handlers do.
    onPacket: (_type, _args, data) => got.push(data!.latin1Slice(0, data!.length)),
    onText: () => {},
    onProtocolError: (e) => assert.fail(e.message),
  };
  const payload = Buffer.from(Array.from({ length: 300 }, (_, i) => i & 0xff));
  const bytes = requestPacket(PacketType.SUBMIT_JOB, ['f', 'u', payload.latin1Slice(0, payload.length)]);
  for (let split = 1; split < bytes.length; split++) {
    const d = new Decoder(sink, { ...DEFAULT_DECODER_LIMITS, copiedData: new Set([PacketType.SUBMIT_JOB]) });
    d.push(bytes.subarray(0, split));
    d.push(bytes.subarray(split));
  }
  assert.equal(got.length, bytes.length - 1);
  for (const text of got) assert.equal(text, payload.latin1Slice(0, payload.length));
});
