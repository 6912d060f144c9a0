/** A room member over a `ws` WebSocket (the Connection the room's logic speaks to). */
import type { Socket } from 'node:net';
import { WebSocket } from 'ws';
import type { Connection } from './connection.js';

/** One options object for every send (this is the broadcast's inner loop). */
const TEXT_FRAME = Object.freeze({ binary: false });

export class WsConnection implements Connection {
  /** `socket`: the TCP socket under `ws`, for reset(). */
  constructor(
    private readonly ws: WebSocket,
    private readonly socket?: Socket,
  ) {}

  get bufferedAmount(): number {
    return this.ws.bufferedAmount;
  }

  get isOpen(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }

  send(data: Buffer): void {
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
    this.ws.ping();
  }
}
