import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { describe, it } from 'node:test';
import { CHAT_MAIN, runToEnd, spawnChatServer } from './helpers/processes.js';
import { closeOf, TestClient } from './helpers/ws-client.js';

const keys = { KEY: 'k-process', ADMIN_KEY: 'a-process' };

const MAIN = CHAT_MAIN.pathname;
const run = (env: Record<string, string>) => runToEnd([process.execPath, MAIN], env);

const start = (env: Record<string, string>, command?: string[]) =>
  spawnChatServer(env, command === undefined ? { offset: 7 } : { offset: 7, command });

describe('the server process', () => {
  it('stops on SIGTERM: clients get 1001 and the process exits 0', async () => {
    const server = await start({ ...keys, SHUTDOWN_TIMEOUT_MS: '5000' });
    const port = await server.createRoom('sigterm');
    const { client: a } = await TestClient.join(port, { name: 'Ann' });
    const { client: b } = await TestClient.join(port);
    const [ca, cb, exit] = await Promise.all([closeOf(a), closeOf(b), server.stop()]);
    assert.equal(ca.code, 1001);
    assert.equal(cb.code, 1001);
    assert.match(ca.reason, /shutting down/i);
    assert.equal(exit, 0);
    assert.ok(server.lines.some((l) => l.message === 'Stopped'));
  });

  it('exits 0 after an admin shutdown and 3 after an admin restart', async () => {
    for (const [path, method, code] of [
      ['/shutdown', 'DELETE', 0],
      ['/restart', 'POST', 3],
    ] as const) {
      const server = await start({ ...keys });
      const res = await server.adminFetch(path, { method });
      assert.equal(res.status, 202);
      assert.equal(await server.exited, code, path);
    }
  });

  it('refuses a bad configuration with exit 1 and one message listing every problem', async () => {
    const result = await run({
      PORT: 'eighty',
      MAX_ROOMS: '0',
      ALLOW_ANONYMOUS: 'maybe',
      LOADBALANCERS: 'ftp://x',
      ROOM_PORT_MIN: '40000',
      ROOM_PORT_MAX: '30000',
    });
    assert.equal(result.code, 1);
    for (const name of ['PORT', 'MAX_ROOMS', 'ALLOW_ANONYMOUS', 'LOADBALANCERS'])
      assert.match(result.stderr, new RegExp(`- ${name}=`), name);
    assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace');
  });

  it('requires KEY and ADMIN_KEY in production', async () => {
    const result = await run({ NODE_ENV: 'production', PORT: '0', ADMIN_PORT: '0' });
    assert.equal(result.code, 1);
    assert.match(result.stderr, /KEY: required in production/);
    assert.match(result.stderr, /ADMIN_KEY: required in production/);
  });

  it('names the variable to change when a port cannot be bound', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, resolve));
    const taken = (blocker.address() as { port: number }).port;
    try {
      const result = await run({ ...keys, PORT: String(taken), ADMIN_PORT: '0' });
      assert.equal(result.code, 1);
      assert.match(result.stderr, new RegExp(`PORT=${taken}: is in use; set PORT to a free port`));
    } finally {
      blocker.close();
    }
  });

  it('generates and prints missing keys once in development, and they work', async () => {
    const server = await start({ NODE_ENV: 'development' });
    const text = server.lines.map((l) => String(l.message)).join('\n');
    const key = /KEY is not set; generated one for this run: (\S+)/.exec(text.replace(/ADMIN_KEY[^\n]*/g, ''))?.[1];
    const adminKey = /ADMIN_KEY is not set; generated one for this run: (\S+)/.exec(text)?.[1];
    assert.ok(key && adminKey && key !== adminKey);
    assert.equal((await server.publicFetch('/room/devroom', { method: 'POST', key })).status, 201);
    assert.equal((await server.adminFetch('/', { key: adminKey })).status, 200);
    assert.equal((await server.adminFetch('/', { key })).status, 401);
    assert.equal(await server.stop(), 0);
  });

  it('stops gracefully with its own exit code when npm start receives SIGTERM', async () => {
    const server = await start({ ...keys }, ['npm', 'start', '--silent']);
    assert.equal(await server.stop(), 0);
    assert.ok(
      server.lines.some((l) => l.message === 'Stopped'),
      'the graceful stop ran',
    );
  });
});
