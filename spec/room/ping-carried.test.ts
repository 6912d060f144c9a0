/**
 * Pings that ride on broadcasts (src/room/ping-carrier.ts): while chat flows, a
 * member's pings follow its data frames in the same write, and a member that
 * answers them stays; one that does not is still cut.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RawSocket } from '../helpers/raw-ws.js';
import { startTestServer } from '../helpers/server.js';
import { TestClient } from '../helpers/ws-client.js';

describe('pings carried by broadcasts', async () => {
  const t = await startTestServer({
    ALLOW_GUESTS: 'on',
    RATE_LIMIT_MESSAGES: '100000',
    WS_PING_INTERVAL_MS: '200',
    WS_PONG_TIMEOUT_MS: '400',
  });
  const port = await t.createRoom('carried');

  it('pings a reader while every message reaches it in order, keeps it while it answers, and cuts one that does not', async () => {
    const { client: reader } = await TestClient.join(port, { name: 'Reader' });
    const { client: writer } = await TestClient.join(port, { name: 'Writer' });
    const silent = await RawSocket.open(port);
    silent.text(JSON.stringify({ type: 'join', name: 'Silent' }));
    let pings = 0;
    reader.ws.on('ping', () => (pings += 1));
    const count = 60;
    for (let i = 0; i < count; i++) {
      writer.send({ type: 'message', text: `m${i}` });
      await new Promise((resolve) => setTimeout(resolve, 20)); // 1.2 s of chat: several ping rounds
    }
    await reader.next('message', (f) => f.text === `m${count - 1}`);
    const texts = reader.frames.filter((f) => f.type === 'message').map((f) => f.text);
    assert.deepEqual(
      texts,
      Array.from({ length: count }, (_, i) => `m${i}`),
    );
    assert.ok(pings >= 2, `${pings} pings`);
    await silent.ended;
    assert.equal(reader.ws.readyState, reader.ws.OPEN);
    reader.close();
    writer.close();
  });
});
