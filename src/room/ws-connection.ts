/** A room member over a `ws` WebSocket (the Connection the room's logic speaks to). */
import type { Socket } from 'node:net';
import { WebSocket } from 'ws';
import type { Connection } from './connection.js';
import { PING_FRAME, type PingCarried, type PingCarrier } from './ping-carrier.js';

/** One options object for every send (this is the broadcast's inner loop). */
const TEXT_FRAME = Object.freeze({ binary: false });

/**
 * A server's frames are not masked, so the WebSocket frame of one batch is the
 * same bytes for every member it goes to: built once (header and payload in one
 * buffer) and written to each socket as it is. Through ws.send, every member
 * would cost a header of its own and a corked two-buffer write (writev); in a
 * room of thousands that per-write work is most of a broadcast pass besides the
 * system call itself. Keyed by the batch buffer, which the outbox shares.
 */
const framed = new WeakMap<Buffer, Buffer>();

export function textFrame(payload: Buffer): Buffer {
  let frame = framed.get(payload);
  if (frame !== undefined) return frame;
  const length = payload.length;
  const header = length < 126 ? 2 : length < 65536 ? 4 : 10;
  frame = Buffer.allocUnsafe(header + length);
  frame[0] = 0x81; // FIN, text
  if (length < 126) frame[1] = length;
  else if (length < 65536) {
    frame[1] = 126;
    frame.writeUInt16BE(length, 2);
  } else {
    frame[1] = 127;
    frame.writeBigUInt64BE(BigInt(length), 2);
  }
  payload.copy(frame, header);
  framed.set(payload, frame);
  return frame;
}

/** A batch's frame followed by a ping frame: one write for a member that is also due a ping. Keyed like `framed`. */
const framedWithPing = new WeakMap<Buffer, Buffer>();

export function textFrameWithPing(payload: Buffer): Buffer {
  let frame = framedWithPing.get(payload);
  if (frame !== undefined) return frame;
  frame = Buffer.concat([textFrame(payload), PING_FRAME]);
  framedWithPing.set(payload, frame);
  return frame;
}

export class WsConnection implements Connection, PingCarried {
  pingDue = false;

  /**
   * `socket`: the TCP socket under `ws`, for reset() and direct writes.
   * `pings`: when given, pings ride on the next data write (ping-carrier.ts).
   */
  constructor(
    private readonly ws: WebSocket,
    private readonly socket?: Socket,
    private readonly pings?: PingCarrier,
  ) {}

  /** The socket, when frames may be written to it directly (see send). */
  private get direct(): Socket | undefined {
    const socket = this.socket;
    return socket !== undefined && this.ws.readyState === WebSocket.OPEN && this.ws.extensions === ''
      ? socket
      : undefined;
  }

  get bufferedAmount(): number {
    return this.ws.bufferedAmount;
  }

  get isOpen(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }

  send(data: Buffer): void {
    // Straight to the socket when that is what ws would do: the connection is open
    // and no extension (permessage-deflate, which the room never offers) transforms
    // frames. ws's own sends (pings, the close) also write at once, so order holds.
    const socket = this.direct;
    if (socket !== undefined) {
      if (this.pingDue) {
        // A control frame may follow a complete data frame: the owed ping leaves in this write.
        this.pingDue = false;
        socket.write(textFrameWithPing(data));
      } else socket.write(textFrame(data));
      return;
    }
    // A text frame from bytes already UTF-8: ws writes the (shared) buffer as it is.
    this.ws.send(data, TEXT_FRAME);
  }

  close(code: number, reason: string): void {
    this.ws.close(code, reason);
  }

  terminate(): void {
    this.ws.terminate();
  }

  reset(): void {
    // A TCP reset: the kernel drops what it still holds for this socket at once.
    if (this.socket !== undefined && !this.socket.destroyed) this.socket.resetAndDestroy();
    else this.ws.terminate();
  }

  ping(): void {
    if (this.pings !== undefined && this.direct !== undefined) this.pings.want(this);
    else this.ws.ping();
  }

  sendPing(): void {
    this.pingDue = false;
    const socket = this.direct;
    if (socket !== undefined) socket.write(PING_FRAME);
    else if (this.ws.readyState === WebSocket.OPEN) this.ws.ping();
  }
}
