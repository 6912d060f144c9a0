/**
 * The Postman collection covers the admin API: every route the admin listener
 * registers has a request, every request has tests of its status, and the
 * calls that stop the server sit in folders of their own, after the rest.
 * (`npm run test:postman` runs the collection itself against real servers.)
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startTestServer } from '../helpers/server.js';

const file = (name: string) => fileURLToPath(new URL(`../../../docs/postman/${name}`, import.meta.url));

interface Item {
  name: string;
  item?: Item[];
  request?: { method: string; url: { raw: string } };
  event?: Array<{ listen: string; script: { exec: string[] } }>;
}

const collection = JSON.parse(readFileSync(file('chatserver-admin.postman_collection.json'), 'utf8')) as {
  item: Item[];
};
const environment = JSON.parse(readFileSync(file('chatserver.postman_environment.json'), 'utf8')) as {
  values: Array<{ key: string }>;
};

const requests = collection.item.flatMap((folder) =>
  (folder.item ?? []).map((item) => ({ folder: folder.name, item })),
);

/** `{{host}}:{{adminPort}}/api/v1/room/{{room}}/kick?x=1` → `/api/v1/room/{name}/kick` on the admin listener. */
function routeOf(raw: string): { listener: 'public' | 'admin'; path: string } {
  const m = /^http:\/\/\{\{host\}\}:\{\{(adminPort|publicPort)\}\}(\/[^?]*)/.exec(raw);
  assert.ok(m, `unexpected URL ${raw}`);
  const path = m[2]!.replace(/\/room\/[^/]+/, '/room/{name}').replace(/\/bans\/[^/]+/, '/bans/{user}');
  return { listener: m[1] === 'adminPort' ? 'admin' : 'public', path };
}

describe('the Postman collection', async () => {
  const t = await startTestServer();

  it('has a request for every admin route', () => {
    for (const route of t.server.routes.admin) {
      const found = requests.some(({ item }) => {
        const r = routeOf(item.request!.url.raw);
        return r.listener === 'admin' && r.path === route.path && item.request!.method === route.method;
      });
      assert.ok(found, `no request for ${route.method} ${route.path}`);
    }
  });

  it('tests the status of every request', () => {
    for (const { item } of requests) {
      const tests = item.event?.find((e) => e.listen === 'test')?.script.exec.join('\n') ?? '';
      assert.match(tests, /status/, `${item.name} has no status test`);
    }
  });

  it('puts restart and shutdown last, each in a folder of its own', () => {
    const names = collection.item.map((f) => f.name);
    assert.deepEqual(names.slice(-2), ['Stop: restart', 'Stop: shutdown']);
    for (const { folder, item } of requests) {
      const stops =
        /\/(restart|shutdown)$/.test(item.request!.url.raw.split('?')[0]!) && !/\/room\//.test(item.request!.url.raw);
      assert.equal(stops, folder.startsWith('Stop:'), `${item.name} in ${folder}`);
    }
  });

  it('takes host, ports and keys from the environment', () => {
    const keys = environment.values.map((v) => v.key);
    for (const key of ['host', 'publicPort', 'adminPort', 'key', 'adminKey', 'room'])
      assert.ok(keys.includes(key), key);
  });
});
