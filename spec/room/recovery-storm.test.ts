import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startTestServer } from '../helpers/server.js';
import { type Frame, TestClient } from '../helpers/ws-client.js';

describe('many clients rejoining with the same since', async () => {
  const t = await startTestServer({ ALLOW_GUESTS: 'on', RATE_LIMIT_MESSAGES: '1000' });
  const port = await t.createRoom('rejoinstorm');

  it('gives every one of them the identical, complete recovery', async () => {
    const { client: poster } = await TestClient.join(port, { name: 'Poster' });
    for (let i = 1; i <= 12; i++) poster.send({ type: 'message', text: `t${i}`, ref: `r${i}` });
    await poster.next('ack', (f) => f.ref === 'r12');
    const sent = poster.frames.filter((f) => f.type === 'message');
    const since = sent[3]!.id as number;

    // 150 connections open first, then all send their join in one go.
    const clients = await Promise.all(Array.from({ length: 150 }, () => TestClient.connect(port)));
    clients.forEach((c, i) => c.send({ type: 'join', name: `v${i}`, since }));
    const welcomes: Frame[] = await Promise.all(clients.map((c) => c.next('welcome')));

    const expected = sent.slice(4).map((m) => ({ id: m.id, text: m.text }));
    for (const w of welcomes) {
      assert.equal(w.recovered, true);
      const history = w.history as Frame[];
      assert.deepEqual(
        history.map((m) => ({ id: m.id, text: m.text })),
        expected,
      );
      assert.deepEqual(history, welcomes[0]!.history, 'identical');
    }
    assert.equal(new Set(welcomes.map((w) => (w.you as { id: string }).id)).size, 150, 'each its own identity');
    // The room goes on afterwards: a new message reaches a rejoined client.
    poster.send({ type: 'message', text: 'after', ref: 'a' });
    assert.equal((await clients[149]!.next('message', (m) => m.text === 'after')).text, 'after');
    for (const c of [poster, ...clients]) c.close();
  });
});
