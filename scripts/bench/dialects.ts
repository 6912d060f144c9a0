/**
 * What each server under test speaks, as the load generator needs it: how a
 * connection becomes ready (joined), what a published message looks like, how to
 * count deliveries in bytes it never decodes, and how to read the send time out of
 * a sampled delivery. Every published text starts with `t<send time in ms>|`.
 */
import { maskedFrame, type RawWs } from './raw-ws.js';

export type DialectName = 'chatserver' | 'ws' | 'socketio';

export interface Dialect {
  path: string;
  /** Sent right after the handshake (the chat join); undefined: nothing. */
  hello?(name: string): string;
  /**
   * A whole message while the connection is collecting: returns 'ready' the first
   * time the connection is usable, and pushes the send time of every delivery in it.
   */
  onMessage(conn: RawWs, text: string, sendTimes: number[]): 'ready' | undefined;
  /** Deliveries held in a message seen only as counts (answers heartbeats too). */
  deliveries(conn: RawWs, firstByte: number, length: number, newlines: number): number;
  /** One published message as a ready-to-write client frame. */
  publish(text: string): Buffer;
  /** Whether a connection is ready as soon as the handshake completes. */
  readyOnOpen: boolean;
}

const sendTimeOf = (text: unknown): number | undefined =>
  typeof text === 'string' && text.charCodeAt(0) === 116 /* t */ ? parseFloat(text.slice(1)) : undefined;

const ENGINE_PONG = maskedFrame('3');

const chatserver: Dialect = {
  path: '/',
  readyOnOpen: false,
  hello: (name) => JSON.stringify({ type: 'join', name }),
  onMessage(_conn, text, sendTimes) {
    let ready: 'ready' | undefined;
    for (const line of text.split('\n')) {
      const frame = JSON.parse(line) as { type: string; text?: string };
      if (frame.type === 'welcome') ready = 'ready';
      else if (frame.type === 'message') {
        const t = sendTimeOf(frame.text);
        if (t !== undefined) sendTimes.push(t);
      }
    }
    return ready;
  },
  deliveries: (_conn, _first, _length, newlines) => newlines + 1,
  publish: (text) => maskedFrame(JSON.stringify({ type: 'message', text })),
};

const ws: Dialect = {
  path: '/',
  readyOnOpen: true,
  onMessage(_conn, text, sendTimes) {
    for (const line of text.split('\n')) {
      const t = sendTimeOf((JSON.parse(line) as { text?: string }).text);
      if (t !== undefined) sendTimes.push(t);
    }
    return undefined;
  },
  deliveries: (_conn, _first, _length, newlines) => newlines + 1,
  publish: (text) => maskedFrame(JSON.stringify({ type: 'message', text })),
};

/** Engine.IO v4 / Socket.IO v5 protocol over the WebSocket transport, by hand. */
const socketio: Dialect = {
  path: '/socket.io/?EIO=4&transport=websocket',
  readyOnOpen: false,
  onMessage(conn, text, sendTimes) {
    if (text === '2') conn.write(ENGINE_PONG);
    else if (text.startsWith('0{')) conn.send('40');
    else if (text.startsWith('40')) return 'ready';
    else if (text.startsWith('42')) {
      const [, data] = JSON.parse(text.slice(2)) as [string, { text?: string }];
      const t = sendTimeOf(data?.text);
      if (t !== undefined) sendTimes.push(t);
    }
    return undefined;
  },
  deliveries(conn, first, length) {
    if (first === 0x34 /* 4 */) return 1;
    if (first === 0x32 /* 2 */ && length === 1) conn.write(ENGINE_PONG);
    return 0;
  },
  publish: (text) => maskedFrame(`42${JSON.stringify(['message', { type: 'message', text }])}`),
};

export const dialects: Record<DialectName, Dialect> = { chatserver, ws, socketio };
