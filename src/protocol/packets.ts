/**
 * The Gearman binary packet table: one row per packet type. The decoder, the encoder, log
 * formatting and the tests all read this table, so a packet's shape is stated exactly once.
 *
 * `args` is the number of NUL-terminated arguments before the last one; `data` says whether the
 * last argument is an opaque blob (may contain NULs, may be large). A packet's body therefore holds
 * `args + (data ? 1 : 0)` arguments when `args > 0 || data`, the last one not NUL-terminated.
 * When `data` is false and `args > 0`, the last of the `args` arguments is unterminated.
 */
export const enum PacketType {
  CAN_DO = 1,
  CANT_DO = 2,
  RESET_ABILITIES = 3,
  PRE_SLEEP = 4,
  UNUSED = 5,
  NOOP = 6,
  SUBMIT_JOB = 7,
  JOB_CREATED = 8,
  GRAB_JOB = 9,
  NO_JOB = 10,
  JOB_ASSIGN = 11,
  WORK_STATUS = 12,
  WORK_COMPLETE = 13,
  WORK_FAIL = 14,
  GET_STATUS = 15,
  ECHO_REQ = 16,
  ECHO_RES = 17,
  SUBMIT_JOB_BG = 18,
  ERROR = 19,
  STATUS_RES = 20,
  SUBMIT_JOB_HIGH = 21,
  SET_CLIENT_ID = 22,
  CAN_DO_TIMEOUT = 23,
  ALL_YOURS = 24,
  WORK_EXCEPTION = 25,
  OPTION_REQ = 26,
  OPTION_RES = 27,
  WORK_DATA = 28,
  WORK_WARNING = 29,
  GRAB_JOB_UNIQ = 30,
  JOB_ASSIGN_UNIQ = 31,
  SUBMIT_JOB_HIGH_BG = 32,
  SUBMIT_JOB_LOW = 33,
  SUBMIT_JOB_LOW_BG = 34,
  SUBMIT_JOB_SCHED = 35,
  SUBMIT_JOB_EPOCH = 36,
  SUBMIT_REDUCE_JOB = 37,
  SUBMIT_REDUCE_JOB_BACKGROUND = 38,
  GRAB_JOB_ALL = 39,
  JOB_ASSIGN_ALL = 40,
  GET_STATUS_UNIQUE = 41,
  STATUS_RES_UNIQUE = 42,
}

/** Who may send a packet type: R = to the server (request), S = from the server (response). */
export type Direction = 'R' | 'S' | 'RS' | '-';

export interface PacketSpec {
  readonly type: number;
  readonly name: string;
  readonly args: number;
  readonly data: boolean;
  readonly dir: Direction;
  /** Argument names, for log formatting and documentation. */
  readonly fields: readonly string[];
}

function p(type: number, name: string, dir: Direction, data: boolean, fields: string[]): PacketSpec {
  return { type, name, dir, data, args: data ? fields.length - 1 : fields.length, fields };
}

/** Indexed by packet type; index 0 and anything past the end are not packets. */
export const PACKETS: readonly (PacketSpec | undefined)[] = (() => {
  const rows = [
    p(1, 'CAN_DO', 'R', false, ['function']),
    p(2, 'CANT_DO', 'R', false, ['function']),
    p(3, 'RESET_ABILITIES', 'R', false, []),
    p(4, 'PRE_SLEEP', 'R', false, []),
    p(5, 'UNUSED', '-', false, []),
    p(6, 'NOOP', 'S', false, []),
    p(7, 'SUBMIT_JOB', 'R', true, ['function', 'unique', 'workload']),
    p(8, 'JOB_CREATED', 'S', false, ['handle']),
    p(9, 'GRAB_JOB', 'R', false, []),
    p(10, 'NO_JOB', 'S', false, []),
    p(11, 'JOB_ASSIGN', 'S', true, ['handle', 'function', 'workload']),
    p(12, 'WORK_STATUS', 'RS', false, ['handle', 'numerator', 'denominator']),
    p(13, 'WORK_COMPLETE', 'RS', true, ['handle', 'result']),
    p(14, 'WORK_FAIL', 'RS', false, ['handle']),
    p(15, 'GET_STATUS', 'R', false, ['handle']),
    p(16, 'ECHO_REQ', 'R', true, ['data']),
    p(17, 'ECHO_RES', 'S', true, ['data']),
    p(18, 'SUBMIT_JOB_BG', 'R', true, ['function', 'unique', 'workload']),
    p(19, 'ERROR', 'S', false, ['code', 'text']),
    p(20, 'STATUS_RES', 'S', false, ['handle', 'known', 'running', 'numerator', 'denominator']),
    p(21, 'SUBMIT_JOB_HIGH', 'R', true, ['function', 'unique', 'workload']),
    p(22, 'SET_CLIENT_ID', 'R', false, ['id']),
    p(23, 'CAN_DO_TIMEOUT', 'R', false, ['function', 'timeout']),
    p(24, 'ALL_YOURS', 'R', false, []),
    p(25, 'WORK_EXCEPTION', 'RS', true, ['handle', 'data']),
    p(26, 'OPTION_REQ', 'R', false, ['option']),
    p(27, 'OPTION_RES', 'S', false, ['option']),
    p(28, 'WORK_DATA', 'RS', true, ['handle', 'data']),
    p(29, 'WORK_WARNING', 'RS', true, ['handle', 'data']),
    p(30, 'GRAB_JOB_UNIQ', 'R', false, []),
    p(31, 'JOB_ASSIGN_UNIQ', 'S', true, ['handle', 'function', 'unique', 'workload']),
    p(32, 'SUBMIT_JOB_HIGH_BG', 'R', true, ['function', 'unique', 'workload']),
    p(33, 'SUBMIT_JOB_LOW', 'R', true, ['function', 'unique', 'workload']),
    p(34, 'SUBMIT_JOB_LOW_BG', 'R', true, ['function', 'unique', 'workload']),
    p(35, 'SUBMIT_JOB_SCHED', 'R', true,
      ['function', 'unique', 'minute', 'hour', 'day_of_month', 'month', 'day_of_week', 'workload']),
    p(36, 'SUBMIT_JOB_EPOCH', 'R', true, ['function', 'unique', 'epoch', 'workload']),
    p(37, 'SUBMIT_REDUCE_JOB', 'R', true, ['function', 'unique', 'reducer', 'aggregator', 'workload']),
    p(38, 'SUBMIT_REDUCE_JOB_BACKGROUND', 'R', true,
      ['function', 'unique', 'reducer', 'aggregator', 'workload']),
    p(39, 'GRAB_JOB_ALL', 'R', false, []),
    p(40, 'JOB_ASSIGN_ALL', 'S', true, ['handle', 'function', 'unique', 'reducer', 'workload']),
    p(41, 'GET_STATUS_UNIQUE', 'R', false, ['unique']),
    p(42, 'STATUS_RES_UNIQUE', 'S', false,
      ['unique', 'known', 'running', 'numerator', 'denominator', 'clients']),
  ];
  const table: (PacketSpec | undefined)[] = [undefined];
  for (const row of rows) table[row.type] = row;
  return table;
})();

/** Highest valid packet type (gearmand's GEARMAN_COMMAND_MAX is one more). */
export const MAX_PACKET_TYPE = 42;

export const REQ_MAGIC = 0x00524551; // "\0REQ"
export const RES_MAGIC = 0x00524553; // "\0RES"
export const HEADER_SIZE = 12;

export function packetName(type: number): string {
  return PACKETS[type]?.name ?? `UNKNOWN(${type})`;
}

/** Total arguments in the body of a packet type (the last one unterminated). */
export function argumentCount(spec: PacketSpec): number {
  return spec.args + (spec.data ? 1 : 0);
}
