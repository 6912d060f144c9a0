import assert from 'node:assert/strict';
import { type AddressInfo, createServer, type Socket } from 'node:net';
import { after, describe, it } from 'node:test';
import { WebSocket, WebSocketServer } from 'ws';
import {
  backoffDelay,
  ChatClient,
  type ChatClientOptions,
  type StateChange,
  type WelcomeFrame,
} from '../../src/client/sdk.js';
import { AUTH_SECRET, token } from '../helpers/tokens.js';
import { startTestServer } from '../helpers/server.js';
import { TestClient } from '../helpers/ws-client.js';

const FAST = { initialMs: 20, maxMs: 200 };
const WAIT_MS = 5_000;

/** Fails instead of hanging when `promise` does not settle within a few seconds. */
function within<T>(promise: Promise<T>, what: string): Promise<T> {
  return Promise.race([
    promise,
    new Promise<T>((_r, reject) =>
      setTimeout(() => reject(new Error(`${what}: not within ${WAIT_MS} ms`)), WAIT_MS).unref(),
    ),
  ]);
}

/** A gate a test opens by hand: the SDK's url function waits on it before reconnecting. */
function gate(): { wait: Promise<void>; open(): void } {
  let open = () => undefined as void;
  const wait = new Promise<void>((resolve) => (open = resolve));
  return { wait, open };
}

describe('client SDK', async () => {
  const t = await startTestServer({ AUTH_SECRET, ALLOW_GUESTS: 'on', RATE_LIMIT_MESSAGES: '1000' });
  const port = await t.createRoom('sdkroom');
  const url = `ws://127.0.0.1:${port}/`;
  const open: ChatClient[] = [];
  const client = (options: Partial<ChatClientOptions> = {}) => {
    const c = new ChatClient({ url, WebSocket, backoff: FAST, ...options });
    open.push(c);
    return c;
  };
  const states = (c: ChatClient) => {
    const seen: StateChange[] = [];
    c.on('state', (s) => seen.push(s));
    return seen;
  };
  after(() => open.forEach((c) => c.close()));

  it('joins as a guest and is welcomed with its identity and the viewer count', async () => {
    const c = client();
    const seen = states(c);
    const welcome = await within(c.join({ name: 'Ann' }), 'welcome');
    assert.equal(welcome.room, 'sdkroom');
    assert.equal(welcome.you.name, 'Ann');
    assert.equal(welcome.you.role, 'guest');
    assert.ok(welcome.viewers >= 1);
    assert.deepEqual(c.me, welcome.you);
    assert.equal(c.state, 'open');
    assert.deepEqual(
      seen.map((s) => s.state),
      ['connecting', 'open'],
    );
  });

  it('keeps the guest token of its welcome and tries another name on the same connection after a refusal', async () => {
    const c = client();
    const refused = c.once('error', (e) => e.code === 'NAME_RESERVED');
    const welcomed = c.join({ name: 'the host' });
    const error = await within(refused, 'refusal');
    assert.match(error.message, /reserved/);
    assert.equal(c.rename('Rosa'), true);
    const welcome = await within(welcomed, 'welcome');
    assert.equal(welcome.you.name, 'Rosa');
    assert.equal(c.guestToken, welcome.guestToken);
    const again = client();
    const back = await within(again.join({ name: 'Rosa', guestToken: c.guestToken! }), 'same guest');
    assert.equal(back.you.id, welcome.you.id);
  });

  it('resolves a send with the id from the ack, and delivers its own copy as a message', async () => {
    const c = client();
    await within(c.join({ name: 'Bob' }), 'welcome');
    const own = c.once('message', (m) => m.text === 'hello there');
    const result = await within(c.send('hello there', 'r1'), 'ack');
    assert.deepEqual(result, { ok: true, ref: 'r1', id: result.ok ? result.id : -1 });
    const message = await within(own, 'own message');
    assert.equal(result.ok && message.id, result.ok && result.id);
    assert.equal(message.user.name, 'Bob');
    assert.equal(c.lastMessageId, message.id);
  });

  it('resolves a refused send with the room error and emits it as an error event', async () => {
    const c = client();
    await within(c.join({ name: 'Cy' }), 'welcome');
    const errorEvent = c.once('error');
    const result = await within(c.send('   '), 'refusal');
    assert.equal(result.ok, false);
    assert.equal(!result.ok && result.error.code, 'EMPTY');
    assert.equal((await errorEvent).ref, result.ref);
  });

  it('refuses to send while not joined, without throwing', async () => {
    const c = client();
    const result = await c.send('too early');
    assert.equal(!result.ok && result.error.code, 'NOT_CONNECTED');
  });

  it('splits newline-batched WebSocket messages into frames, in order', async () => {
    const raw: string[] = [];
    class RecordingWebSocket extends WebSocket {
      constructor(address: string) {
        super(address);
        this.on('message', (data) => raw.push(data.toString()));
      }
    }
    const c = client({ WebSocket: RecordingWebSocket });
    await within(c.join({ name: 'Reader' }), 'welcome');
    const { client: writer } = await TestClient.join(port, { name: 'Writer' });
    const texts: string[] = [];
    c.on('message', (m) => {
      if (m.user.name === 'Writer') texts.push(m.text);
    });
    // Frames written in one burst reach the room in one read and leave batched;
    // a few rounds at most, in case the network split the first burst.
    const expected: string[] = [];
    for (let round = 0; round < 5 && !raw.some((r) => r.includes('\n')); round++) {
      const batch = Array.from({ length: 40 }, (_, i) => `round ${round} line ${i}`);
      expected.push(...batch);
      const last = c.once('message', (m) => m.text === batch.at(-1));
      for (const text of batch) writer.send({ type: 'message', text });
      await within(last, 'last line of the round');
    }
    writer.close();
    assert.ok(
      raw.some((r) => r.split('\n').length > 1),
      'at least one WebSocket message carried several frames',
    );
    assert.deepEqual(texts, expected);
  });

  it('reconnects after the server closes the socket and fills the gap with `since`', async () => {
    const hold = gate();
    let drops = 0;
    const c = client({
      url: async () => {
        if (drops > 0) await hold.wait;
        return url;
      },
    });
    await within(c.join({ token: await token({ sub: 'kicked-user', name: 'Kim' }) }), 'welcome');
    const { client: other } = await TestClient.join(port, { name: 'Other' });
    other.send({ type: 'message', text: 'before the drop' });
    await within(
      c.once('message', (m) => m.text === 'before the drop'),
      'line before the drop',
    );
    const lastBefore = c.lastMessageId;

    const reconnecting = c.once('state', (s) => s.state === 'reconnecting');
    drops += 1;
    const kick = await t.adminFetch('/room/sdkroom/kick', {
      method: 'POST',
      body: JSON.stringify({ user: 'kicked-user' }),
    });
    assert.equal(kick.status, 200);
    const change = await within(reconnecting, 'reconnecting');
    assert.equal(change.state === 'reconnecting' && change.code, 4004);

    // While the client waits to reconnect, the room goes on without it.
    for (const text of ['missed one', 'missed two']) {
      other.send({ type: 'message', text, ref: text });
      await other.next('ack', (f) => f.ref === text);
    }
    const rejoined = c.once('welcome');
    hold.open();
    const welcome: WelcomeFrame = await within(rejoined, 'welcome after reconnect');
    other.close();
    assert.equal(welcome.recovered, true);
    assert.deepEqual(
      welcome.history.map((m) => m.text),
      ['missed one', 'missed two'],
    );
    assert.ok(welcome.history.every((m) => m.id > lastBefore));
    assert.equal(c.state, 'open');
  });

  it('reconnects to a room that was shut down and re-created through the API, and recovers what it missed', async () => {
    await t.createRoom('phoenix');
    const hold = gate();
    let dropped = false;
    const lookup = async () => {
      if (dropped) await hold.wait;
      const res = await t.publicFetch('/room/phoenix', { key: null });
      if (res.status !== 200) throw new Error(`room lookup answered ${res.status}`);
      return `ws://127.0.0.1:${((await res.json()) as { data: { port: number } }).data.port}/`;
    };
    const c = client({ url: lookup });
    await within(c.join({ name: 'Phoebe' }), 'welcome');
    await within(c.send('first life'), 'ack');

    const reconnecting = c.once('state', (s) => s.state === 'reconnecting');
    dropped = true;
    await t.adminFetch('/room/phoenix/shutdown', { method: 'DELETE' });
    const change = await within(reconnecting, 'reconnecting');
    assert.equal(change.state === 'reconnecting' && change.code, 1001);

    // The new room continues from the store (ids and recovery window), so the SDK's
    // `since` recovers exactly what it missed across the room's restart.
    const newPort = await t.createRoom('phoenix');
    const { client: other } = await TestClient.join(newPort, { name: 'Other' });
    other.send({ type: 'message', text: 'second life', ref: 'x' });
    await other.next('ack');
    const rejoined = c.once('welcome');
    hold.open();
    const welcome = await within(rejoined, 'welcome after the room came back');
    assert.deepEqual(
      welcome.history.map((m) => m.text),
      ['second life'],
    );
    assert.equal(welcome.recovered, true);
    assert.equal(c.lastMessageId, welcome.history.at(-1)!.id);

    const live = c.once('message', (m) => m.text === 'third');
    other.send({ type: 'message', text: 'third' });
    await within(live, 'live message in the new room');
    other.close();
    await t.adminFetch('/room/phoenix/shutdown', { method: 'DELETE' });
  });

  it('sends moderation frames and delivers their results as typed events', async () => {
    const modPort = await t.createRoom('modsdk');
    const modUrl = `ws://127.0.0.1:${modPort}/`;
    const host = client({ url: modUrl });
    await within(host.join({ token: await token({ sub: 'h2', name: 'Hal', role: 'host', room: 'modsdk' }) }), 'host');
    const guest = client({ url: modUrl });
    const me = await within(guest.join({ name: 'Gus' }), 'guest');

    const users = host.once('users', (u) => u.users.some((x) => x.id === me.you.id));
    assert.equal(host.users(), true);
    assert.deepEqual(
      (await within(users, 'users')).users.find((u) => u.id === me.you.id),
      me.you,
    );

    const sent = await within(guest.send('to be deleted'), 'ack');
    const deleted = guest.once('deleted');
    assert.equal(sent.ok && host.delete(sent.id), true);
    assert.equal((await within(deleted, 'deleted')).id, sent.ok ? sent.id : -1);

    const settings = guest.once('settings');
    host.slow(30);
    assert.equal((await within(settings, 'settings')).slow, 30);
    assert.equal(guest.slowSeconds, 30);
    assert.equal((await within(guest.send('one'), 'first in slow mode')).ok, true);
    const refused = await within(guest.send('two'), 'second in slow mode');
    assert.equal(!refused.ok && refused.error.code, 'SLOW_MODE');
    assert.ok(!refused.ok && (refused.error.retryAfterMs ?? 0) > 0);

    const timedOut = guest.once('timeout');
    host.timeout(me.you.id, 60, 'calm down');
    assert.equal((await within(timedOut, 'timeout')).user, me.you.id);

    const cleared = guest.once('cleared');
    host.clear();
    await within(cleared, 'cleared');
    await t.adminFetch('/room/modsdk/shutdown', { method: 'DELETE' });
  });

  it('does not reconnect after 4001 and says why', async () => {
    const c = client();
    const seen = states(c);
    await assert.rejects(c.join({ token: 'not-a-token' }), /Not allowed to join: Token invalid/);
    const last = seen.at(-1);
    assert.deepEqual(last, {
      state: 'closed',
      code: 4001,
      reason: 'Token invalid',
      explanation: 'Not allowed to join: Token invalid',
      final: true,
    });
    assert.deepEqual(
      seen.map((s) => s.state),
      ['connecting', 'closed'],
    );
    assert.equal(c.state, 'closed');
  });

  it('does not reconnect after a ban (4003) and says why', async () => {
    const host = client();
    await within(host.join({ token: await token({ sub: 'h1', name: 'Hope', role: 'host', room: 'sdkroom' }) }), 'host');
    // A signed-in troll: a guest's ban would also hold this test process's address for the tests after it.
    const guest = client();
    const welcome = await within(guest.join({ token: await token({ sub: 't1', name: 'Troll' }) }), 'troll');
    const closed = guest.once('state', (s) => s.state === 'closed');
    assert.equal(host.ban(welcome.you.id, 'spam'), true);
    const change = await within(closed, 'closed after ban');
    assert.deepEqual(change, {
      state: 'closed',
      code: 4003,
      reason: 'Banned from this room',
      explanation: 'You are banned from this room',
      final: true,
    });
    assert.equal(guest.state, 'closed');
  });

  /** A WebSocket server on loopback that closes every connection at once with `code`. */
  async function closingServer(code: number, reason: string): Promise<{ url: string; connections: () => number }> {
    const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
    let connections = 0;
    wss.on('connection', (ws) => {
      connections += 1;
      ws.on('error', () => undefined);
      ws.close(code, reason);
    });
    after(() => new Promise<void>((resolve) => wss.close(() => resolve())));
    return { url: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}/`, connections: () => connections };
  }

  it('reconnects after a late-join close (4002) and joins the room', async () => {
    const late = await closingServer(4002, 'No join in time');
    let attempts = 0;
    const c = client({ url: () => (attempts++ === 0 ? late.url : url) });
    const seen = states(c);
    const welcome = await within(c.join({ name: 'Slowcoach' }), 'welcome after a 4002');
    assert.equal(welcome.you.name, 'Slowcoach');
    assert.equal(late.connections(), 1);
    assert.deepEqual(
      seen.map((s) => s.state),
      ['connecting', 'reconnecting', 'connecting', 'open'],
    );
    const retry = seen[1]!;
    assert.equal(retry.state === 'reconnecting' && retry.code, 4002);
  });

  for (const [code, reason] of [
    [4001, 'Token invalid'],
    [4003, 'Banned from this room'],
  ] as const) {
    it(`stays closed after ${code}, without trying again`, async () => {
      const refusing = await closingServer(code, reason);
      let lookups = 0;
      const c = client({
        url: () => {
          lookups += 1;
          return refusing.url;
        },
      });
      const seen = states(c);
      await assert.rejects(within(c.join({ name: 'Refused' }), 'refusal'));
      assert.deepEqual(
        seen.map((s) => s.state),
        ['connecting', 'closed'],
      );
      const last = seen.at(-1)!;
      assert.equal(last.state === 'closed' && last.final, true);
      assert.equal(lookups, 1);
      assert.equal(refusing.connections(), 1);
    });
  }

  it('drops a connection that is never welcomed, retries, and gives up after maxReconnects', async () => {
    // A loopback server that accepts and never answers the WebSocket handshake.
    const sockets = new Set<Socket>();
    const silent = createServer((socket) => {
      sockets.add(socket);
      socket.on('error', () => undefined);
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const silentPort = (silent.address() as AddressInfo).port;
    const c = client({ url: `ws://127.0.0.1:${silentPort}/`, connectTimeoutMs: 100, maxReconnects: 1 });
    const seen = states(c);
    await assert.rejects(within(c.join({ name: 'Nobody' }), 'give up'), /Gave up after 1 reconnect attempts/);
    for (const socket of sockets) socket.destroy();
    silent.close();
    assert.deepEqual(
      seen.map((s) => s.state),
      ['connecting', 'reconnecting', 'connecting', 'closed'],
    );
  });

  it('closes for good on close(), once', async () => {
    const c = client();
    const seen = states(c);
    await within(c.join({ name: 'Quit' }), 'welcome');
    const closed = c.once('state', (s) => s.state === 'closed');
    c.close();
    c.close();
    const change = await within(closed, 'closed');
    assert.equal(change.state === 'closed' && change.final, false);
    assert.equal(seen.filter((s) => s.state === 'closed').length, 1);
  });
});

describe('reconnect backoff', () => {
  it('doubles from the initial delay up to the cap', () => {
    const none = () => 0;
    assert.deepEqual(
      [0, 1, 2, 3, 10].map((a) => backoffDelay(a, { initialMs: 100, maxMs: 1000, jitter: 0.5 }, none)),
      [100, 200, 400, 800, 1000],
    );
  });

  it('takes up to the jitter share off the delay', () => {
    assert.equal(
      backoffDelay(2, { initialMs: 100, jitter: 0.5 }, () => 0.999),
      200,
    );
    assert.equal(
      backoffDelay(2, { initialMs: 100, jitter: 0.5 }, () => 0.5),
      300,
    );
  });
});
