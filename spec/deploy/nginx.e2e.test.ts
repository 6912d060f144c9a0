/**
 * The shipped NGINX site in front of a real chat server, end to end: TLS with a
 * throw-away certificate, the public API and room WebSockets through the one HTTPS
 * port, the room range enforced, the admin API out of reach, the client's address
 * handed over in X-Forwarded-For. Needs /usr/sbin/nginx and openssl; skipped (with
 * how to enable it) where they are missing. `.ci/run` installs NGINX.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { after, describe, it } from 'node:test';
import { loadConfig } from '../../src/config.js';
import { roomPortPattern, roomPortPatternIn } from '../../scripts/nginx-room-ports.js';
import { capturingLogger } from '../helpers/logs.js';
import { ADMIN_KEY, KEY, roomPortRange, startTestServer } from '../helpers/server.js';
import { eventually } from '../helpers/wait.js';
import { TestClient } from '../helpers/ws-client.js';
import { freeLoopbackPort, makeCertificate, NGINX, renderSite, SITE_FILE, startNginx } from './nginx-harness.js';

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  json(): { data?: Record<string, unknown>; error?: { code: string } };
}

interface Call {
  method?: string;
  headers?: Record<string, string>;
  host?: string;
  tls?: boolean;
}

const missing = [NGINX, '/usr/bin/openssl'].filter((file) => !existsSync(file));
const skip =
  missing.length > 0
    ? `needs ${missing.join(' and ')}; install with: apt-get install -y nginx openssl (.ci/run does this)`
    : false;

// One skipped test (not a skipped suite) so the runner counts it among "skipped".
if (skip) it('chatserver behind the shipped NGINX site', { skip }, () => undefined);
else
  describe('chatserver behind the shipped NGINX site', async () => {
    const work = await mkdtemp(join(tmpdir(), 'chatserver-tls-'));
    after(() => rm(work, { recursive: true, force: true }));
    const { certFile, keyFile, cert } = await makeCertificate(work);
    const range = roomPortRange(97);
    const { logger, lines } = capturingLogger('info');
    const t = await startTestServer(
      {
        TRUSTED_PROXIES: '127.0.0.1',
        PUBLIC_ROOM_PATH_PREFIX: '/rooms/',
        ROOM_PORT_MIN: String(range.min),
        ROOM_PORT_MAX: String(range.max),
      },
      { logger },
    );
    const httpPort = await freeLoopbackPort();
    const httpsPort = await freeLoopbackPort();
    const shipped = await readFile(SITE_FILE, 'utf8');
    const site = renderSite(shipped, {
      httpPort,
      httpsPort,
      appPort: t.server.publicPort,
      certFile,
      keyFile,
      roomPortMin: range.min,
      roomPortMax: range.max,
    });
    const nginx = await startNginx(site, httpsPort);
    after(() => nginx.stop());

    /** One request to NGINX (HTTPS on 127.0.0.1 unless told), trusting only the test certificate. */
    const call = (path: string, init: Call = {}): Promise<Answer> =>
      new Promise((resolve, reject) => {
        const tls = init.tls ?? true;
        const options = {
          host: init.host ?? '127.0.0.1',
          port: tls ? httpsPort : httpPort,
          path,
          method: init.method ?? 'GET',
          headers: init.headers ?? {},
          ...(tls ? { ca: cert } : {}),
        };
        const req = (tls ? httpsRequest : httpRequest)(options, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => {
            const body = Buffer.concat(chunks);
            resolve({
              status: res.statusCode ?? 0,
              headers: res.headers,
              body,
              json: () => JSON.parse(body.toString()),
            });
          });
          res.on('error', reject);
        });
        req.on('error', reject);
        req.end();
      });
    const roomUrl = (path: string) => `wss://127.0.0.1:${httpsPort}${path}`;

    it('ships the room range of the default configuration', () => {
      const defaults = loadConfig({});
      assert.equal(roomPortPatternIn(shipped), roomPortPattern(defaults.roomPortMin, defaults.roomPortMax));
    });

    it('keeps idle room connections open longer than the ping interval and its pong timeout', () => {
      const defaults = loadConfig({});
      const seconds = /proxy_read_timeout (\d+)s;/.exec(site)?.[1];
      assert.ok(seconds !== undefined, 'the rooms location sets proxy_read_timeout in seconds');
      assert.ok(Number(seconds) * 1000 > defaults.limits.pingIntervalMs + defaults.limits.pongTimeoutMs);
    });

    it('redirects plain HTTP to HTTPS', async () => {
      const res = await call('/api/v1/health', { tls: false });
      assert.equal(res.status, 301);
      assert.equal(res.headers.location, 'https://127.0.0.1/api/v1/health');
    });

    it('serves the public API over TLS', async () => {
      const res = await call('/api/v1/');
      assert.equal(res.status, 200);
      assert.equal(res.json().data?.app, 'chatserver');
      assert.equal((await call('/api/v1/health')).json().data?.status, 'ok');
    });

    it('compresses JSON answers with gzip for clients that accept it', async () => {
      // The app's 404 names the path, which makes an answer long enough to compress.
      const path = `/api/v1/${'x'.repeat(400)}`;
      const res = await call(path, { headers: { 'Accept-Encoding': 'gzip' } });
      assert.equal(res.status, 404);
      assert.equal(res.headers['content-encoding'], 'gzip');
      assert.match(String(res.headers['content-type']), /application\/json/);
      const body = JSON.parse(gunzipSync(res.body).toString()) as { error: { code: string } };
      assert.equal(body.error.code, 'NOT_FOUND');
      assert.equal((await call(path)).headers['content-encoding'], undefined);
    });

    it('creates a room through NGINX and answers its public path', async () => {
      const res = await call('/api/v1/room/lobby', { method: 'POST', headers: { 'X-API-Key': KEY } });
      assert.equal(res.status, 201);
      const data = res.json().data as { port: number; path: string };
      assert.ok(data.port >= range.min && data.port <= range.max);
      assert.equal(data.path, `/rooms/${data.port}/`);
      const lookup = (await call('/api/v1/room/lobby')).json().data as { path: string };
      assert.equal(lookup.path, data.path);
    });

    it('carries chat between two wss:// clients through the room path', async () => {
      const created = await call('/api/v1/room/chat', { method: 'POST', headers: { 'X-API-Key': KEY } });
      const { path } = created.json().data as { path: string };
      const ann = await TestClient.join(roomUrl(path), { name: 'Ann' }, { ca: cert });
      const bob = await TestClient.join(roomUrl(path), { name: 'Bob' }, { ca: cert });
      assert.equal(ann.welcome.type, 'welcome');
      ann.client.send({ type: 'message', text: 'hi through NGINX' });
      const [toAnn, toBob] = await Promise.all([ann.client.next('message'), bob.client.next('message')]);
      assert.equal(toAnn.text, 'hi through NGINX');
      assert.equal(toBob.text, 'hi through NGINX');
      bob.client.send({ type: 'message', text: 'hello back' });
      assert.equal((await ann.client.next('message', (f) => f.text === 'hello back')).text, 'hello back');
      // A plain GET on the room path reaches the room too: it answers its name.
      const name = await call(path);
      assert.equal(name.status, 200);
      assert.match(name.body.toString(), /chat/);
      ann.client.close();
      bob.client.close();
    });

    it('refuses room paths for ports outside the room range', async () => {
      for (const port of [t.server.publicPort, t.server.adminPort, range.min - 1, range.max + 1, 22]) {
        const res = await call(`/rooms/${port}/`);
        assert.equal(res.status, 404, `port ${port}`);
        assert.equal(res.json().error?.code, 'NOT_FOUND');
      }
      await assert.rejects(TestClient.connect(roomUrl(`/rooms/${t.server.adminPort}/`), { ca: cert }), /HTTP 404/);
    });

    it('answers a JSON 503 when a room port in the range has nothing listening', async () => {
      // Rooms take ports from the bottom of the range; the top one is free here.
      const res = await call(`/rooms/${range.max}/`);
      assert.equal(res.status, 503);
      assert.equal(res.json().error?.code, 'UNAVAILABLE');
      assert.equal(res.headers['retry-after'], '5');
    });

    it('never exposes the admin API', async () => {
      const calls: Array<[string, string]> = [
        ['GET', '/api/v1/load'],
        ['GET', '/api/v1/rooms'],
        ['GET', '/api/v1/metrics'],
        ['POST', '/api/v1/drain'],
        ['POST', '/api/v1/restart'],
        ['DELETE', '/api/v1/shutdown'],
      ];
      for (const [method, path] of calls) {
        const res = await call(path, { method, headers: { 'X-API-Key': ADMIN_KEY } });
        assert.equal(res.status, 404, `${method} ${path}`);
      }
      // The calls that would have stopped the server did nothing.
      assert.equal((await call('/api/v1/health')).json().data?.status, 'ok');
      assert.equal((await t.adminFetch('/')).status, 200);
    });

    it('hands the app the client address, believed from the trusted proxy only', async () => {
      const spoofed = { 'X-Forwarded-For': '203.0.113.7' };
      const seen = async (path: string, send: () => Promise<unknown>) => {
        await send();
        // The log line is written when the answer finishes.
        const line = await eventually(`the log line of ${path}`, () =>
          lines.find((l) => String(l.message).includes(path)),
        );
        return line.ip;
      };
      // Through NGINX from ::1: NGINX connects to the app from 127.0.0.1, so seeing ::1
      // means the app believed the header; the client's own header was replaced.
      assert.equal(
        await seen('/api/v1/room/ip-a', () => call('/api/v1/room/ip-a', { host: '::1', headers: spoofed })),
        '::1',
      );
      assert.equal(await seen('/api/v1/room/ip-b', () => call('/api/v1/room/ip-b', { headers: spoofed })), '127.0.0.1');
      // Straight to the app from an address that is not a trusted proxy: the header is ignored.
      const direct = `http://[::1]:${t.server.publicPort}/api/v1/room/ip-c`;
      assert.equal(await seen('/api/v1/room/ip-c', () => fetch(direct, { headers: spoofed })), '::1');
    });

    it('limits room upgrades per address, by rate and by open connections', () => {
      const rooms = /location ~ \^\/rooms\/[^{]*\{([^}]*)\}/.exec(site)?.[1] ?? '';
      assert.match(rooms, /limit_req zone=chatserver_upgrades /);
      assert.match(rooms, /limit_conn chatserver_conns \d+;/);
    });

    // Last: it spends this address's API allowance.
    it('answers a flood of API requests from one address with JSON 429 and Retry-After', async () => {
      const answers = await Promise.all(Array.from({ length: 120 }, () => call('/api/v1/')));
      const limited = answers.filter((a) => a.status === 429);
      const passed = answers.filter((a) => a.status === 200);
      // About the burst (40) passes at once (less what the suite's earlier calls took
      // from it); most of the rest are refused by NGINX before the app.
      assert.ok(passed.length >= 30, `passed: ${passed.length}`);
      assert.ok(limited.length >= 50, `limited: ${limited.length}`);
      assert.equal(passed.length + limited.length, answers.length);
      assert.equal(limited[0]!.json().error?.code, 'TOO_MANY_REQUESTS');
      assert.equal(limited[0]!.headers['retry-after'], '1');
    });
  });
