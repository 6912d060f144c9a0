/**
 * 10,000 malformed frames at one room, spread over many connections (each is
 * closed after its tenth refusal, or at once for a protocol violation), while two
 * clients keep chatting. The room must refuse each one and never fall over.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RawSocket } from '../helpers/raw-ws.js';
import { startTestServer } from '../helpers/server.js';
import { eventually } from '../helpers/wait.js';
import { closeOf, TestClient } from '../helpers/ws-client.js';

const deep = (n: number) => '['.repeat(n) + ']'.repeat(n);

/** Text frames a library will send: malformed at the JSON or protocol level. */
const badTextFrames: string[] = [
  '',
  '{',
  'null',
  'true',
  '42',
  '"just a string"',
  '[1,2,3]',
  '[]',
  deep(8000),
  '{"a":' + deep(4000) + '}',
  '{"type":5}',
  '{"type":null}',
  '{"type":"nope"}',
  '{"type":"message"}',
  '{"type":"message","text":5}',
  '{"type":"message","text":{"toString":"x"}}',
  '{"type":"message","text":"hi","ref":' + JSON.stringify('r'.repeat(65)) + '}',
  '{"type":"join","since":"yesterday"}',
  '{"type":"join","since":-1}',
  '{"type":"join","token":7}',
  '{"type":"delete","id":"1"}',
  '{"type":"delete","id":1.5}',
  '{"type":"timeout","user":{},"seconds":10}',
  '{"type":"timeout","user":"u","seconds":-1}',
  '{"type":"slow","seconds":1e309}',
  '{"__proto__":{"type":"clear"}}',
  '{"constructor":{"prototype":{"polluted":true}},"type":"nope"}',
  '{"type":"message","text":["\\ud800"]}',
  '\u0000\u0001\u0002',
];

/** Byte-level violations of RFC 6455, each written to its own raw connection. */
const violations: Array<(s: RawSocket) => void> = [
  (s) => s.frame(0x1, '{"type":"users"}', { mask: false }), // unmasked client frame
  (s) => s.frame(0x1, '{"type":"users"}', { rsv: 0b100 }), // reserved bit without extension
  (s) => s.frame(0x3, 'x'), // reserved opcode
  (s) => s.frame(0xb, 'x'), // reserved control opcode
  (s) => s.frame(0x9, 'p', { fin: false }), // fragmented control frame
  (s) => s.frame(0x9, Buffer.alloc(126)), // control frame over 125 bytes
  (s) => s.frame(0x0, 'x'), // continuation with nothing to continue
  (s) => s.frame(0x1, Buffer.from([0xff, 0xfe, 0xfd])), // invalid UTF-8
  (s) => s.frame(0x1, Buffer.from([0x7b, 0xc3, 0x28, 0x7d])), // invalid UTF-8 sequence
  (s) => s.frame(0x8, Buffer.from([0x03, 0xe7])), // close with invalid code 999
  (s) => s.write(Buffer.from([0x81, 0xff, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff])), // 2^63 length
  (s) => s.write(Buffer.from('GET / HTTP/1.1\r\n\r\n')), // HTTP inside the WebSocket stream
  (s) => s.frame(0x1, 'x'.repeat(17 * 1024)), // over the frame limit
];

describe('malformed frames', async () => {
  const t = await startTestServer({ RATE_LIMIT_MESSAGES: '1000' });
  const port = await t.createRoom('fuzzroom');

  it('refuses 10,000 malformed frames without crashing the room, while others keep chatting', async () => {
    const { client: alice } = await TestClient.join(port, { name: 'Alice' });
    const { client: bob } = await TestClient.join(port, { name: 'Bob' });
    let sent = 0;
    let round = 0;
    const chatRound = async () => {
      const text = `round ${round++}`;
      alice.send({ type: 'message', text });
      await bob.next('message', (f) => f.text === text);
    };

    // 900 connections × 10 malformed text frames = 9,000; half of them joined first.
    for (let batch = 0; batch < 18; batch++) {
      await Promise.all(
        Array.from({ length: 50 }, async (_, i) => {
          const client = await TestClient.connect(port);
          if (i % 2 === 0) {
            client.send({ type: 'join' });
            await client.next('welcome');
          }
          for (let k = 0; k < 10; k++) client.send(badTextFrames[(batch * 50 + i + k) % badTextFrames.length]!);
          sent += 10;
          // Ten malformed frames close the connection with 4008.
          assert.equal((await closeOf(client)).code, 4008);
        }),
      );
      await chatRound();
    }

    // 1,000 raw connections, one protocol violation each.
    for (let batch = 0; batch < 20; batch++) {
      await Promise.all(
        Array.from({ length: 50 }, async (_, i) => {
          const raw = await RawSocket.open(port);
          violations[(batch * 50 + i) % violations.length]!(raw);
          sent += 1;
          // The room answers each violation with a close frame (or just ends the connection).
          let ended = false;
          void raw.ended.then(() => (ended = true));
          await eventually('the room to close a violating connection', () => ended || raw.closeCode() !== undefined, {
            timeoutMs: 2_000,
            everyMs: 10,
          });
          raw.destroy();
        }),
      );
      await chatRound();
    }

    assert.equal(sent, 10_000);
    const name = await (await fetch(`http://127.0.0.1:${port}/`)).text();
    assert.equal(name, 'fuzzroom');
    const stats = (await (await t.adminFetch('/room/fuzzroom')).json()) as { data: { port: number; viewers: number } };
    assert.equal(stats.data.port, port, 'the same worker still holds the room');
    assert.equal(stats.data.viewers, 2);
    await chatRound();
    alice.close();
    bob.close();
  });
});
