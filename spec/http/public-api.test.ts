import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { loadConfig, readFdLimit } from '../../src/config.js';
import { startChatServer } from '../../src/server.js';
import { capturingLogger } from '../helpers/logs.js';
import { RawSocket } from '../helpers/raw-ws.js';
import { ADMIN_KEY, baseEnv, KEY, serverClient, startTestServer } from '../helpers/server.js';
import { eventually } from '../helpers/wait.js';

describe('public API', async () => {
  const t = await startTestServer({ MAX_ROOMS: '5' });

  it('answers the app name and version from package.json', async () => {
    const res = await t.publicFetch('/', { key: null });
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { data: { app: 'chatserver', version: '1.0.0' } });
  });

  it('does not send X-Powered-By and sets helmet headers', async () => {
    const res = await t.publicFetch('/', { key: null });
    assert.equal(res.headers.get('x-powered-by'), null);
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
  });

  it('reports health ok while accepting', async () => {
    const res = await t.publicFetch('/health', { key: null });
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { data: { status: 'ok' } });
  });

  it('creates a room whose port answers its name by the time the reply arrives', async () => {
    const res = await t.publicFetch('/room/testroom', { method: 'POST' });
    assert.equal(res.status, 201);
    const body = (await res.json()) as { data: { port: number; message: string } };
    assert.equal(body.data.message, 'Room created');
    const room = await fetch(`http://127.0.0.1:${body.data.port}/`);
    assert.equal(await room.text(), 'testroom');
    assert.equal(room.headers.get('access-control-allow-origin'), '*');
    assert.match(room.headers.get('content-type') ?? '', /^text\/plain/);
  });

  it('answers 200 and the same port for an existing room', async () => {
    const port = await t.createRoom('again');
    const res = await t.publicFetch('/room/again', { method: 'POST' });
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { data: { port, message: 'again already exists' } });
  });

  it('looks a room up without a key, and 404s an unknown one', async () => {
    const port = await t.createRoom('lookup');
    const res = await t.publicFetch('/room/lookup', { key: null });
    assert.deepEqual(await res.json(), { data: { name: 'lookup', port, viewers: 0 } });
    const missing = await t.publicFetch('/room/nosuchroom', { key: null });
    assert.equal(missing.status, 404);
    assert.equal(((await missing.json()) as { error: { code: string } }).error.code, 'NOT_FOUND');
  });

  for (const [label, key] of [
    ['no key', null],
    ['a wrong key', 'wrong'],
    ['the admin key', 'test-admin-key'],
    ['an empty key', ''],
  ] as const) {
    it(`refuses to create a room with ${label} (401, no room made)`, async () => {
      const res = await t.publicFetch('/room/keyless', { method: 'POST', key });
      assert.equal(res.status, 401);
      const body = (await res.json()) as { error: { code: string; message: string } };
      assert.equal(body.error.code, 'UNAUTHORIZED');
      assert.match(body.error.message, /X-API-Key/);
      assert.equal((await t.publicFetch('/room/keyless', { key: null })).status, 404);
    });
  }

  for (const [label, raw] of [
    ['65 characters', 'a'.repeat(65)],
    ['../x', '..%2Fx'],
    ['a leading dot', '.hidden'],
    ['spaces', 'two%20words'],
    ['unicode', 'caf%C3%A9'],
    ['a slash', 'a%2Fb'],
  ]) {
    it(`refuses a room name with ${label} (400, names the rule)`, async () => {
      const res = await t.publicFetch(`/room/${raw}`, { method: 'POST' });
      assert.equal(res.status, 400);
      const body = (await res.json()) as { error: { code: string; message: string } };
      assert.equal(body.error.code, 'BAD_REQUEST');
      assert.match(body.error.message, /1 to 64 characters/);
    });
  }

  it('treats an empty room name as an unknown path (JSON 404)', async () => {
    const res = await t.publicFetch('/room/', { method: 'POST' });
    assert.equal(res.status, 404);
    assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'NOT_FOUND');
  });

  it('accepts a 64-character name of every allowed character', async () => {
    const name = 'Az09_-.'.padEnd(64, 'x');
    const res = await t.publicFetch(`/room/${name}`, { method: 'POST' });
    assert.equal(res.status, 201);
    await t.adminFetch(`/room/${name}/shutdown`, { method: 'DELETE' });
  });

  it('answers unknown paths and methods with a JSON 404, never HTML', async () => {
    for (const [method, path] of [
      ['GET', '/nope'],
      ['DELETE', '/room/testroom'],
      ['GET', '/../../etc/passwd'],
    ]) {
      const res = await t.publicFetch(path!, { method: method!, key: null });
      assert.equal(res.status, 404, `${method} ${path}`);
      assert.match(res.headers.get('content-type') ?? '', /application\/json/);
      assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'NOT_FOUND');
    }
    const root = await fetch(`${t.api.replace('/api/v1', '')}/`);
    assert.equal(root.status, 404);
    assert.match(root.headers.get('content-type') ?? '', /application\/json/);
  });

  it('does not serve the admin API on the public port', async () => {
    const res = await t.publicFetch('/load', { key: 'test-admin-key' });
    assert.equal(res.status, 404);
  });
});

describe('a server that is stopping', () => {
  it('answers every call 503 UNAVAILABLE from the error table and closes the connection', async () => {
    const t = await startTestServer();
    const port = await t.createRoom('lingering');
    // A client that never answers the close keeps the room (and so the stop) going for a while.
    const silent = await RawSocket.open(port);
    silent.text(JSON.stringify({ type: 'join' }));
    await eventually('the silent client joined', () => silent.received.includes('welcome'));
    silent.socket.pause();
    const stopped = t.server.stop(0, 'test');
    for (const call of [() => t.publicFetch('/health', { key: null }), () => t.adminFetch('/load')]) {
      const res = await call();
      assert.equal(res.status, 503);
      assert.equal(res.headers.get('connection'), 'close');
      assert.deepEqual(await res.json(), { error: { code: 'UNAVAILABLE', message: 'The server is stopping' } });
    }
    silent.destroy();
    assert.equal(await stopped, 0);
  });
});

describe('room slots with the default MAX_ROOMS', () => {
  it('creates 20 rooms on a fresh 2 GiB machine, logs why, and refuses the 21st naming MAX_ROOMS', async () => {
    const { logger, lines } = capturingLogger('info');
    const config = loadConfig(
      { ...baseEnv(90), NODE_ENV: 'test', KEY, ADMIN_KEY, SHUTDOWN_TIMEOUT_MS: '5000' },
      { fdLimit: readFdLimit(), totalMemBytes: 2 * 1024 ** 3 },
    );
    const server = await startChatServer(config, logger);
    after(() => server.stop(0, 'test finished'));
    const t = serverClient(server.publicPort, server.adminPort);
    const listening = lines.find((l) => l.message === 'Listening');
    assert.equal(listening?.slots, 20);
    assert.match(String(listening?.slotsFrom), /^memory: 2\.0 GiB, half for rooms at 64 MB per room = 16, raised to/);
    for (let i = 0; i < 20; i++) await t.createRoom(`slot${i}`);
    const refused = await t.publicFetch('/room/slot20', { method: 'POST' });
    assert.equal(refused.status, 503);
    assert.equal(refused.headers.get('retry-after'), '30');
    assert.deepEqual(await refused.json(), {
      error: {
        code: 'UNAVAILABLE',
        message: 'No more rooms can be created: MAX_ROOMS=20 rooms are open; retry later, or raise MAX_ROOMS',
      },
    });
  });
});
