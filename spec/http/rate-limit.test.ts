import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TokenBuckets } from '../../src/http/rate-limit.js';
import { connect, type Socket } from 'node:net';
import { startTestServer } from '../helpers/server.js';
import { eventually } from '../helpers/wait.js';

function buckets(options: { ratePerS: number; burst: number; maxAddresses?: number }) {
  const clock = { t: 1_000_000 };
  return { clock, b: new TokenBuckets({ ...options, now: () => clock.t }) };
}

describe('token buckets per address', () => {
  it('lets a burst through at once, then refuses with the wait until the next token', () => {
    const { b } = buckets({ ratePerS: 2, burst: 3 });
    assert.deepEqual([b.take('a'), b.take('a'), b.take('a')], [0, 0, 0]);
    assert.equal(b.take('a'), 500);
  });

  it('refills at the rate, never above the burst', () => {
    const { b, clock } = buckets({ ratePerS: 2, burst: 3 });
    for (let i = 0; i < 3; i++) b.take('a');
    clock.t += 500;
    assert.equal(b.take('a'), 0);
    assert.ok(b.take('a') > 0);
    clock.t += 60_000;
    const taken = Array.from({ length: 4 }, () => b.take('a'));
    assert.deepEqual(taken.slice(0, 3), [0, 0, 0]);
    assert.ok(taken[3]! > 0);
  });

  it('keeps each address to its own bucket', () => {
    const { b } = buckets({ ratePerS: 1, burst: 1 });
    assert.equal(b.take('a'), 0);
    assert.ok(b.take('a') > 0);
    assert.equal(b.take('b'), 0);
  });

  it('forgets buckets that have filled up again, and never holds more than maxAddresses', () => {
    const { b, clock } = buckets({ ratePerS: 10, burst: 5, maxAddresses: 100 });
    for (let i = 0; i < 1_000; i++) b.take(`10.0.${i >> 8}.${i & 255}`);
    assert.equal(b.size, 100);
    clock.t += 10_000;
    for (let i = 0; i < 100; i++) b.take('x');
    assert.ok(b.size < 10, `size ${b.size}`);
  });
});

describe('the public API limit per address', async () => {
  const t = await startTestServer({ PUBLIC_RATE_LIMIT_RPS: '1', PUBLIC_RATE_LIMIT_BURST: '5' });

  it('answers 429 with Retry-After past the burst, and still serves keyed calls and health checks', async () => {
    const answers = await Promise.all(Array.from({ length: 8 }, () => t.publicFetch('/', { key: null })));
    const statuses = answers.map((a) => a.status).sort();
    assert.deepEqual(statuses, [200, 200, 200, 200, 200, 429, 429, 429]);
    const limited = answers.find((a) => a.status === 429)!;
    assert.equal(limited.headers.get('retry-after'), '1');
    assert.equal(((await limited.json()) as { error: { code: string } }).error.code, 'TOO_MANY_REQUESTS');
    // The web app's server (it holds KEY) and health checks are not counted.
    assert.equal((await t.publicFetch('/room/limited', { method: 'POST' })).status, 201);
    assert.equal((await t.publicFetch('/health', { key: null })).status, 200);
    assert.equal((await t.publicFetch('/', { key: null })).status, 429);
  });
});

/** A raw connection to the public port; resolves once it is open. */
function rawConnect(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => resolve(socket));
    socket.once('error', reject);
  });
}

/** One keep-alive request on a raw socket: the status line, or 'closed' if the server closed it instead. */
function ask(socket: Socket): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    const onData = (chunk: Buffer) => {
      text += chunk.toString('latin1');
      if (!text.includes('\r\n')) return;
      socket.off('data', onData);
      resolve(text.slice(0, text.indexOf('\r\n')));
    };
    socket.on('data', onData);
    socket.once('close', () => resolve(text ? text.slice(0, text.indexOf('\r\n')) : 'closed'));
    socket.write('GET /api/v1/health HTTP/1.1\r\nHost: test\r\n\r\n');
  });
}

describe('open connections per address on the public listener', async () => {
  const t = await startTestServer({ PUBLIC_MAX_CONNECTIONS_PER_ADDRESS: '3' });
  const port = t.server.publicPort;

  it('closes a connection over the limit at once, and admits one again after another closed', async () => {
    const held = await Promise.all([1, 2, 3].map(() => rawConnect(port)));
    for (const socket of held) assert.equal(await ask(socket), 'HTTP/1.1 200 OK');
    const extra = await rawConnect(port);
    assert.equal(await ask(extra), 'closed');
    assert.equal(t.server.connectionLimit.refused, 1);
    const gone = new Promise((resolve) => held[0]!.once('close', resolve));
    held[0]!.destroy();
    await gone;
    await eventually('the closed connection is counted out', () => t.server.connectionLimit.held('127.0.0.1') === 2);
    const again = await rawConnect(port);
    assert.equal(await ask(again), 'HTTP/1.1 200 OK');
    for (const socket of [...held, again]) socket.destroy();
  });

  it('does not count connections from a trusted proxy', async () => {
    const proxied = await startTestServer({ PUBLIC_MAX_CONNECTIONS_PER_ADDRESS: '1', TRUSTED_PROXIES: '127.0.0.1' });
    const sockets = await Promise.all([1, 2, 3].map(() => rawConnect(proxied.server.publicPort)));
    for (const socket of sockets) assert.equal(await ask(socket), 'HTTP/1.1 200 OK');
    for (const socket of sockets) socket.destroy();
  });
});
