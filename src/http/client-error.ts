/**
 * What a listener answers to a request Node's HTTP parser refuses before it
 * reaches the app (the `clientError` event): headers over MAX_HEADER_BYTES get
 * 431, a request that took too long 408, anything else malformed 400, each with
 * `Connection: close` and a small JSON body in the API's error shape; then the
 * connection is closed. A socket that can no longer be written to is destroyed.
 *
 * The answer is written, our side is half-closed, and what the client is still
 * sending (the rest of a 10 MB header line) is read and dropped for a moment
 * before the socket is destroyed: closing a socket with unread data makes the
 * kernel reset the connection, and the client would lose the answer with it.
 */
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';

/** The most bytes of request line and headers a listener takes (Node's default, set explicitly). */
export const MAX_HEADER_BYTES = 16 * 1024;
/** How long a refused client's remaining bytes are read and dropped before the socket is destroyed. */
const LINGER_MS = 1_000;

function answerFor(code: string | undefined): { status: number; message: string } {
  switch (code) {
    case 'HPE_HEADER_OVERFLOW':
      return { status: 431, message: `The request line and headers exceed ${MAX_HEADER_BYTES} bytes` };
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return { status: 408, message: 'The request was not received in time' };
    default:
      return { status: 400, message: 'The request is not valid HTTP/1.1' };
  }
}

/** Sockets already answered and lingering: the parser reports more errors on them as the client keeps sending. */
const answered = new WeakSet<Duplex>();

export function answerClientError(error: Error & { code?: string }, socket: Duplex): void {
  // A later error on an answered socket must not destroy it: that would reset the
  // connection before the client has read the answer. The linger timer ends it.
  if (answered.has(socket)) return;
  if (error.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  answered.add(socket);
  const { status, message } = answerFor(error.code);
  // BAD_REQUEST for all three: the client's request is what must change (src/errors.ts has one code for it).
  const body = JSON.stringify({ error: { code: 'BAD_REQUEST', message } });
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
  socket.on('data', () => undefined);
  socket.on('error', () => undefined);
  socket.resume();
  const timer = setTimeout(() => socket.destroy(), LINGER_MS);
  timer.unref();
  socket.once('close', () => clearTimeout(timer));
}
