import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ensureWebBuilt } from '../../scripts/build-web.js';
import { capturingLogger } from '../helpers/logs.js';
import { startTestServer } from '../helpers/server.js';

describe('chat page at /app/', async () => {
  await ensureWebBuilt();
  const { logger, lines } = capturingLogger('debug');
  const t = await startTestServer({}, { logger });
  const site = t.api.replace('/api/v1', '');

  it('serves the page with a CSP that allows room WebSockets and nothing else from elsewhere', async () => {
    const res = await fetch(`${site}/app/?room=testroom`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/html/);
    assert.match(await res.text(), /data-testid="message-input"/);
    const csp = res.headers.get('content-security-policy') ?? '';
    assert.match(csp, /connect-src 'self' ws: wss:/);
    assert.match(csp, /default-src 'self'/);
    assert.match(csp, /script-src 'self'(;|$)/);
    assert.match(csp, /object-src 'none'/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|upgrade-insecure-requests/);
  });

  it('serves the bundle and the styles', async () => {
    const js = await fetch(`${site}/app/app.js`);
    assert.equal(js.status, 200);
    assert.match(js.headers.get('content-type') ?? '', /javascript/);
    const css = await fetch(`${site}/app/app.css`);
    assert.match(css.headers.get('content-type') ?? '', /^text\/css/);
  });

  it('redirects /app to /app/ so the page finds its files', async () => {
    const res = await fetch(`${site}/app?room=x`, { redirect: 'manual' });
    assert.ok([301, 302, 308].includes(res.status), `status ${res.status}`);
    assert.match(res.headers.get('location') ?? '', /^\/app\/\?room=x$/);
  });

  it('keeps the strict default CSP on the API', async () => {
    const res = await t.publicFetch('/', { key: null });
    assert.doesNotMatch(res.headers.get('content-security-policy') ?? '', /ws:/);
  });

  it('is not served on the admin port', async () => {
    const res = await fetch(`${t.admin.replace('/api/v1', '')}/app/`);
    assert.equal(res.status, 404);
    assert.match(res.headers.get('content-type') ?? '', /application\/json/);
  });

  it('logs the page’s static files at debug level and API requests at info', async () => {
    for (const file of ['', 'app.js', 'app.css']) assert.equal((await fetch(`${site}/app/${file}`)).status, 200);
    await t.publicFetch('/', { key: null });
    const logged = (path: string) =>
      lines.find((l) => typeof l.message === 'string' && l.message.startsWith(`GET ${path} `));
    for (const path of ['/app/', '/app/app.js', '/app/app.css'])
      assert.equal(logged(path)?.level, 'debug', `${path} at debug`);
    assert.equal(logged('/api/v1/')?.level, 'info', 'the API at info');
  });
});
