/**
 * What a room member's transport must do, and nothing more: the room's logic
 * speaks to this, never to `ws`, so a WebSocket member (ws-connection.ts) and an
 * HTTP member are the same thing to it. The transport, for its part, tells the
 * room when a frame arrives (Room.receive), when the peer answered a liveness
 * check (Client.pong) and when the connection has ended (Room.detach).
 */
export interface Connection {
  /** Bytes accepted by send() but not yet written to the network. */
  readonly bufferedAmount: number;
  /** Whether frames can still be sent (false once closing or closed). */
  readonly isOpen: boolean;
  /** Sends one text frame whose bytes are already UTF-8 (the buffer may be shared by many members). */
  send(data: Buffer): void;
  /** Starts an orderly close with a protocol close code and a short reason. */
  close(code: number, reason: string): void;
  /** Ends the connection at once, without a close handshake. */
  terminate(): void;
  /**
   * Ends the connection at once and drops what is still queued for the peer,
   * the kernel's send buffer included (a TCP reset): for a peer that stopped
   * reading, whose bytes would otherwise hold kernel memory after the close.
   * A transport without one terminates.
   */
  reset?(): void;
  /** Asks the peer for a sign of life; the transport calls Client.pong when it comes. */
  ping(): void;
}
