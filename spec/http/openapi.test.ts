/**
 * docs/openapi.yaml against the running server: every route either listener
 * registers is in the document (on that listener), and every operation in the
 * document answers on the listeners it names — anything but the JSON 404 of an
 * unknown path. Restart and shutdown are called last, each on a server of its own.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { ADMIN_KEY, KEY, startTestServer, type TestServer } from '../helpers/server.js';

const DOC = fileURLToPath(new URL('../../../docs/openapi.yaml', import.meta.url));
const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'] as const;

interface Operation {
  operationId?: string;
  responses?: Record<string, unknown>;
  'x-listeners'?: Array<'public' | 'admin'>;
  'x-destructive'?: boolean;
  parameters?: Array<{ $ref?: string; name?: string; in?: string }>;
}
type PathItem = Partial<Record<(typeof METHODS)[number], Operation>> & { parameters?: Operation['parameters'] };
interface Document {
  openapi: string;
  paths: Record<string, PathItem>;
  components: Record<string, Record<string, unknown>>;
}

const doc = parse(readFileSync(DOC, 'utf8')) as Document;

interface DocOperation {
  method: string;
  path: string;
  listeners: Array<'public' | 'admin'>;
  destructive: boolean;
  op: Operation;
  item: PathItem;
}

const operations: DocOperation[] = Object.entries(doc.paths).flatMap(([path, item]) =>
  METHODS.filter((m) => item[m] !== undefined).map((m) => ({
    method: m.toUpperCase(),
    path,
    listeners: item[m]!['x-listeners'] ?? [],
    destructive: item[m]!['x-destructive'] === true,
    op: item[m]!,
    item,
  })),
);

/** A concrete URL path for a templated one: the room and user the test set up. */
const concrete = (path: string) => path.replace('{name}', 'docroom').replace('{user}', 'docuser');

async function call(t: TestServer, listener: 'public' | 'admin', method: string, path: string) {
  const base = listener === 'admin' ? t.admin : t.api;
  const url = base.replace(/\/api\/v1$/, '') + concrete(path);
  const res = await fetch(url, {
    method,
    headers: {
      'X-API-Key': listener === 'admin' ? ADMIN_KEY : KEY,
      ...(method === 'GET' || method === 'DELETE' ? {} : { 'Content-Type': 'application/json' }),
    },
    ...(method === 'GET' || method === 'DELETE' ? {} : { body: '{}' }),
  });
  const text = await res.text();
  return { status: res.status, text };
}

/** A 404 that means "no such route", as opposed to "no such room" or "not banned". */
const unknownPath = (r: { status: number; text: string }) => r.status === 404 && r.text.includes('No such path');

describe('docs/openapi.yaml', async () => {
  it('is an OpenAPI 3.1 document whose references all resolve and whose operations are complete', () => {
    assert.match(doc.openapi, /^3\.1\./);
    const ids = new Set<string>();
    for (const { method, path, listeners, op, item } of operations) {
      const where = `${method} ${path}`;
      assert.ok(op.operationId, `${where}: operationId`);
      assert.ok(!ids.has(op.operationId), `${where}: operationId ${op.operationId} used twice`);
      ids.add(op.operationId);
      assert.ok(op.responses && Object.keys(op.responses).length > 0, `${where}: responses`);
      assert.ok(listeners.length > 0, `${where}: x-listeners`);
      // Every {param} of the path is declared on the path or the operation.
      const declared = [...(item.parameters ?? []), ...(op.parameters ?? [])].map((p) =>
        p.$ref ? (resolve(p.$ref) as { name: string }).name : p.name,
      );
      for (const [, name] of path.matchAll(/\{(\w+)\}/g)) assert.ok(declared.includes(name), `${where}: {${name}}`);
    }
    const refs = [...JSON.stringify(doc).matchAll(/"\$ref":"([^"]+)"/g)].map((m) => m[1]!);
    assert.ok(refs.length > 20);
    for (const ref of refs) assert.ok(resolve(ref) !== undefined, `unresolved ${ref}`);
  });

  const t = await startTestServer({ MAX_ROOMS: '3' });

  it('describes every route each listener registers, on that listener', () => {
    for (const listener of ['public', 'admin'] as const) {
      const routes = t.server.routes[listener];
      assert.ok(routes.length > 0);
      for (const { method, path } of routes) {
        const described = operations.find((o) => o.method === method && o.path === path);
        assert.ok(described, `${method} ${path} (${listener}) is not in docs/openapi.yaml`);
        assert.ok(described.listeners.includes(listener), `${method} ${path}: x-listeners lacks ${listener}`);
      }
    }
  });

  it('names no operation the listeners do not register', () => {
    for (const { method, path, listeners } of operations)
      for (const listener of listeners)
        assert.ok(
          t.server.routes[listener].some((r) => r.method === method && r.path === path),
          `${method} ${path} is documented on ${listener} but not registered there`,
        );
  });

  it('gets an answer (not an unknown-path 404) from every documented operation', async () => {
    await t.createRoom('docroom');
    const ban = await t.adminFetch('/bans', { method: 'POST', body: JSON.stringify({ user: 'docuser' }) });
    assert.equal(ban.status, 201);
    // The room's own shutdown closes the room: after the rest.
    const ordered = operations
      .filter((o) => !o.destructive)
      .sort((a, b) => Number(a.path.endsWith('/shutdown')) - Number(b.path.endsWith('/shutdown')));
    for (const { method, path, listeners } of ordered) {
      for (const listener of listeners) {
        const answer = await call(t, listener, method, path);
        assert.ok(!unknownPath(answer), `${method} ${path} on ${listener}: ${answer.status} ${answer.text}`);
        assert.ok(answer.status < 500 || answer.status === 503, `${method} ${path}: ${answer.status}`);
      }
    }
  });

  for (const destructive of operations.filter((o) => o.destructive)) {
    it(`gets an answer from ${destructive.method} ${destructive.path} (on a server of its own)`, async () => {
      const own = await startTestServer();
      const answer = await call(own, 'admin', destructive.method, destructive.path);
      assert.equal(answer.status, 202, answer.text);
      // The exit codes a process manager sees: 3 to start it again, 0 to leave it down.
      assert.equal(await own.server.exited, destructive.path.endsWith('/restart') ? 3 : 0);
    });
  }
});

function resolve(ref: string): unknown {
  assert.ok(ref.startsWith('#/'), `only local references: ${ref}`);
  let node: unknown = doc;
  for (const part of ref.slice(2).split('/')) node = (node as Record<string, unknown> | undefined)?.[part];
  return node;
}
