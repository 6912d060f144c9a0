import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { ConfigError } from '../../src/config.js';
import { loadLbConfig } from '../../src/loadbalancer/config.js';
import { Registry } from '../../src/loadbalancer/registry.js';
import { LoadBalancerService } from '../../src/loadbalancer/service.js';
import { eventually } from '../helpers/wait.js';
import { testLogger } from '../helpers/server.js';

const KEY = 'lb-test-key';

type Answer = { status: string; message: unknown };
type Entry = { name: string; cpus: number; rooms: number; version: string; timestamp: number; capacity: number };

async function startService(env: Record<string, string> = {}) {
  const config = loadLbConfig({ LB_PORT: '0', LB_BIND: '127.0.0.1', LB_KEY: KEY, ...env });
  const service = new LoadBalancerService(config, testLogger(), '9.9.9');
  await service.listen();
  after(() => service.close());
  const base = `http://127.0.0.1:${service.port}`;
  const call = (method: string, path: string, key: string | null = KEY) =>
    fetch(`${base}${path}`, { method, headers: key === null ? {} : { 'X-API-Key': key } });
  const json = async (method: string, path: string) => {
    const res = await call(method, path);
    assert.equal(res.status, 200, `${method} ${path}`);
    return (await res.json()) as Answer;
  };
  const register = (name: string, cpus: number, rooms: number, version: string) =>
    json('PUT', `/register/${encodeURIComponent(name)}/${cpus}/${rooms}/${encodeURIComponent(version)}`);
  const info = async () => (await json('GET', '/info/json')).message as Record<string, Entry>;
  return { service, call, json, register, info };
}

describe('load-balancer service', async () => {
  const lb = await startService();

  it('answers its name and version on GET / as text', async () => {
    const res = await lb.call('GET', '/', null);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain/);
    assert.equal(await res.text(), 'loadbalancer 9.9.9');
  });

  it('registers a server by its URL-encoded name and lists it in /info/json', async () => {
    const name = 'http://10.0.0.5:80';
    const before = Math.floor(Date.now() / 1000);
    assert.deepEqual(await lb.register(name, 26, 10, '1.1'), { status: 'ok', message: `Registered ${name}` });
    const entry = (await lb.info())[name];
    assert.ok(entry);
    assert.deepEqual(
      { ...entry, timestamp: 0 },
      { name, cpus: 26, rooms: 10, version: '1.1', timestamp: 0, capacity: 16 },
    );
    assert.ok(entry.timestamp >= before && entry.timestamp <= Math.floor(Date.now() / 1000));
  });

  it('updates a server on its next heartbeat', async () => {
    const name = 'http://10.0.0.6:80';
    await lb.register(name, 4, 0, '1.1');
    await lb.register(name, 4, 3, '1.1');
    const entry = (await lb.info())[name];
    assert.equal(entry?.rooms, 3);
    assert.equal(entry?.capacity, 1);
  });

  it('unregisters a server', async () => {
    const name = 'http://10.0.0.7:80';
    await lb.register(name, 4, 0, '1.1');
    const answer = await lb.json('DELETE', `/register/${encodeURIComponent(name)}`);
    assert.deepEqual(answer, { status: 'ok', message: `Unregistered ${name}` });
    assert.equal((await lb.info())[name], undefined);
  });

  it('finds the server with the most free capacity among those of exactly that version', async () => {
    const local = await startService();
    await local.register('http://a:1', 8, 7, '2.0'); // 1 free
    await local.register('http://b:1', 8, 2, '2.0'); // 6 free
    await local.register('http://c:1', 8, 4, '2.0'); // 4 free
    await local.register('http://d:1', 64, 0, '2.1'); // most free, other version
    assert.deepEqual(await local.json('GET', '/find/2.0'), { status: 'ok', message: 'http://b:1' });
    assert.deepEqual(await local.json('GET', '/find/2.1'), { status: 'ok', message: 'http://d:1' });
    await local.register('http://b:1', 8, 8, '2.0'); // b is now full
    assert.deepEqual(await local.json('GET', '/find/2.0'), { status: 'ok', message: 'http://c:1' });
  });

  it('answers an empty name when no server of that version has a free slot', async () => {
    const local = await startService();
    assert.deepEqual(await local.json('GET', '/find/1.0'), { status: 'ok', message: '' });
    await local.register('http://full:1', 2, 2, '1.0');
    assert.deepEqual(await local.json('GET', '/find/1.0'), { status: 'ok', message: '' });
  });

  it('refuses every keyed call with a wrong or missing key: 400 "Not allowed", registry untouched', async () => {
    const name = encodeURIComponent('http://intruder:1');
    const calls: Array<[string, string]> = [
      ['PUT', `/register/${name}/4/0/1.1`],
      ['DELETE', `/register/${encodeURIComponent('http://10.0.0.5:80')}`],
      ['GET', '/find/1.1'],
      ['GET', '/info/json'],
      ['GET', '/info/html'],
    ];
    for (const key of [null, '', 'wrong', `${KEY}x`]) {
      for (const [method, path] of calls) {
        const res = await lb.call(method, path, key);
        assert.equal(res.status, 400, `${method} ${path} with ${String(key)}`);
        assert.deepEqual(await res.json(), { status: 'error', message: 'Not allowed' });
      }
    }
    const info = await lb.info();
    assert.equal(info['http://intruder:1'], undefined);
    assert.ok(info['http://10.0.0.5:80'], 'the refused DELETE removed nothing');
  });

  it('refuses counts that are not whole numbers, and unknown paths, in the contract shape', async () => {
    for (const path of ['/register/x/four/0/1.1', '/register/x/4/-1/1.1', '/register/x/4/1.5/1.1']) {
      const res = await lb.call('PUT', path);
      assert.equal(res.status, 400, path);
      const body = (await res.json()) as Answer;
      assert.equal(body.status, 'error');
    }
    const res = await lb.call('GET', '/nope');
    assert.equal(res.status, 404);
    assert.equal(((await res.json()) as Answer).status, 'error');
  });

  it('escapes every value it prints in /info/html', async () => {
    const local = await startService();
    const name = `<script>alert("x")</script>&'`;
    await local.register(name, 3, 1, '<b>1</b>');
    const res = await local.call('GET', '/info/html');
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/html/);
    const html = await res.text();
    assert.ok(!html.includes('<script>'), 'markup from a server name reached the page');
    assert.ok(!html.includes('<b>1</b>'));
    assert.ok(html.includes('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;'));
    assert.ok(html.includes('&lt;b&gt;1&lt;/b&gt;'));
    assert.match(html, /http-equiv="refresh"/);
  });

  it('drops a server that sends no heartbeat within the expiry, and keeps one that does', async () => {
    const local = await startService({ LB_EXPIRY_S: '1' });
    await local.register('http://silent:1', 4, 0, '1.0');
    await local.register('http://alive:1', 4, 0, '1.0');
    const info = await eventually('the silent server to expire', async () => {
      await local.register('http://alive:1', 4, 0, '1.0');
      const now = await local.info();
      return now['http://silent:1'] === undefined ? now : undefined;
    });
    assert.ok(info['http://alive:1']);
    assert.deepEqual(await local.json('GET', '/find/1.0'), { status: 'ok', message: 'http://alive:1' });
  });
});

describe('load-balancer registry', () => {
  it('expires exactly at the expiry, on every read', () => {
    let now = 1_000_000;
    const expired: string[] = [];
    const registry = new Registry(
      30_000,
      (name) => expired.push(name),
      () => now,
    );
    registry.register('a', 2, 0, '1');
    now += 29_999;
    assert.equal(registry.find('1'), 'a');
    now += 1;
    assert.equal(registry.find('1'), '');
    assert.deepEqual(registry.all(), {});
    assert.deepEqual(expired, ['a']);
  });
});

describe('load-balancer configuration', () => {
  it('takes LB_PORT and LB_KEY, or PORT and KEY like the original, with a 30 s expiry by default', () => {
    const a = loadLbConfig({ LB_PORT: '2000', LB_KEY: 'k1', PORT: '1', KEY: 'k2' });
    assert.equal(a.port, 2000);
    assert.equal(a.key, 'k1');
    assert.equal(a.expiryMs, 30_000);
    const b = loadLbConfig({ PORT: '2001', KEY: 'k2' });
    assert.equal(b.port, 2001);
    assert.equal(b.key, 'k2');
  });

  it('refuses a missing key and a bad port, naming each', () => {
    assert.throws(
      () => loadLbConfig({ LB_PORT: 'abc', LB_EXPIRY_S: '0' }),
      (error: unknown) =>
        error instanceof ConfigError &&
        error.problems.some((p) => p.startsWith('LB_PORT=')) &&
        error.problems.some((p) => p.startsWith('LB_KEY')) &&
        error.problems.some((p) => p.startsWith('LB_EXPIRY_S=')),
    );
  });
});
