/**
 * The SDK in Node on the HTTP fallback, against a real room: it falls back when
 * the upgrade is refused or no welcome comes in time, keeps the choice, and its
 * events and send() are those it has over a WebSocket.
 */
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, describe, it } from 'node:test';
import { WebSocket, WebSocketServer } from 'ws';
import { ChatClient, type ChatClientOptions, type StateChange } from '../../src/client/sdk.js';
import { SseParser } from '../../src/client/sse-reader.js';
import { ADMIN_KEY, startTestServer } from '../helpers/server.js';
import { AUTH_SECRET, token } from '../helpers/tokens.js';
import { eventually } from '../helpers/wait.js';
import { TestClient } from '../helpers/ws-client.js';

const FAST = { initialMs: 20, maxMs: 200 };

/** A WebSocket whose upgrade is refused (as a proxy that breaks upgrades would): it asks for a path the room refuses. */
class RefusedWebSocket extends WebSocket {
  constructor(url: string) {
    super(`${url}no-upgrade-here`);
  }
}

describe('the SDK on the HTTP fallback', async () => {
  const t = await startTestServer({ AUTH_SECRET, ALLOW_GUESTS: 'on', RATE_LIMIT_MESSAGES: '1000' });
  const room = 'sdkhttp';
  const port = await t.createRoom(room);
  const url = `ws://127.0.0.1:${port}/`;
  const open: ChatClient[] = [];
  const client = (options: Partial<ChatClientOptions> = {}) => {
    const c = new ChatClient({ url, WebSocket: RefusedWebSocket, backoff: FAST, ...options });
    open.push(c);
    return c;
  };
  after(() => {
    for (const c of open) c.close();
  });

  it('falls back when the upgrade is refused, and chats with a WebSocket member with the same events', async () => {
    const chat = client();
    const states: StateChange[] = [];
    chat.on('state', (s) => states.push(s));
    const welcome = await chat.join({ name: 'Fallback' });
    assert.equal(chat.transport, 'http');
    assert.equal(welcome.room, room);
    const { client: ws } = await TestClient.join(port, { name: 'Socket' });
    const heard = new Promise<string>((resolve) =>
      chat.on('message', (m) => m.user.name === 'Socket' && resolve(m.text)),
    );
    ws.send({ type: 'message', text: 'hello over ws' });
    assert.equal(await heard, 'hello over ws');
    const sent = await chat.send('hello over http');
    assert.ok(sent.ok);
    const seen = await ws.next('message', (f) => f.text === 'hello over http');
    assert.equal(seen.id, sent.id);
    // A refusal settles send() as over a WebSocket.
    const empty = await chat.send('   ');
    assert.equal(empty.ok, false);
    assert.equal(!empty.ok && empty.error.code, 'EMPTY');
    // The users list, a frame with an answer of its own.
    const users = new Promise<number>((resolve) => chat.on('users', (u) => resolve(u.users.length)));
    assert.equal(chat.users(), true);
    assert.ok((await users) >= 2);
    // One attempt, whichever transport took it.
    assert.deepEqual(
      states.map((s) => s.state),
      ['connecting', 'open'],
    );
    ws.close();
  });

  it('remembers the fallback for later clients of the same host', async () => {
    let constructed = 0;
    class CountedWebSocket extends RefusedWebSocket {
      constructor(url: string) {
        super(url);
        constructed += 1;
      }
    }
    const later = client({ WebSocket: CountedWebSocket });
    await later.join({ name: 'Later' });
    assert.equal(later.transport, 'http');
    assert.equal(constructed, 0, 'no WebSocket tried where one already failed');
  });

  it('falls back when no welcome comes over a WebSocket in time', async () => {
    // A server that takes the upgrade and then says nothing, as a broken proxy may.
    const silent = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    await new Promise((resolve) => silent.once('listening', resolve));
    after(() => {
      for (const ws of silent.clients) ws.terminate();
      silent.close();
    });
    const silentUrl = `ws://127.0.0.1:${(silent.address() as AddressInfo).port}/`;
    let tried = 0;
    class SilentWebSocket extends WebSocket {
      constructor() {
        super(silentUrl);
        tried += 1;
      }
    }
    // Another host name for the same room, where no fallback is remembered yet.
    const chat = client({ url: `ws://localhost:${port}/`, WebSocket: SilentWebSocket, fallbackAfterMs: 300 });
    await chat.join({ name: 'Patient' });
    assert.equal(chat.transport, 'http');
    assert.equal(tried, 1);
  });

  it('keeps HTTP after a drop and re-joins with since, filling the gap', async () => {
    const jwt = await token({ sub: 'kickme', name: 'Kick', room });
    const chat = client();
    await chat.join({ token: jwt });
    const { client: ws } = await TestClient.join(port, { name: 'Talker' });
    ws.send({ type: 'message', text: 'before the kick', ref: 'b' });
    await ws.next('ack');
    await eventually('the first line', () => chat.lastMessageId > 0);
    const states: StateChange[] = [];
    chat.on('state', (s) => states.push(s));
    const res = await fetch(`${t.admin}/room/${room}/kick`, {
      method: 'POST',
      headers: { 'X-API-Key': ADMIN_KEY, 'Content-Type': 'application/json' },
      body: JSON.stringify({ user: 'kickme' }),
    });
    assert.equal(res.status, 200);
    // The gap is filled whether the line comes before the re-join (in its recovered history) or after it.
    const filled = new Promise<string>((resolve) => {
      chat.on('message', (m) => m.text === 'while away' && resolve('message'));
      chat.on('welcome', (w) => w.history.some((m) => m.text === 'while away') && resolve(`history ${w.recovered}`));
    });
    await eventually('the kick', () => states.some((s) => s.state === 'reconnecting' && s.code === 4004));
    ws.send({ type: 'message', text: 'while away', ref: 'w' });
    await ws.next('ack', (f) => f.ref === 'w');
    assert.match(await filled, /^(message|history true)$/);
    await eventually('open again', () => chat.state === 'open');
    assert.equal(chat.transport, 'http');
    assert.equal(chat.state, 'open');
    ws.close();
  });

  it('stops for good when banned over HTTP (4003)', async () => {
    const jwt = await token({ sub: 'banme', name: 'Ban', room });
    const chat = client();
    await chat.join({ token: jwt });
    const closed = new Promise<StateChange>((resolve) => chat.on('state', (s) => s.state === 'closed' && resolve(s)));
    const res = await fetch(`${t.admin}/bans`, {
      method: 'POST',
      headers: { 'X-API-Key': ADMIN_KEY, 'Content-Type': 'application/json' },
      body: JSON.stringify({ user: 'banme', room }),
    });
    assert.equal(res.status, 201);
    const state = await closed;
    assert.equal(state.state === 'closed' && state.code, 4003);
    assert.equal(state.state === 'closed' && state.final, true);
  });

  it('works over HTTP only, and with no WebSocket at all', async () => {
    const only = client({ transport: 'http', WebSocket: WebSocket });
    await only.join({ name: 'Only' });
    assert.equal(only.transport, 'http');
    const none = new ChatClient({ url, backoff: FAST });
    open.push(none);
    // Node 20 has no global WebSocket: the SDK goes straight to HTTP.
    if ((globalThis as { WebSocket?: unknown }).WebSocket === undefined) {
      await none.join({ name: 'None' });
      assert.equal(none.transport, 'http');
    }
  });
});

describe('the SDK event-stream reader', () => {
  it('reads events split anywhere, with ids, comments and every line ending', () => {
    const parser = new SseParser();
    const text =
      ': keep-alive\n\nid: 7\ndata: {"a":1}\n\r\nevent: close\r\ndata: {"code":4003}\r\n\r\ndata: x\rdata: y\r\r\n';
    const bytes = new TextEncoder().encode(text);
    const events = [];
    for (let i = 0; i < bytes.length; i += 3) events.push(...parser.push(bytes.slice(i, i + 3)));
    assert.deepEqual(events, [
      { event: 'message', data: '{"a":1}', id: '7' },
      { event: 'close', data: '{"code":4003}', id: '7' },
      { event: 'message', data: 'x\ny', id: '7' },
    ]);
  });
});
