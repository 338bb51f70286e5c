/**
 * Malformed input found by the decoder. `fatal` means the byte stream can no longer be trusted
 * (framing is lost or the peer asked for more than we will buffer): the connection is answered
 * with `errorCode`/`message` when set, then closed. A non-fatal error skips exactly the bad packet.
 */
export type ProtocolErrorKind =
  | 'bad-magic'          // neither \0REQ nor \0RES: framing lost
  | 'response-magic'     // \0RES sent to the server: answered, packet skipped
  | 'unknown-type'       // type 0 or > 42
  | 'too-large'          // declared body longer than the configured limit
  | 'missing-separator'  // fewer NULs in the body than the packet type needs
  | 'text-too-long';     // admin line without a newline within the limit

export class ProtocolError extends Error {
  constructor(
    readonly kind: ProtocolErrorKind,
    readonly fatal: boolean,
    /** Gearman ERROR code to answer with, or null to close silently. */
    readonly errorCode: string | null,
    message: string,
    readonly packetType = 0,
  ) {
    super(message);
    this.name = 'ProtocolError';
  }
}
