/**
 * Requests the APIs cannot even read: malformed percent-encoding in a path or a
 * query string is a JSON 400 naming what is malformed (never a 500, never an
 * error-level log line), headers over the limit get 431 with `Connection: close`,
 * a request that is not HTTP gets 400; and the server goes on serving after each.
 */
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { connect } from 'node:net';
import { describe, it } from 'node:test';
import { MAX_HEADER_BYTES } from '../../src/http/client-error.js';
import { capturingLogger } from '../helpers/logs.js';
import { ADMIN_KEY, KEY, startTestServer, type TestServer } from '../helpers/server.js';

interface Answer {
  status: number;
  body: { error?: { code: string; message: string }; data?: unknown };
}

/** A request with the path sent exactly as given (fetch would normalise it). */
function raw(port: number, method: string, path: string, key: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers: { 'X-API-Key': key } }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as Answer['body'] }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Writes `head` then `fill` bytes of header value, and resolves with everything the server answered. */
function rawExchange(port: number, head: string, fill = 0): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let answer = '';
    socket.setEncoding('utf8').on('data', (chunk: string) => (answer += chunk));
    // The server closes while we are still sending: a reset after its answer is expected.
    socket.on('error', () => undefined);
    socket.on('close', () => resolve(answer));
    socket.write(head);
    const chunk = Buffer.alloc(64 * 1024, 'a');
    let sent = 0;
    const pump = () => {
      while (sent < fill && !socket.destroyed) {
        sent += chunk.length;
        if (!socket.write(chunk)) return void socket.once('drain', pump);
      }
      if (!socket.destroyed) socket.end(fill > 0 ? '\r\n\r\n' : '');
    };
    pump();
  });
}

// One server for the file (stopped after it), logging into `lines`.
const { logger, lines } = capturingLogger('debug');
const t: TestServer = await startTestServer({}, { logger });
const ports = { public: t.server.publicPort, admin: t.server.adminPort };

describe('bad requests', () => {
  const stillServing = async () => {
    assert.equal((await t.publicFetch('/')).status, 200);
    assert.equal((await t.adminFetch('/')).status, 200);
  };

  const cases: Array<[api: 'public' | 'admin', method: string, path: string, named: string]> = [
    ['public', 'GET', '/api/v1/room/%', '"%"'],
    ['public', 'POST', '/api/v1/room/%E0%A4%A', '"%E0%A4%A"'],
    ['public', 'GET', '/api/v1/%zz', '"/api/v1/%zz"'],
    ['admin', 'GET', '/api/v1/room/%/messages', '"%"'],
    ['admin', 'DELETE', '/api/v1/room/a%2/shutdown', '"a%2"'],
    ['admin', 'GET', '/api/v1/room/x/messages?before=%', 'query string: "%"'],
    ['admin', 'GET', '/api/v1/bans?room=%E0%A4', 'query string: "%E0%A4"'],
    ['admin', 'GET', '/api/v1/room/x/moderation?%zz=1', 'query string: "%zz"'],
  ];
  for (const [api, method, path, named] of cases)
    it(`answers ${method} ${path} on the ${api} API with a 400 naming ${named}`, async () => {
      const res = await raw(ports[api], method, path, api === 'public' ? KEY : ADMIN_KEY);
      assert.equal(res.status, 400);
      assert.equal(res.body.error?.code, 'BAD_REQUEST');
      assert.match(res.body.error.message, /^Malformed percent-encoding in the (path|query string)/);
      assert.ok(res.body.error.message.includes(named), res.body.error.message);
      await stillServing();
    });

  it('logs none of them at error level', async () => {
    for (let i = 0; i < 20; i++) await raw(ports.public, 'GET', '/api/v1/room/%', KEY);
    assert.deepEqual(
      lines.filter((l) => l.level === 'error'),
      [],
    );
  });

  it('still decodes a well-formed query ("+" a space, %31 a 1)', async () => {
    const res = await raw(ports.admin, 'GET', '/api/v1/room/x/messages?limit=%31', ADMIN_KEY);
    assert.equal(res.status, 200);
    assert.equal((await raw(ports.admin, 'GET', '/api/v1/room/x/messages', ADMIN_KEY)).status, 200, 'no query');
    const spaced = await raw(ports.admin, 'GET', '/api/v1/bans?room=a+b', ADMIN_KEY);
    assert.match(spaced.body.error?.message ?? '', /"room": must be a room name/);
  });

  for (const api of ['public', 'admin'] as const)
    it(`answers a 10 MB header line on the ${api} listener with 431 and closes`, async () => {
      const answer = await rawExchange(
        ports[api],
        'GET /api/v1/ HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ',
        10 * 1024 * 1024,
      );
      assert.match(answer, /^HTTP\/1\.1 431 Request Header Fields Too Large\r\n/);
      assert.match(answer, /\r\nConnection: close\r\n/i);
      const body = JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4)) as Answer['body'];
      assert.equal(body.error?.code, 'BAD_REQUEST');
      assert.ok(body.error.message.includes(String(MAX_HEADER_BYTES)), body.error.message);
      await stillServing();
    });

  it("answers a 10 MB header line on a room's own listener with 431 and closes", async () => {
    const roomPort = await t.createRoom('bigheaders');
    const answer = await rawExchange(roomPort, 'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ', 10 * 1024 * 1024);
    assert.match(answer, /^HTTP\/1\.1 431 Request Header Fields Too Large\r\n/);
    assert.match(answer, /\r\nConnection: close\r\n/i);
    const again = await fetch(`http://127.0.0.1:${roomPort}/`);
    assert.equal(await again.text(), 'bigheaders');
  });

  it('takes headers up to the limit', async () => {
    const res = await t.publicFetch('/', { headers: { 'X-Fill': 'a'.repeat(MAX_HEADER_BYTES - 1024) } });
    assert.equal(res.status, 200);
  });

  it('answers a request that is not HTTP with 400 and closes', async () => {
    const answer = await rawExchange(ports.public, 'NOT HTTP AT ALL\r\n\r\n');
    assert.match(answer, /^HTTP\/1\.1 400 Bad Request\r\n/);
    assert.match(answer, /\r\nConnection: close\r\n/i);
    await stillServing();
  });
});
