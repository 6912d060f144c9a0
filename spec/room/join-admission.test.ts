import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { describe, it } from 'node:test';
import { startTestServer } from '../helpers/server.js';
import { eventually } from '../helpers/wait.js';
import { TestClient } from '../helpers/ws-client.js';

interface UpgradeAnswer {
  status: number;
  headers: Record<string, string>;
  socket: Socket;
}

/** Sends one WebSocket upgrade by hand and reads the status line and headers of the answer. */
async function upgrade(port: number): Promise<UpgradeAnswer> {
  const socket = connect(port, '127.0.0.1');
  socket.on('error', () => undefined);
  let received = '';
  socket.on('data', (d: Buffer) => (received += d.toString('latin1')));
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  socket.write(
    `GET / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
  );
  await eventually('the upgrade answer', () => received.includes('\r\n\r\n'), { timeoutMs: 3_000, everyMs: 10 });
  const [statusLine = '', ...lines] = received.slice(0, received.indexOf('\r\n\r\n')).split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { status: Number(statusLine.split(' ')[1]), headers, socket };
}

describe('join admission', async () => {
  // Five upgrades at once, then one a second.
  const t = await startTestServer({ ALLOW_GUESTS: 'on', JOIN_RATE_PER_S: '1', JOIN_BURST: '5' });
  const port = await t.createRoom('admission');

  it('answers upgrades past the join rate with 503 and a Retry-After, spread over the seconds ahead', async () => {
    const answers = await Promise.all(Array.from({ length: 9 }, () => upgrade(port)));
    try {
      const accepted = answers.filter((a) => a.status === 101);
      const refused = answers.filter((a) => a.status === 503);
      assert.equal(accepted.length, 5, 'the burst is let in');
      assert.equal(refused.length, 4, 'the rest are refused, not dropped');
      const waits = refused.map((a) => Number(a.headers['retry-after'])).sort((a, b) => a - b);
      assert.ok(
        waits.every((w) => Number.isInteger(w) && w >= 1),
        `Retry-After is whole seconds: ${waits.join(',')}`,
      );
      // One a second: the four refused are told to come back one after another.
      assert.deepEqual(waits, [1, 2, 3, 4]);
      for (const a of refused) assert.equal(a.headers['connection'], 'close');
    } finally {
      for (const a of answers) a.socket.destroy();
    }
  });

  it('keeps serving its members while it refuses, and admits a refused client that waits its Retry-After', async () => {
    // Let the bucket refill a little, then spend it: two members join.
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    const members: TestClient[] = [];
    for (;;) {
      try {
        members.push((await TestClient.join(port, { name: `m${members.length}` })).client);
      } catch (error) {
        assert.match(String(error), /HTTP 503/);
        break;
      }
    }
    assert.ok(members.length >= 1, 'at least one member got in');
    const refused = await upgrade(port);
    refused.socket.destroy();
    assert.equal(refused.status, 503);
    // The room goes on: a member's message reaches every member.
    members[0]!.send({ type: 'message', text: 'still here', ref: 'r1' });
    for (const m of members) assert.equal((await m.next('message')).text, 'still here');
    assert.equal((await members[0]!.next('ack')).ref, 'r1');
    // Waiting what it was told is enough to get in.
    await new Promise((resolve) => setTimeout(resolve, Number(refused.headers['retry-after']) * 1000));
    const { client, welcome } = await TestClient.join(port, { name: 'patient' });
    assert.equal(welcome.type, 'welcome');
    client.close();
    for (const m of members) m.close();
  });
});
