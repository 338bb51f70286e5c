import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_PACKET_TYPE, PACKETS, argumentCount, packetName } from '../../src/protocol/packets.js';

// PROTOCOL.md §2: number, name, total arguments in the body, whether the last one is a blob.
const EXPECTED: [number, string, number, boolean][] = [
  [1, 'CAN_DO', 1, false], [2, 'CANT_DO', 1, false], [3, 'RESET_ABILITIES', 0, false],
  [4, 'PRE_SLEEP', 0, false], [5, 'UNUSED', 0, false], [6, 'NOOP', 0, false],
  [7, 'SUBMIT_JOB', 3, true], [8, 'JOB_CREATED', 1, false], [9, 'GRAB_JOB', 0, false],
  [10, 'NO_JOB', 0, false], [11, 'JOB_ASSIGN', 3, true], [12, 'WORK_STATUS', 3, false],
  [13, 'WORK_COMPLETE', 2, true], [14, 'WORK_FAIL', 1, false], [15, 'GET_STATUS', 1, false],
  [16, 'ECHO_REQ', 1, true], [17, 'ECHO_RES', 1, true], [18, 'SUBMIT_JOB_BG', 3, true],
  [19, 'ERROR', 2, false], [20, 'STATUS_RES', 5, false], [21, 'SUBMIT_JOB_HIGH', 3, true],
  [22, 'SET_CLIENT_ID', 1, false], [23, 'CAN_DO_TIMEOUT', 2, false], [24, 'ALL_YOURS', 0, false],
  [25, 'WORK_EXCEPTION', 2, true], [26, 'OPTION_REQ', 1, false], [27, 'OPTION_RES', 1, false],
  [28, 'WORK_DATA', 2, true], [29, 'WORK_WARNING', 2, true], [30, 'GRAB_JOB_UNIQ', 0, false],
  [31, 'JOB_ASSIGN_UNIQ', 4, true], [32, 'SUBMIT_JOB_HIGH_BG', 3, true], [33, 'SUBMIT_JOB_LOW', 3, true],
  [34, 'SUBMIT_JOB_LOW_BG', 3, true], [35, 'SUBMIT_JOB_SCHED', 8, true], [36, 'SUBMIT_JOB_EPOCH', 4, true],
  [37, 'SUBMIT_REDUCE_JOB', 5, true], [38, 'SUBMIT_REDUCE_JOB_BACKGROUND', 5, true],
  [39, 'GRAB_JOB_ALL', 0, false], [40, 'JOB_ASSIGN_ALL', 5, true], [41, 'GET_STATUS_UNIQUE', 1, false],
  [42, 'STATUS_RES_UNIQUE', 6, false],
];

test('packet table: 42 types with the numbers, names and argument layouts of PROTOCOL.md §2', () => {
  assert.equal(MAX_PACKET_TYPE, 42);
  assert.equal(PACKETS[0], undefined);
  assert.equal(PACKETS[43], undefined);
  for (const [type, name, argc, data] of EXPECTED) {
    const spec = PACKETS[type];
    assert.ok(spec, `type ${type} missing`);
    assert.equal(spec.type, type);
    assert.equal(spec.name, name);
    assert.equal(argumentCount(spec), argc, `${name} argument count`);
    assert.equal(spec.data, data, `${name} data flag`);
    assert.equal(spec.fields.length, argc, `${name} field names`);
    assert.equal(packetName(type), name);
  }
  assert.equal(EXPECTED.length, 42);
});

test('packet table: directions match who may send each packet', () => {
  const requests = [1, 2, 3, 4, 7, 9, 15, 16, 18, 21, 22, 23, 24, 26, 30, 32, 33, 34, 35, 36, 37, 38, 39, 41];
  const responses = [6, 8, 10, 11, 17, 19, 20, 27, 31, 40, 42];
  const both = [12, 13, 14, 25, 28, 29];
  for (const t of requests) assert.equal(PACKETS[t]!.dir, 'R', PACKETS[t]!.name);
  for (const t of responses) assert.equal(PACKETS[t]!.dir, 'S', PACKETS[t]!.name);
  for (const t of both) assert.equal(PACKETS[t]!.dir, 'RS', PACKETS[t]!.name);
  assert.equal(PACKETS[5]!.dir, '-');
});

test('packetName: unknown types are named, not thrown on', () => {
  assert.equal(packetName(0), 'UNKNOWN(0)');
  assert.equal(packetName(43), 'UNKNOWN(43)');
});
