/**
 * The WebSocket class a room's server makes (ws's `WebSocket` option): ws's own,
 * with one field more, the room member it carries. The room's listeners can then
 * be one set of functions for every connection, each finding its member through
 * `this`, instead of four closures (and the context they share) per connection.
 * ws's automatic pong is off for the same reason (it keeps a callback closure on
 * every connection): the room's own ping listener answers instead. And its
 * listener table starts with the room's events in it, as Node's own streams do: an
 * EventEmitter's starts empty with no prototype, which V8 keeps as a hash table
 * (about 0.25 KB once a handful of events are listened to) rather than a small
 * object. In a room of thousands of idle members, these are about 0.5 KB of heap
 * each (docs/benchmarks.md, memory per idle connection).
 */
import { type RawData, WebSocket } from 'ws';
import type { Client } from './client.js';

/** The events a member's socket is listened to for (MemberListeners.attach). */
const listened = () => ({ close: undefined, error: undefined, message: undefined, ping: undefined, pong: undefined });

export class MemberSocket extends WebSocket {
  /** The member on this connection; set by MemberListeners.attach before any event can come. */
  member: Client | null = null;

  /** As ws's own (the server passes its arguments through). */
  constructor(...args: unknown[]) {
    super(...(args as [null]));
    // Without a prototype, as EventEmitter's own table; V8 keeps this one a small object.
    // (Removing a listener deletes its key and turns it back into a hash table: the
    // room and ws never remove these. eventNames() lists all five once any is set.)
    (this as unknown as { _events: object })._events = Object.setPrototypeOf(listened(), null) as object;
  }
}

/** What the listeners tell the room. */
export interface MemberRoom {
  receive(client: Client, data: string): void;
  detach(client: Client): void;
}

/** Without an 'error' listener, one malformed frame would crash the whole room. */
function onError(this: WebSocket): void {
  this.terminate();
}

function onPong(this: WebSocket): void {
  (this as MemberSocket).member?.pong();
}

/** One room's listeners, shared by all its connections. */
export class MemberListeners {
  private readonly onMessage: (this: WebSocket, data: RawData, isBinary: boolean) => void;
  private readonly onClose: (this: WebSocket) => void;
  private readonly onPing: (this: WebSocket, data: Buffer) => void;

  /**
   * `maxBufferedBytes`: a peer that pings while this much waits unsent for it is
   * not reading its answers, and is cut (as ws cuts one with 60 pongs unwritten).
   */
  constructor(room: MemberRoom, maxBufferedBytes: number) {
    // The protocol is JSON text; a binary message is refused as not JSON ('').
    this.onMessage = function (this: WebSocket, data: RawData, isBinary: boolean) {
      const member = (this as MemberSocket).member;
      if (member !== null) room.receive(member, isBinary ? '' : data.toString());
    };
    this.onClose = function (this: WebSocket) {
      const member = (this as MemberSocket).member;
      if (member !== null) room.detach(member);
    };
    // What ws's autoPong does, without its per-connection callback.
    this.onPing = function (this: WebSocket, data: Buffer) {
      if (this.readyState !== WebSocket.OPEN) return;
      if (this.bufferedAmount > maxBufferedBytes) this.terminate();
      else this.pong(data, false);
    };
  }

  /** Ties `client` to its socket and listens to it for the room. */
  attach(ws: MemberSocket, client: Client): void {
    ws.member = client;
    ws.on('error', onError);
    ws.on('ping', this.onPing);
    ws.on('pong', onPong);
    ws.on('message', this.onMessage);
    ws.on('close', this.onClose);
  }
}
