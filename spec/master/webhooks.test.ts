import assert from 'node:assert/strict';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { describe, it } from 'node:test';
import { downUrl, hangingUrl, type Received, recordingUrl } from '../helpers/fake-services.js';
import { eventually } from '../helpers/wait.js';
import { medianCreateMs } from '../helpers/create-timing.js';
import { startTestServer } from '../helpers/server.js';
import { TestClient } from '../helpers/ws-client.js';

const SECRET = 'webhook-test-secret';

type Event = { id: string; type: string; timestamp: string; host: string; room: string } & Record<string, unknown>;

/** What a receiver does: recompute the HMAC over the raw body and compare in constant time. */
function verified(r: Received): Event {
  const given = Buffer.from(String(r.headers['x-signature']), 'hex');
  const expected = createHmac('sha256', SECRET).update(r.body).digest();
  assert.ok(given.length === expected.length && timingSafeEqual(given, expected), `bad signature on ${r.body}`);
  assert.match(String(r.headers['content-type']), /^application\/json/);
  return JSON.parse(r.body) as Event;
}

describe('listing webhooks', () => {
  it("delivers a room's life as signed events: created, occupancy, closed with the reason", async () => {
    const receiver = await recordingUrl();
    const t = await startTestServer({
      LISTING_WEBHOOK_URLS: receiver.url,
      WEBHOOK_SECRET: SECRET,
      PRESENCE_INTERVAL_MS: '100',
    });
    const port = await t.createRoom('hooked');
    const { client } = await TestClient.join(port, { name: 'Ann' });
    await eventually('occupancy 1', async () =>
      receiver.received.some((r) => r.body.includes('"viewers":1')) ? true : undefined,
    );
    client.close();
    await eventually(
      'occupancy 0',
      async () => (receiver.received.some((r) => r.body.includes('"viewers":0')) ? true : undefined),
      12_000,
    );
    assert.equal((await t.adminFetch('/room/hooked/shutdown', { method: 'DELETE' })).status, 202);
    await eventually('room.closed', async () =>
      receiver.received.some((r) => r.body.includes('room.closed')) ? true : undefined,
    );

    const events = receiver.received.map(verified).filter((e) => e.room === 'hooked');
    assert.deepEqual(
      events.map((e) => [e.type, e.viewers ?? e.port ?? e.reason]),
      [
        ['room.created', port],
        ['room.occupancy', 1],
        ['room.occupancy', 0],
        ['room.closed', 'Room closed by an administrator'],
      ],
    );
    for (const e of events) {
      assert.equal(e.host, t.server.host);
      assert.ok(!Number.isNaN(Date.parse(e.timestamp)));
      assert.match(e.id, /^[0-9a-f-]{36}$/);
    }
    assert.equal(new Set(events.map((e) => e.id)).size, events.length);
    // At most one occupancy event per room every 5 s.
    const [first, second] = events.filter((e) => e.type === 'room.occupancy');
    assert.ok(Date.parse(second!.timestamp) - Date.parse(first!.timestamp) >= 4_990);
  });

  it('retries a failed delivery with the same event and signature', async () => {
    const receiver = await recordingUrl((n) => (n < 2 ? 500 : 200));
    const t = await startTestServer({ LISTING_WEBHOOK_URLS: receiver.url, WEBHOOK_SECRET: SECRET });
    await t.createRoom('retried');
    await eventually('the retried event', async () => (receiver.received.length > 0 ? true : undefined));
    const event = verified(receiver.received[0]!);
    assert.equal(event.type, 'room.created');
    assert.equal(event.room, 'retried');
  });

  it('costs room creation nothing when the endpoint is down or never answers', async (ctx) => {
    const base = await startTestServer({ MAX_ROOMS: '8' });
    const env = { MAX_ROOMS: '8', WEBHOOK_SECRET: SECRET };
    const dead = {
      down: await startTestServer({ ...env, LISTING_WEBHOOK_URLS: await downUrl() }),
      'never answering': await startTestServer({ ...env, LISTING_WEBHOOK_URLS: await hangingUrl() }),
    };
    const [baseline, ...others] = await medianCreateMs([base, ...Object.values(dead)], 'hookspeed');
    for (const [i, [what, t]] of Object.entries(dead).entries()) {
      const ms = others[i]!;
      ctx.diagnostic(`webhook ${what}: median create ${ms.toFixed(1)} ms; without webhooks ${baseline!.toFixed(1)} ms`);
      // A create that waited on the 1 s webhook call would be many times slower.
      assert.ok(ms / baseline! < 4, `webhook ${what}: ${ms.toFixed(1)} ms vs ${baseline!.toFixed(1)} ms`);
      assert.equal((await t.publicFetch('/health', { key: null })).status, 200);
    }
  });
});
