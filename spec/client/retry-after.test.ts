import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { WebSocket } from 'ws';
import { parseRetryAfter, retryAfterDelay, MAX_RETRY_AFTER_MS } from '../../src/client/retry-after.js';
import { ChatClient, type StateChange } from '../../src/client/sdk.js';
import { startTestServer } from '../helpers/server.js';
import { TestClient } from '../helpers/ws-client.js';

describe('client SDK: a join refused at the room rate', async () => {
  // One join at once, then one a second: the second join in a row is refused.
  const t = await startTestServer({ ALLOW_GUESTS: 'on', JOIN_RATE_PER_S: '1', JOIN_BURST: '1' });
  const port = await t.createRoom('sdkadmission');
  const open: Array<{ close(): void }> = [];
  after(() => open.forEach((c) => c.close()));

  it('waits at least the Retry-After the room sent, not its own much shorter backoff, then joins', async () => {
    const first = await TestClient.connect(port); // spends the room's one token
    open.push(first);
    const client = new ChatClient({
      url: `ws://127.0.0.1:${port}/`,
      WebSocket,
      backoff: { initialMs: 20, maxMs: 50, jitter: 0.5 },
      random: () => 0.5,
    });
    open.push(client);
    const seen: Array<StateChange & { at: number }> = [];
    client.on('state', (s) => seen.push({ ...s, at: Date.now() }));
    const welcome = await client.join({ name: 'Patient' });
    assert.equal(welcome.you.name, 'Patient');

    const waits = seen.filter((s) => s.state === 'reconnecting');
    assert.ok(waits.length >= 1, 'the first attempt was refused');
    const refusal = waits[0]!;
    assert.ok(refusal.state === 'reconnecting');
    assert.equal(refusal.retryAfterMs, 1000, 'the room asked for one second');
    // At least the Retry-After, plus the jitter share: 1000 × (1 + 0.5 × 0.5).
    assert.equal(refusal.delayMs, 1250);
    // The next attempt came no sooner than that.
    const next = seen[seen.indexOf(refusal) + 1]!;
    assert.equal(next.state, 'connecting');
    assert.ok(next.at - refusal.at >= 1250 - 5, `retried after ${next.at - refusal.at} ms`);
  });
});

describe('Retry-After', () => {
  it('reads delay-seconds and HTTP-dates, and ignores what it cannot read', () => {
    assert.equal(parseRetryAfter('3'), 3000);
    assert.equal(parseRetryAfter(['2']), 2000);
    const now = Date.parse('2026-01-01T00:00:00Z');
    assert.equal(parseRetryAfter('Thu, 01 Jan 2026 00:00:05 GMT', now), 5000);
    assert.equal(parseRetryAfter('Wed, 31 Dec 2025 23:59:00 GMT', now), 0, 'a date in the past: at once');
    for (const bad of [undefined, '', 'soon', '-1', '1.5']) assert.equal(parseRetryAfter(bad), undefined, String(bad));
    assert.equal(parseRetryAfter('86400'), MAX_RETRY_AFTER_MS, 'capped');
  });

  it('waits at least the Retry-After, and up to the jitter share more', () => {
    assert.equal(
      retryAfterDelay(2000, 0.5, () => 0),
      2000,
    );
    assert.equal(
      retryAfterDelay(2000, 0.5, () => 0.999),
      2999,
    );
    assert.equal(
      retryAfterDelay(2000, 0, () => 0.9),
      2000,
    );
  });
});
