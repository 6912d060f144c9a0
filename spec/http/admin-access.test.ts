/**
 * Who may use the admin API: ADMIN_ALLOWED_IPS (403), X-Forwarded-For believed
 * only from TRUSTED_PROXIES, and the wrong-key lock-out (429 with Retry-After,
 * logged once per block).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config.js';
import { plainAddress } from '../../src/http/admin-access.js';
import { KeyLockout } from '../../src/http/key-lockout.js';
import { capturingLogger } from '../helpers/logs.js';
import { ADMIN_KEY, startTestServer, type TestServer } from '../helpers/server.js';

type ErrorBody = { error: { code: string; message: string } };

/** A call from `address` as a trusted proxy on loopback would forward it. */
const from = (t: TestServer, address: string | null, key: string | null = ADMIN_KEY, path = '/load') =>
  t.adminFetch(path, { key, headers: address === null ? {} : { 'X-Forwarded-For': address } });

describe('admin wrong-key lock-out', async () => {
  const { logger, lines } = capturingLogger('warn');
  const t = await startTestServer({ TRUSTED_PROXIES: '127.0.0.1' }, { logger });
  const blockLines = (ip: string) => lines.filter((l) => l.ip === ip && String(l.message).includes('blocked'));

  it('blocks an address for a minute after ten wrong keys, even with the right key, and logs it once', async () => {
    const ip = '203.0.113.7';
    for (let i = 1; i <= 9; i++) assert.equal((await from(t, ip, `wrong-${i}`)).status, 401, `attempt ${i}`);
    const tenth = await from(t, ip, 'wrong-10');
    assert.equal(tenth.status, 429);
    assert.equal(tenth.headers.get('retry-after'), '60');
    assert.equal(((await tenth.json()) as ErrorBody).error.code, 'TOO_MANY_REQUESTS');

    for (const key of [ADMIN_KEY, 'wrong-again', null]) {
      const res = await from(t, ip, key, '/');
      assert.equal(res.status, 429, `blocked with ${String(key)}`);
      const retryAfter = Number(res.headers.get('retry-after'));
      assert.ok(retryAfter >= 1 && retryAfter <= 60, `Retry-After ${retryAfter}`);
    }
    assert.equal(blockLines(ip).length, 1, 'one log line per block');
    assert.equal(blockLines(ip)[0]!.level, 'warn');

    // Another address is not affected.
    assert.equal((await from(t, '203.0.113.8')).status, 200);
  });

  it('starts an address from zero after a right key', async () => {
    const ip = '203.0.113.20';
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < 9; i++) assert.equal((await from(t, ip, 'nope')).status, 401);
      assert.equal((await from(t, ip)).status, 200);
    }
    assert.equal(blockLines(ip).length, 0);
  });

  it('counts missing keys as wrong keys', async () => {
    const ip = '203.0.113.30';
    for (let i = 0; i < 9; i++) assert.equal((await from(t, ip, null)).status, 401);
    assert.equal((await from(t, ip, null)).status, 429);
  });
});

describe('admin lock-out without a trusted proxy', () => {
  it('ignores X-Forwarded-For, so changing it does not escape the count', async () => {
    const t = await startTestServer();
    for (let i = 1; i <= 9; i++) assert.equal((await from(t, `198.51.100.${i}`, 'wrong')).status, 401);
    assert.equal((await from(t, '198.51.100.10', 'wrong')).status, 429);
    assert.equal((await from(t, null)).status, 429, 'the loopback address itself is blocked');
  });
});

describe('ADMIN_ALLOWED_IPS', () => {
  it('lets listed addresses in and refuses others with 403 before the key is checked', async () => {
    const open = await startTestServer({ ADMIN_ALLOWED_IPS: '127.0.0.1' });
    assert.equal((await open.adminFetch('/')).status, 200);

    const closed = await startTestServer({ ADMIN_ALLOWED_IPS: '10.0.0.0/8, fd00::/8' });
    for (const key of [ADMIN_KEY, 'wrong', null]) {
      const res = await closed.adminFetch('/load', { key });
      assert.equal(res.status, 403, `with ${String(key)}`);
      const body = (await res.json()) as ErrorBody;
      assert.equal(body.error.code, 'FORBIDDEN');
      assert.match(body.error.message, /ADMIN_ALLOWED_IPS/);
    }
    // The public API is not behind the admin allow list.
    assert.equal((await closed.publicFetch('/health', { key: null })).status, 200);
  });

  it('takes the client address from X-Forwarded-For only when the request came through TRUSTED_PROXIES', async () => {
    const proxied = await startTestServer({ ADMIN_ALLOWED_IPS: '203.0.113.0/24', TRUSTED_PROXIES: '127.0.0.1' });
    assert.equal((await from(proxied, '203.0.113.9')).status, 200);
    assert.equal((await from(proxied, '198.51.100.1')).status, 403);
    assert.equal((await from(proxied, null)).status, 403, 'the proxy itself is not listed');

    const direct = await startTestServer({ ADMIN_ALLOWED_IPS: '203.0.113.0/24' });
    assert.equal((await from(direct, '203.0.113.9')).status, 403, 'a client cannot claim a listed address');
  });

  it('refuses an entry that is not an address or a range, naming the variable', () => {
    for (const value of ['nonsense', '10.0.0.0/33', '127.0.0.1/8/8', 'fd00::/129']) {
      assert.throws(
        () => loadConfig({ ADMIN_ALLOWED_IPS: value }),
        (error: unknown) =>
          error instanceof ConfigError && error.problems.some((p) => p.startsWith('ADMIN_ALLOWED_IPS')),
        value,
      );
    }
    assert.deepEqual(loadConfig({ ADMIN_ALLOWED_IPS: '127.0.0.1, ::1, 10.0.0.0/8' }).adminAllowedIps, [
      '127.0.0.1',
      '::1',
      '10.0.0.0/8',
    ]);
  });

  it('reads an IPv4 client on a dual-stack socket as its IPv4 address', () => {
    assert.equal(plainAddress('::ffff:127.0.0.1'), '127.0.0.1');
    assert.equal(plainAddress('::1'), '::1');
  });
});

describe('KeyLockout', () => {
  it('lifts a block after its minute and forgets wrong keys older than the window', () => {
    let now = 1_000_000;
    const lockout = new KeyLockout({ now: () => now });
    for (let i = 0; i < 9; i++) assert.equal(lockout.failed('a'), 0);
    now += 60_000; // the nine fall out of the window
    assert.equal(lockout.failed('a'), 0);
    for (let i = 0; i < 8; i++) assert.equal(lockout.failed('a'), 0);
    assert.equal(lockout.failed('a'), 60_000, 'ten within a minute');
    assert.equal(lockout.blockedFor('a'), 60_000);
    assert.equal(lockout.failed('a'), 0, 'a wrong key while blocked does not start another block');
    now += 59_999;
    assert.equal(lockout.blockedFor('a'), 1);
    now += 1;
    assert.equal(lockout.blockedFor('a'), 0);
    assert.equal(lockout.failed('a'), 0, 'counting starts again after the block');
  });

  it('remembers a bounded number of addresses', () => {
    let now = 0;
    const lockout = new KeyLockout({ now: () => now, maxTracked: 100 });
    for (let i = 0; i < 10_000; i++) {
      now += 1;
      lockout.failed(`198.51.${Math.floor(i / 256)}.${i % 256}`);
      assert.ok(lockout.size <= 100);
    }
    // The most recent address is still counted.
    for (let i = 0; i < 8; i++) lockout.failed('198.51.39.15');
    assert.equal(lockout.failed('198.51.39.15'), 60_000);
  });
});
