/**
 * The room's HTTP fallback through the shipped NGINX site: a Chromium page
 * without WebSockets joins and chats over https://…/rooms/<port>/http/…, the
 * event stream arrives unbuffered, and paths beside the four stay out of reach.
 * Needs /usr/sbin/nginx, openssl and /usr/bin/chromium; skipped without them.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ensureWebBuilt } from '../../scripts/build-web.js';
import { CHROMIUM, openBrowser } from '../helpers/browser.js';
import { roomPortRange, startTestServer } from '../helpers/server.js';
import { TestClient } from '../helpers/ws-client.js';
import { freeLoopbackPort, makeCertificate, NGINX, renderSite, SITE_FILE, startNginx } from './nginx-harness.js';

const missing = [NGINX, '/usr/bin/openssl', CHROMIUM].filter((file) => !existsSync(file));
const skip =
  missing.length > 0
    ? `needs ${missing.join(' and ')}; install with: apt-get install -y nginx openssl chromium`
    : false;

if (skip) it('the HTTP fallback behind the shipped NGINX site', { skip }, () => undefined);
else
  describe('the HTTP fallback behind the shipped NGINX site', async () => {
    await ensureWebBuilt();
    const work = await mkdtemp(join(tmpdir(), 'chatserver-fallback-'));
    after(() => rm(work, { recursive: true, force: true }));
    const { certFile, keyFile, cert } = await makeCertificate(work);
    const range = roomPortRange(96);
    const t = await startTestServer({
      ALLOW_GUESTS: 'on',
      TRUSTED_PROXIES: '127.0.0.1',
      PUBLIC_ROOM_PATH_PREFIX: '/rooms/',
      ROOM_PORT_MIN: String(range.min),
      ROOM_PORT_MAX: String(range.max),
    });
    const httpPort = await freeLoopbackPort();
    const httpsPort = await freeLoopbackPort();
    const site = renderSite(await readFile(SITE_FILE, 'utf8'), {
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
    const origin = `https://127.0.0.1:${httpsPort}`;

    /** One HTTPS request through NGINX; resolves at the response's headers with its first body bytes. */
    const first = (path: string, init: { method?: string; body?: string } = {}) =>
      new Promise<{ status: number; headers: Record<string, unknown>; firstChunk: string; close(): void }>(
        (resolve, reject) => {
          const req = request(`${origin}${path}`, { method: init.method ?? 'GET', ca: cert }, (res) => {
            res.once('data', (chunk: Buffer) =>
              resolve({
                status: res.statusCode ?? 0,
                headers: res.headers,
                firstChunk: chunk.toString(),
                close: () => req.destroy(),
              }),
            );
            res.once('end', () =>
              resolve({ status: res.statusCode ?? 0, headers: res.headers, firstChunk: '', close: () => undefined }),
            );
          });
          req.on('error', reject);
          req.end(init.body);
        },
      );

    it('streams a session’s events through the room path without buffering, and nothing beside the four paths', async () => {
      const port = await t.createRoom('proxied');
      const joined = await first(`/rooms/${port}/http/join`, {
        method: 'POST',
        body: JSON.stringify({ type: 'join', name: 'Curl' }),
      });
      assert.equal(joined.status, 201);
      const session = (JSON.parse(joined.firstChunk) as { session: string }).session;
      // The first bytes of the stream arrive while it is still open: NGINX does not hold them.
      const stream = await first(`/rooms/${port}/http/events?session=${session}`);
      assert.equal(stream.status, 200);
      assert.match(String(stream.headers['content-type']), /^text\/event-stream/);
      assert.match(stream.firstChunk, /^: open/);
      stream.close();
      const beside = await first(`/rooms/${port}/http/other`);
      assert.equal(beside.status, 404);
      assert.match(beside.firstChunk, /No such path/);
    });

    it('lets a Chromium page without WebSockets join and chat through NGINX', async () => {
      const port = await t.createRoom('proxiedpage');
      const context = await openBrowser({ width: 820, height: 520 }, 'chat-nginx-fallback', {
        ignoreHTTPSErrors: true,
      });
      context.setDefaultTimeout(15_000);
      await context.addInitScript(() => {
        delete (globalThis as { WebSocket?: unknown }).WebSocket;
      });
      const page = await context.newPage();
      await page.goto(`${origin}/app/?room=proxiedpage`);
      await page.getByTestId('join-name').fill('Proxied');
      await page.getByTestId('join-button').click();
      const status = page.locator('[data-testid=connection-status][data-state=open]');
      await status.waitFor();
      assert.equal(await status.getAttribute('data-transport'), 'http');
      const { client: ws } = await TestClient.join(
        `wss://127.0.0.1:${httpsPort}/rooms/${port}/`,
        { name: 'Wss' },
        { ca: cert },
      );
      await page.getByTestId('message-input').fill('through nginx over http');
      await page.getByTestId('message-input').press('Enter');
      await ws.next('message', (f) => f.text === 'through nginx over http');
      ws.send({ type: 'message', text: 'back through nginx over wss' });
      await page.getByTestId('message').filter({ hasText: 'back through nginx over wss' }).waitFor();
      ws.close();
    });
  });
