/**
 * The operator's console's files on the admin listener: served without the key
 * (the page asks for it), under a CSP that keeps scripts, styles and connections
 * to the page's own origin, only where ADMIN_ALLOWED_IPS lets the caller in, and
 * never on the public listener.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ensureAdminConsoleBuilt } from '../../scripts/build-web.js';
import { startTestServer } from '../helpers/server.js';

describe("the operator's console files", async () => {
  await ensureAdminConsoleBuilt();
  const t = await startTestServer();
  const adminBase = t.admin.replace('/api/v1', '');

  it('serves the page at /admin/ without a key, with a same-origin CSP and no caching', async () => {
    const res = await fetch(`${adminBase}/admin/`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/html/);
    assert.equal(res.headers.get('cache-control'), 'no-store');
    const csp = res.headers.get('content-security-policy') ?? '';
    for (const directive of ["script-src 'self'", "connect-src 'self'", "style-src 'self'", "frame-ancestors 'none'"])
      assert.ok(csp.split(';').includes(directive), `${directive} in ${csp}`);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
    const html = await res.text();
    // Every script the page runs is a file of its own origin: nothing inline for the CSP to refuse.
    const scripts = [...html.matchAll(/<script\b([^>]*)>/g)].map((m) => m[1]!);
    assert.deepEqual(scripts, [' type="module" src="console.js"']);
    assert.doesNotMatch(html, /\sstyle=|\son[a-z]+=/i, 'no inline styles or handlers');
  });

  it('serves the bundle beside it, and redirects /admin to /admin/', async () => {
    const js = await fetch(`${adminBase}/admin/console.js`);
    assert.equal(js.status, 200);
    assert.match(js.headers.get('content-type') ?? '', /javascript/);
    const bare = await fetch(`${adminBase}/admin`, { redirect: 'manual' });
    assert.equal(bare.status, 301);
    assert.equal(bare.headers.get('location'), '/admin/');
  });

  it('keeps the admin API behind the key the page sends', async () => {
    assert.equal((await t.adminFetch('/load', { key: null })).status, 401);
    assert.equal((await t.adminFetch('/load')).status, 200);
  });

  it('is not on the public listener', async () => {
    const res = await fetch(t.api.replace('/api/v1', '/admin/'));
    assert.equal(res.status, 404);
    assert.match(((await res.json()) as { error: { message: string } }).error.message, /No such path/);
  });

  it('refuses the page with 403 to an address ADMIN_ALLOWED_IPS does not list', async () => {
    const fenced = await startTestServer({ ADMIN_ALLOWED_IPS: '10.9.8.7' });
    const res = await fetch(fenced.admin.replace('/api/v1', '/admin/'));
    assert.equal(res.status, 403);
    assert.match(((await res.json()) as { error: { message: string } }).error.message, /ADMIN_ALLOWED_IPS/);
  });
});
