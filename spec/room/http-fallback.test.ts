/**
 * The HTTP fallback on a room's port against a real server: HTTP members chat
 * with WebSocket members, recover gaps, are moderated and limited like them, and
 * every bad request gets its answer while the room keeps serving.
 */
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { describe, it } from 'node:test';
import { HttpTestClient, httpCloseOf } from '../helpers/http-client.js';
import { ADMIN_KEY, startTestServer } from '../helpers/server.js';
import { AUTH_SECRET, token } from '../helpers/tokens.js';
import { eventually } from '../helpers/wait.js';
import { closeOf, type Frame, TestClient } from '../helpers/ws-client.js';

const ROOM = 'httproom';
const asRole = async (sub: string, role: string, room = ROOM) => ({
  token: await token({ sub, name: sub, role, room }),
});

describe('the HTTP fallback', async () => {
  const t = await startTestServer({ AUTH_SECRET, ALLOW_GUESTS: 'on', RATE_LIMIT_MESSAGES: '5' });
  const port = await t.createRoom(ROOM);
  const otherPort = await t.createRoom('otherroom');

  it('lets an HTTP member and a WebSocket member chat both ways with the same ids in the same order', async () => {
    const { client: web } = await HttpTestClient.join(port, { name: 'Http' });
    const { client: ws } = await TestClient.join(port, { name: 'Ws' });
    assert.equal(web.welcome.type, 'welcome');
    assert.equal(web.welcome.room, ROOM);
    await web.next('presence', (f) => f.viewers === 2);
    assert.equal(await web.send({ type: 'message', text: 'from http 1', ref: 'h1' }), 202);
    ws.send({ type: 'message', text: 'from ws 1', ref: 'w1' });
    assert.equal(await web.send({ type: 'message', text: 'from http 2', ref: 'h2' }), 202);
    const texts = ['from http 1', 'from ws 1', 'from http 2'];
    const seenByWeb: Frame[] = [];
    const seenByWs: Frame[] = [];
    for (const text of texts) {
      seenByWeb.push(await web.next('message', (f) => f.text === text));
      seenByWs.push(await ws.next('message', (f) => f.text === text));
    }
    const order = (frames: Frame[]) => frames.map((f) => [f.id, f.text]);
    assert.deepEqual(order(seenByWeb), order(seenByWs));
    const byArrival = (frames: Frame[]) => frames.filter((f) => f.type === 'message').map((f) => f.id);
    assert.deepEqual(byArrival(web.frames), byArrival(ws.frames));
    // Answers to the HTTP member's frames come on its stream, as on a WebSocket.
    const ack = await web.next('ack', (f) => f.ref === 'h2');
    assert.equal(ack.id, seenByWeb[2]!.id);
    // Message events carry the message id as the event id.
    const index = web.frames.indexOf(seenByWeb[0]!);
    assert.equal(web.ids[index], String(seenByWeb[0]!.id));
    assert.equal(await web.leave(), 204);
    assert.equal((await ws.next('presence', (f) => f.viewers === 1)).viewers, 1);
    ws.close();
  });

  it('recovers a gap when the stream comes back with Last-Event-ID', async () => {
    const { client: web } = await HttpTestClient.join(port, { name: 'Gappy' });
    const { client: ws } = await TestClient.join(port, { name: 'Talker' });
    ws.send({ type: 'message', text: 'before the gap' });
    const before = await web.next('message', (f) => f.text === 'before the gap');
    await web.dropStream();
    for (const text of ['gap 1', 'gap 2']) {
      ws.send({ type: 'message', text });
      await ws.next('message', (f) => f.text === text);
    }
    assert.equal(await web.openStream(before.id as number), 200);
    const recovered = [await web.next('message', (f) => f.text === 'gap 1'), await web.next('message')];
    assert.deepEqual(
      recovered.map((f) => f.text),
      ['gap 1', 'gap 2'],
    );
    // Each exactly once.
    assert.equal(web.frames.filter((f) => f.text === 'gap 1').length, 1);
    ws.send({ type: 'message', text: 'after the gap' });
    await web.next('message', (f) => f.text === 'after the gap');
    await web.leave();
    ws.close();
  });

  it('holds the rate limit, timeouts and bans for HTTP members', async () => {
    const { client: mod } = await TestClient.join(port, await asRole('mod-h', 'mod'));
    const { client: web } = await HttpTestClient.join(port, await asRole('viewer-h', 'viewer'));
    // The rate limit (5 per window in this server).
    for (let i = 0; i < 6; i++) await web.send({ type: 'message', text: `burst ${i}`, ref: `b${i}` });
    const limited = await web.next('error', (f) => f.ref === 'b5');
    assert.equal(limited.code, 'RATE_LIMITED');
    // A timeout.
    mod.send({ type: 'timeout', user: 'viewer-h', seconds: 60 });
    await web.next('timeout', (f) => f.user === 'viewer-h');
    await web.send({ type: 'message', text: 'while timed out', ref: 't1' });
    assert.equal((await web.next('error', (f) => f.ref === 't1')).code, 'TIMED_OUT');
    // A ban ends the stream with the close code, and the session with it.
    mod.send({ type: 'ban', user: 'viewer-h' });
    assert.equal((await httpCloseOf(web)).code, 4003);
    assert.equal(await web.send({ type: 'message', text: 'after the ban' }), 404);
    const again = await HttpTestClient.postJoin(
      port,
      JSON.stringify({ type: 'join', ...(await asRole('viewer-h', 'viewer')) }),
    );
    assert.equal(again.status, 403);
    assert.equal((again.body.error as Frame).closeCode, 4003);
    mod.send({ type: 'unban', user: 'viewer-h' });
    mod.close();
  });

  it('lets an HTTP moderator delete and ban as a WebSocket one does', async () => {
    const { client: mod } = await HttpTestClient.join(port, await asRole('mod-web', 'mod'));
    const { client: viewer } = await TestClient.join(port, await asRole('viewer-ws', 'viewer'));
    viewer.send({ type: 'message', text: 'delete me over http' });
    const line = await mod.next('message', (f) => f.text === 'delete me over http');
    assert.equal(await mod.send({ type: 'delete', id: line.id }), 202);
    assert.equal((await viewer.next('deleted')).id, line.id);
    assert.equal(await mod.send({ type: 'ban', user: 'viewer-ws' }), 202);
    assert.equal((await closeOf(viewer)).code, 4003);
    await mod.send({ type: 'unban', user: 'viewer-ws' });
    await mod.leave();
  });

  it('holds slow mode for an HTTP member', async () => {
    const { client: mod } = await TestClient.join(port, await asRole('mod-s', 'mod'));
    const { client: web } = await HttpTestClient.join(port, await asRole('viewer-s', 'viewer'));
    mod.send({ type: 'slow', seconds: 30 });
    await web.next('settings', (f) => f.slow === 30);
    await web.send({ type: 'message', text: 'first', ref: 's1' });
    await web.next('ack', (f) => f.ref === 's1');
    await web.send({ type: 'message', text: 'second', ref: 's2' });
    assert.equal((await web.next('error', (f) => f.ref === 's2')).code, 'SLOW_MODE');
    mod.send({ type: 'slow', seconds: 0 });
    await web.next('settings', (f) => f.slow === 0);
    await web.leave();
    mod.close();
  });

  it('answers every bad request and keeps serving', async () => {
    const base = `http://127.0.0.1:${port}/http`;
    const json = async (res: Response) => ({ status: res.status, body: (await res.json()) as { error: Frame } });
    // Unknown sessions, on every route.
    for (const [method, route] of [
      ['GET', 'events'],
      ['POST', 'send'],
      ['DELETE', 'session'],
    ] as const) {
      const r = await json(
        await fetch(`${base}/${route}?session=nope`, { method, ...(method === 'POST' ? { body: '{}' } : {}) }),
      );
      assert.equal(r.status, 404, `${method} ${route}`);
      assert.equal(r.body.error.code, 'NOT_FOUND');
    }
    // Another room's session.
    const { client: elsewhere } = await HttpTestClient.join(otherPort, { name: 'Elsewhere' }, { stream: false });
    const cross = await json(await fetch(`${base}/events?session=${elsewhere.session}`));
    assert.equal(cross.status, 404);
    await elsewhere.leave();
    // A left session is gone.
    assert.equal(await elsewhere.send({ type: 'message', text: 'gone' }), 404);
    // Bodies over MAX_FRAME_BYTES (16384), on join and send.
    const big = JSON.stringify({ type: 'join', name: 'x'.repeat(20_000) });
    assert.equal((await HttpTestClient.postJoin(port, big)).status, 413);
    const { client: web } = await HttpTestClient.join(port, { name: 'Sender' });
    assert.equal(await web.send({ type: 'message', text: 'y'.repeat(20_000) }), 413);
    // Not a join, not JSON: 400 naming what is wrong.
    const notJson = await HttpTestClient.postJoin(port, 'hello');
    assert.equal(notJson.status, 400);
    assert.equal((notJson.body.error as Frame).frameCode, 'BAD_FRAME');
    const notJoin = await HttpTestClient.postJoin(port, JSON.stringify({ type: 'message', text: 'hi' }));
    assert.equal(notJoin.status, 400);
    // A refused token: 403 with the close code and reason.
    const refused = await HttpTestClient.postJoin(port, JSON.stringify({ type: 'join', token: 'not-a-token' }));
    assert.equal(refused.status, 403);
    assert.equal((refused.body.error as Frame).closeCode, 4001);
    assert.equal(typeof (refused.body.error as Frame).reason, 'string');
    // Wrong method and unknown path.
    assert.equal((await fetch(`${base}/join`)).status, 405);
    assert.equal((await fetch(`${base}/nothing`)).status, 404);
    // A bad frame on send is answered on the stream, as on a WebSocket.
    assert.equal(await web.send('{"type":"nonsense"}'), 202);
    assert.equal((await web.next('error')).code, 'BAD_FRAME');
    // A second stream closes the first.
    const firstEnded = web.streamEnded;
    const second = new HttpTestClient(web.base, web.session, web.welcome);
    assert.equal(await second.openStream(), 200);
    await firstEnded;
    await web.send({ type: 'message', text: 'on the second stream', ref: 'two' });
    await second.next('ack', (f) => f.ref === 'two');
    // The room still serves.
    const { client: ws } = await TestClient.join(port, { name: 'Still' });
    ws.send({ type: 'message', text: 'still here', ref: 'still' });
    await ws.next('ack', (f) => f.ref === 'still');
    await second.next('message', (f) => f.text === 'still here');
    await second.leave();
    ws.close();
  });

  it('answers CORS preflights and checks nothing more for pages when no origins are listed', async () => {
    const res = await fetch(`http://127.0.0.1:${port}/http/join`, {
      method: 'OPTIONS',
      headers: { Origin: 'http://site.example', 'Access-Control-Request-Method': 'POST' },
    });
    assert.equal(res.status, 204);
    assert.equal(res.headers.get('access-control-allow-origin'), 'http://site.example');
    assert.equal(res.headers.get('access-control-allow-methods'), 'POST');
    assert.equal(res.headers.get('access-control-allow-credentials'), null);
  });

  it('closes HTTP members with 1001 when the room closes', async () => {
    const closing = await t.createRoom('closingroom');
    const { client: web } = await HttpTestClient.join(closing, { name: 'Stayer' });
    const res = await fetch(`${t.admin}/room/closingroom/shutdown`, {
      method: 'DELETE',
      headers: { 'X-API-Key': ADMIN_KEY },
    });
    assert.equal(res.status, 202);
    assert.equal((await httpCloseOf(web)).code, 1001);
  });
});

describe('the HTTP fallback with tight limits', async () => {
  const t = await startTestServer({
    ALLOWED_ORIGINS: 'http://site.example',
    HTTP_SESSION_IDLE_S: '1',
    SLOW_READER_BYTES: '65536',
    MAX_MESSAGE_CHARS: '10000',
    RATE_LIMIT_MESSAGES: '100000',
    RATE_LIMIT_WINDOW_S: '1',
  });
  const port = await t.createRoom('tightroom');

  it('applies ALLOWED_ORIGINS as upgrades do, and answers allowed origins only', async () => {
    const join = JSON.stringify({ type: 'join', name: 'O' });
    const denied = await HttpTestClient.postJoin(port, join, { Origin: 'http://evil.example' });
    assert.equal(denied.status, 403);
    const allowed = await HttpTestClient.postJoin(port, join, { Origin: 'http://site.example' });
    assert.equal(allowed.status, 201);
    const left = await fetch(`http://127.0.0.1:${port}/http/session?session=${allowed.body.session as string}`, {
      method: 'DELETE',
      headers: { Origin: 'http://site.example' },
    });
    assert.equal(left.status, 204);
    assert.equal(left.headers.get('access-control-allow-origin'), 'http://site.example');
    const pre = await fetch(`http://127.0.0.1:${port}/http/session`, {
      method: 'OPTIONS',
      headers: { Origin: 'http://evil.example', 'Access-Control-Request-Method': 'DELETE' },
    });
    assert.equal(pre.status, 403);
    assert.equal(pre.headers.get('access-control-allow-origin'), null);
  });

  it('ends a session without an event stream after HTTP_SESSION_IDLE_S, as a leave', async () => {
    const { client: ws } = await TestClient.join(port, { name: 'Watcher' });
    const { client: idle } = await HttpTestClient.join(port, { name: 'Idle' }, { stream: false });
    await ws.next('presence', (f) => f.viewers === 2);
    await ws.next('presence', (f) => f.viewers === 1);
    assert.equal(await idle.send({ type: 'message', text: 'too late' }), 404);
    assert.equal(await idle.openStream(), 404);
    ws.close();
  });

  it('cuts a stalled event stream at SLOW_READER_BYTES and keeps serving the others', async () => {
    const { client: stalled } = await HttpTestClient.join(port, { name: 'Stalled' }, { stream: false });
    // A raw socket that asks for the stream and never reads it.
    const socket = connect(port, '127.0.0.1');
    socket.on('error', () => undefined);
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    socket.pause();
    socket.write(`GET /http/events?session=${stalled.session} HTTP/1.1\r\nHost: x\r\n\r\n`);
    const { client: sender } = await TestClient.join(port, { name: 'Flood' });
    const text = 'z'.repeat(9_000);
    // Enough to fill the kernel's buffers both ways and pass the limit.
    await eventually(
      'the stalled session cut',
      async () => {
        for (let i = 0; i < 200; i++) sender.send({ type: 'message', text });
        await sender.next('message');
        return (await stalled.send({ type: 'users' })) === 404;
      },
      { timeoutMs: 30_000, everyMs: 10 },
    );
    // Read at last: the stream ends with the close event of a slow reader.
    let seen = '';
    socket.on('data', (chunk: Buffer) => (seen = (seen + chunk.toString()).slice(-4096)));
    socket.resume();
    await eventually('the close event', () => seen.includes('event: close\ndata: {"code":4009'), { timeoutMs: 20_000 });
    sender.send({ type: 'message', text: 'after the cut', ref: 'cut' });
    await sender.next('ack', (f) => f.ref === 'cut');
    socket.destroy();
    sender.close();
  });
});

describe('the HTTP fallback on a graceful stop', async () => {
  const t = await startTestServer();
  const port = await t.createRoom('stoproom');

  it('closes HTTP members with 1001', async () => {
    const { client: web } = await HttpTestClient.join(port, { name: 'Until the end' });
    const stopped = t.stop();
    assert.equal((await httpCloseOf(web)).code, 1001);
    await stopped;
  });
});

describe('the HTTP fallback under the join rate', async () => {
  const t = await startTestServer({ JOIN_BURST: '2', JOIN_RATE_PER_S: '1' });
  const port = await t.createRoom('busyroom');

  it('answers joins past the room’s join rate 503 with Retry-After, as upgrades are', async () => {
    const join = () =>
      fetch(`http://127.0.0.1:${port}/http/join`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ type: 'join', name: 'Crowd' }),
      });
    const answers = await Promise.all([join(), join(), join()]);
    const statuses = answers.map((r) => r.status).sort();
    assert.deepEqual(statuses, [201, 201, 503]);
    const refused = answers.find((r) => r.status === 503)!;
    assert.ok(Number(refused.headers.get('retry-after')) >= 1);
    assert.equal(((await refused.json()) as { error: { code: string } }).error.code, 'UNAVAILABLE');
  });
});
