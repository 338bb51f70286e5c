/**
 * Every error a user can meet, with a stable code, the HTTP status it maps to and the Gearman
 * ERROR packet it becomes on the wire. Gearman codes and texts are gearmand's where gearmand has
 * one, because clients match on them. The README's error table is checked against this list.
 */
export interface ErrorSpec {
  readonly http: number;
  /** Gearman ERROR packet code (libgearman return name without GEARMAN_). */
  readonly gearmanCode: string;
  /** Gearman ERROR packet text. */
  readonly gearmanText: string;
  /** What it means, for documentation and HTTP messages. */
  readonly description: string;
}

export const ERRORS = {
  QUEUE_FULL: {
    http: 429, gearmanCode: 'QUEUE_ERROR', gearmanText: 'Job queue is full',
    description: 'The function reached its maxqueue limit for this priority.',
  },
  STORE_FAILED: {
    http: 503, gearmanCode: 'QUEUE_ERROR', gearmanText: 'Job could not be stored',
    description: 'The store refused the write (for example a full disk); the job was not accepted.',
  },
  FUNCTION_TOO_LARGE: {
    http: 400, gearmanCode: 'ARGUMENT_TOO_LARGE', gearmanText: 'Function name too large',
    description: 'Function names are limited to 512 bytes.',
  },
  FUNCTION_EMPTY: {
    http: 400, gearmanCode: 'INVALID_ARGUMENT', gearmanText: 'Function name is empty',
    description: 'A job needs a function name.',
  },
  UNIQUE_TOO_LARGE: {
    http: 400, gearmanCode: 'ARGUMENT_TOO_LARGE', gearmanText: 'Unique value too large',
    description: 'Unique ids are limited to 64 bytes.',
  },
  PAYLOAD_TOO_LARGE: {
    http: 413, gearmanCode: 'ARGUMENT_TOO_LARGE', gearmanText: 'Workload too large',
    description: 'The payload exceeds the configured --max-payload.',
  },
  INVALID_SCHEDULE: {
    http: 400, gearmanCode: 'INVALID_ARGUMENT', gearmanText: 'Invalid schedule',
    description: 'SUBMIT_JOB_SCHED fields or an epoch time could not be parsed.',
  },
  JOB_NOT_FOUND_RESULT: {
    http: 404, gearmanCode: 'JOB_NOT_FOUND', gearmanText: 'Job given in work result not found',
    description: 'WORK_STATUS/COMPLETE/FAIL for a job this connection does not hold.',
  },
  JOB_NOT_FOUND_DATA: {
    http: 404, gearmanCode: 'JOB_NOT_FOUND', gearmanText: 'Job does not exist on server',
    description: 'WORK_DATA/WORK_WARNING for a job this connection does not hold.',
  },
  JOB_NOT_FOUND_EXCEPTION: {
    http: 404, gearmanCode: 'JOB_NOT_FOUND',
    gearmanText: 'An exception was received for a job that does not exist',
    description: 'WORK_EXCEPTION for a job this connection does not hold.',
  },
  HANDLE_TOO_LARGE: {
    http: 400, gearmanCode: 'ARGUMENT_TOO_LARGE', gearmanText: 'Job handle too large',
    description: 'Job handles are at most 63 bytes.',
  },
  INVALID_MAGIC: {
    http: 400, gearmanCode: 'INVALID_MAGIC', gearmanText: 'Request magic expected',
    description: 'A packet with response magic (\\0RES) was sent to the server.',
  },
  INVALID_COMMAND: {
    http: 400, gearmanCode: 'INVALID_COMMAND', gearmanText: 'Command not expected',
    description: 'A packet type the server does not accept from peers.',
  },
  INVALID_PACKET: {
    http: 400, gearmanCode: 'INVALID_PACKET', gearmanText: 'Malformed packet',
    description: 'A packet body without the NUL separators its type requires.',
  },
  PACKET_TOO_LARGE: {
    http: 413, gearmanCode: 'ARGUMENT_TOO_LARGE', gearmanText: 'Packet too large',
    description: 'A packet declared a body longer than the server accepts; the connection is closed.',
  },
  UNKNOWN_OPTION: {
    http: 400, gearmanCode: 'UNKNOWN_OPTION', gearmanText: 'Server does not recognize given option',
    description: 'OPTION_REQ for an option other than `exceptions`.',
  },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERRORS;
