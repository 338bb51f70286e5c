/**
 * Accepted connections that read into one buffer shared by the whole server instead of a fresh
 * buffer per read.
 *
 * Node allocates a new ArrayBuffer for every socket read. Those are external memory to V8, and
 * external memory growing by some MiB starts an old-generation collection: with 10 KiB payloads,
 * about 20 mark-compacts a second at 12k jobs/s, and a bigger heap (the HTTP stack loaded) makes
 * each dearer. Reading into a buffer that is reused makes reads allocation-free.
 *
 * This is safe because nothing keeps a view of a read past its callback: the decoder copies an
 * incomplete packet's bytes into its own buffer, submissions' payloads are copied into strings by
 * their handler, and the blobs handed out as views (results and echoes being forwarded) are copied
 * into the receivers' output buffers before the callback returns (a read of 64 KiB cannot hold a
 * blob large enough for the output buffer to keep by reference; see LARGE_BLOB in
 * protocol/encoder.ts). Every socket of the process
 * reads on the one JavaScript thread, one read at a time, so one buffer serves them all.
 *
 * Node offers such reads (`onread`) only to sockets it creates from options, so the accepted
 * socket's handle is moved to a new Socket made that way, and the server's connection count moves
 * with it (Node decrements `_server._connections` when a socket closes).
 */
import { Socket, type Server } from 'node:net';

export const READ_BUFFER_BYTES = 64 * 1024;
const shared = Buffer.allocUnsafe(READ_BUFFER_BYTES);

interface SocketInternals {
  _handle: unknown;
  _server: Server | null;
  server: Server | null;
}

/**
 * Takes over a socket accepted with `pauseOnConnect` (not reading yet). `onData` gets each read as
 * a view of the shared buffer, valid only until it returns.
 */
export function withSharedReadBuffer(server: Server, accepted: Socket, onData: (chunk: Buffer) => void): Socket {
  const old = accepted as unknown as SocketInternals;
  const handle = old._handle;
  old._handle = null;
  old._server = null;
  old.server = null;
  const socket = new Socket({
    // Half-open like the server's own sockets: a peer that stops sending still gets its replies.
    handle, allowHalfOpen: true, readable: true, writable: true,
    onread: { buffer: shared, callback: (n: number) => { onData(shared.subarray(0, n)); } },
  } as ConstructorParameters<typeof Socket>[0] & { handle: unknown });
  const adopted = socket as unknown as SocketInternals;
  adopted._server = server;
  adopted.server = server;
  return socket;
}
