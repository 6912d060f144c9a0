import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RawSocket } from '../helpers/raw-ws.js';
import { startTestServer } from '../helpers/server.js';
import { AUTH_SECRET, token } from '../helpers/tokens.js';
import { eventually } from '../helpers/wait.js';
import { closeOf, TestClient } from '../helpers/ws-client.js';

describe('per-user rate limits', async () => {
  const t = await startTestServer({ AUTH_SECRET, ALLOW_GUESTS: 'on' });
  const port = await t.createRoom('ratelimits');

  it('accepts 20 of 25 messages in 30 s from one viewer and refuses 5 with RATE_LIMITED and retryAfterMs', async () => {
    const { client } = await TestClient.join(port, { name: 'Fast' });
    for (let i = 0; i < 25; i++) client.send({ type: 'message', text: `m${i}`, ref: `r${i}` });
    const errors = await Promise.all(Array.from({ length: 5 }, () => client.next('error')));
    // Acks come in order, once stored: the last one means all have come.
    await client.next('ack', (f) => f.ref === 'r19');
    const accepted = client.frames.filter((f) => f.type === 'ack');
    assert.equal(accepted.length, 20);
    for (const e of errors) {
      assert.equal(e.code, 'RATE_LIMITED');
      assert.ok((e.retryAfterMs as number) > 0 && (e.retryAfterMs as number) <= 30_000);
    }
    assert.deepEqual(
      errors.map((e) => e.ref),
      ['r20', 'r21', 'r22', 'r23', 'r24'],
    );
    client.close();
  });

  it('counts a user across all their connections', async () => {
    const jwt = await token({ sub: 'twoconn', name: 'Two' });
    const { client: a } = await TestClient.join(port, { token: jwt });
    const { client: b } = await TestClient.join(port, { token: jwt });
    for (let i = 0; i < 15; i++) a.send({ type: 'message', text: `a${i}`, ref: `a${i}` });
    for (let i = 0; i < 10; i++) b.send({ type: 'message', text: `b${i}`, ref: `b${i}` });
    const answered = () => [...a.frames, ...b.frames].filter((f) => f.type === 'ack' || f.type === 'error');
    await eventually('an answer to every message', () => answered().length === 25);
    assert.equal(answered().filter((f) => f.type === 'ack').length, 20);
    assert.ok(
      answered()
        .filter((f) => f.type === 'error')
        .every((e) => e.code === 'RATE_LIMITED'),
    );
    a.close();
    b.close();
  });

  it('gives mods and hosts 100', async () => {
    const { client } = await TestClient.join(port, {
      token: await token({ sub: 'm', name: 'M', role: 'mod', room: 'ratelimits' }),
    });
    for (let i = 0; i < 101; i++) client.send({ type: 'message', text: `x${i}`, ref: `x${i}` });
    const refused = await client.next('error');
    assert.equal(refused.code, 'RATE_LIMITED');
    assert.equal(refused.ref, 'x100');
    await client.next('ack', (f) => f.ref === 'x99');
    assert.equal(client.frames.filter((f) => f.type === 'ack').length, 100);
    client.close();
  });
});

describe('connection limits', async () => {
  const t = await startTestServer({
    ROOM_MAX_CONNECTIONS: '3',
    ALLOWED_ORIGINS: 'https://ok.example,https://also.example',
    WS_PING_INTERVAL_MS: '150',
    WS_PONG_TIMEOUT_MS: '150',
  });
  const port = await t.createRoom('limits');

  it('closes a connection that sends a frame over 16 KiB with 1009', async () => {
    const { client } = await TestClient.join(port, { name: 'Big' });
    client.send(JSON.stringify({ type: 'message', text: 'x'.repeat(17 * 1024) }));
    assert.equal((await closeOf(client)).code, 1009);
  });

  it('closes with 4008 after 10 malformed frames in 10 s', async () => {
    const { client } = await TestClient.join(port, { name: 'Bad' });
    for (let i = 0; i < 10; i++) client.send('{not json');
    const closed = await closeOf(client);
    assert.equal(closed.code, 4008);
    assert.equal(
      client.frames.filter((f) => f.code === 'BAD_FRAME').length,
      10,
      'each refusal is answered before the close',
    );
  });

  it('closes with 4008 after 100 refusals of any kind in 10 s', async () => {
    const client = await TestClient.connect(port);
    for (let i = 0; i < 100; i++) client.send({ type: 'users' });
    const closed = await closeOf(client);
    assert.equal(closed.code, 4008);
    assert.ok(client.frames.filter((f) => f.code === 'NOT_JOINED').length >= 99);
  });

  it('refuses an upgrade from an origin that is not allowed with 403, and allows listed ones and none', async () => {
    await assert.rejects(TestClient.connect(port, { origin: 'https://evil.example' }), /HTTP 403/);
    const listed = await TestClient.connect(port, { origin: 'https://also.example' });
    const none = await TestClient.connect(port);
    listed.close();
    none.close();
    await Promise.all([listed.closed, none.closed]);
  });

  it('refuses upgrades beyond ROOM_MAX_CONNECTIONS with 503', async () => {
    const open = await Promise.all([1, 2, 3].map(() => TestClient.connect(port)));
    await assert.rejects(TestClient.connect(port), /HTTP 503/);
    for (const c of open) c.close();
    await Promise.all(open.map((c) => c.closed));
    const again = await TestClient.connect(port);
    again.close();
    await again.closed;
  });

  it('terminates a connection that does not answer pings, and keeps one that does', async () => {
    const silent = await RawSocket.open(port);
    silent.text(JSON.stringify({ type: 'join', name: 'Silent' }));
    const { client: lively } = await TestClient.join(port, { name: 'Lively' });
    await silent.ended;
    assert.equal(lively.ws.readyState, lively.ws.OPEN);
    lively.send({ type: 'message', text: 'still here' });
    assert.equal((await lively.next('message')).text, 'still here');
    lively.close();
  });
});

describe('a reader that stops reading', async () => {
  const t = await startTestServer({ RATE_LIMIT_MESSAGES: '100000', RECOVERY_WINDOW: '100' });
  const port = await t.createRoom('slowreader');

  it('is closed with 4009 while 10 MB is broadcast, the room heap stays bounded, and others get everything', async () => {
    const slow = await RawSocket.open(port);
    slow.text(JSON.stringify({ type: 'join', name: 'Sleepy' }));
    await eventually('the slow reader joined', () => slow.received.includes('welcome'));
    slow.socket.pause();
    const { client: writer } = await TestClient.join(port, { name: 'Writer' });
    const { client: reader } = await TestClient.join(port, { name: 'Reader' });
    const text = 'y'.repeat(480);
    const count = 20_000; // about 11 MB of frames, 560 bytes each
    // Paced by what the reader has received, so only the paused reader falls behind.
    for (let i = 0; i < count; i++) {
      writer.send({ type: 'message', text: `${i} ${text}` });
      if (i % 200 === 199) await reader.next('message', (f) => String(f.text).startsWith(`${i} `));
    }
    assert.equal(reader.frames.filter((f) => f.type === 'message').length, count);
    const stats = (await (await t.adminFetch('/room/slowreader')).json()) as { data: { heapUsedBytes: number } };
    assert.ok(stats.data.heapUsedBytes < 64 * 1024 * 1024, `room heap ${stats.data.heapUsedBytes} bytes`);
    slow.socket.resume();
    await eventually('the close frame reached the slow reader', () => slow.closeCode() !== undefined, 10000);
    assert.equal(slow.closeCode(), 4009);
    writer.close();
    reader.close();
  });
});

describe('a reader whose socket stops draining', async () => {
  // The byte limit is out of reach here: only SLOW_READER_MS can cut the reader.
  const t = await startTestServer({
    RATE_LIMIT_MESSAGES: '100000',
    RECOVERY_WINDOW: '100',
    SLOW_READER_MS: '500',
    SLOW_READER_BYTES: '1073741824',
  });
  const port = await t.createRoom('stalled');
  const stats = async () =>
    (
      (await (await t.adminFetch('/room/stalled')).json()) as {
        data: { viewers: number; counters: { slowReaders: number } };
      }
    ).data;

  it('is cut as a slow reader and ended once it has not drained for SLOW_READER_MS (it sees 4009 only if it reads it), and a reading client gets every message', async () => {
    const stalled = await RawSocket.open(port);
    stalled.text(JSON.stringify({ type: 'join', name: 'Stalled' }));
    await eventually('the stalled reader joined', () => stalled.received.includes('welcome'));
    stalled.socket.pause();
    const { client: writer } = await TestClient.join(port, { name: 'Writer' });
    const { client: reader } = await TestClient.join(port, { name: 'Reader' });
    const text = 'z'.repeat(480);
    let sent = 0;
    // Until the kernel's buffers in front of the stalled reader are full and it is
    // cut; bounded (about 30 MB) whatever happens.
    while (sent < 60_000 && (await stats()).counters.slowReaders === 0) {
      for (let i = 0; i < 500; i++) writer.send({ type: 'message', text: `${sent++} ${text}` });
      await reader.next('message', (f) => String(f.text).startsWith(`${sent - 1} `));
    }
    assert.equal((await stats()).counters.slowReaders, 1, 'cut by time, the byte limit being out of reach');
    // Ended by the server although it never read its close frame.
    await eventually('the server ended the stalled connection', async () => (await stats()).viewers === 2);
    assert.equal(reader.frames.filter((f) => f.type === 'message').length, sent);
    stalled.socket.resume();
    await stalled.ended;
    // It may or may not have read the 4009 before the connection ended (then 1006).
    assert.ok([undefined, 4009].includes(stalled.closeCode()));
    writer.close();
    reader.close();
  });
});
