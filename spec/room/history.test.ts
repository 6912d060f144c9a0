import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startTestServer } from '../helpers/server.js';
import { type Frame, TestClient } from '../helpers/ws-client.js';

async function postMany(client: TestClient, prefix: string, count: number): Promise<Frame[]> {
  for (let i = 1; i <= count; i++) client.send({ type: 'message', text: `${prefix}${i}` });
  const last = await client.next('message', (f) => f.text === `${prefix}${count}`);
  return client.frames.filter(
    (f) => f.type === 'message' && String(f.text).startsWith(prefix) && (f.id as number) <= (last.id as number),
  );
}

const texts = (frames: unknown) => (frames as Frame[]).map((f) => f.text);

describe('history and recovery', async () => {
  const t = await startTestServer({ RATE_LIMIT_MESSAGES: '10000', RECOVERY_WINDOW: '100' });
  const port = await t.createRoom('historyroom');

  it('sends the last 50 messages on join, oldest first', async () => {
    const { client } = await TestClient.join(port, { name: 'Writer' });
    const sent = await postMany(client, 'h', 60);
    const { client: reader, welcome } = await TestClient.join(port, { name: 'Reader' });
    assert.deepEqual(texts(welcome.history), texts(sent.slice(-50)));
    client.close();
    reader.close();
  });

  it('gives a client reconnecting with since exactly the 30 messages it missed, in order, once', async () => {
    const { client: writer } = await TestClient.join(port, { name: 'W' });
    const { client: reader } = await TestClient.join(port, { name: 'R' });
    const seen = (await postMany(writer, 'before', 5)).at(-1)!;
    await reader.next('message', (f) => f.id === seen.id);
    reader.close();
    await reader.closed;
    const missed = await postMany(writer, 'missed', 30);
    const { client: back, welcome } = await TestClient.join(port, { name: 'R', since: seen.id });
    assert.equal(welcome.recovered, true);
    assert.deepEqual(texts(welcome.history), texts(missed));
    assert.equal(new Set((welcome.history as Frame[]).map((m) => m.id)).size, 30);
    writer.send({ type: 'message', text: 'live again' });
    assert.equal((await back.next('message')).text, 'live again', 'live messages follow the recovered ones');
    writer.close();
    back.close();
  });

  it('says recovered:false with the last 50 when since is older than the recovery window', async () => {
    const { client: writer } = await TestClient.join(port, { name: 'W2' });
    const first = (await postMany(writer, 'old', 1))[0]!;
    const after = await postMany(writer, 'flood', 120);
    const { client, welcome } = await TestClient.join(port, { name: 'Gap', since: first.id });
    assert.equal(welcome.recovered, false);
    assert.deepEqual(texts(welcome.history), texts(after.slice(-50)));
    writer.close();
    client.close();
  });

  it('says recovered:false when since is not a message id this room has given out', async () => {
    const { client, welcome } = await TestClient.join(port, { name: 'Future', since: 10_000_000 });
    assert.equal(welcome.recovered, false);
    assert.equal((welcome.history as Frame[]).length, 50);
    client.close();
  });

  it('recovers nothing, and says recovered, for a client that missed nothing', async () => {
    const { client: writer } = await TestClient.join(port, { name: 'W3' });
    const last = (await postMany(writer, 'tail', 1))[0]!;
    const { client, welcome } = await TestClient.join(port, { name: 'UpToDate', since: last.id });
    assert.equal(welcome.recovered, true);
    assert.deepEqual(welcome.history, []);
    writer.close();
    client.close();
  });
});
