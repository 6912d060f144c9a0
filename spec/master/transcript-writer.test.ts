import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { StoreHealth } from '../../src/master/store-health.js';
import { TranscriptWriter } from '../../src/master/transcript-writer.js';
import type { ChatRecord } from '../../src/protocol/room-messages.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { FaultyStore } from '../helpers/faulty-store.js';
import { until } from '../helpers/wait.js';
import { testLogger } from '../helpers/server.js';

const root = mkdtempSync(join(tmpdir(), 'chatserver-writer-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;

function setup(queueLimit = 100_000) {
  const store = new FaultyStore(new SqliteStore({ dataDir: join(root, `w${n++}`), retentionDays: 30 }));
  const health = new StoreHealth('sqlite', testLogger());
  const writer = new TranscriptWriter({ store, health, logger: testLogger(), queueLimit, retryMaxMs: 200 });
  after(async () => {
    await writer.stop(Date.now() + 100);
    await store.close();
  });
  return { store, health, writer };
}

const user = { id: 'u1', name: 'Ann', role: 'guest' as const };
function messages(from: number, to: number): ChatRecord[] {
  const out: ChatRecord[] = [];
  for (let id = from; id <= to; id++)
    out.push({ kind: 'message', message: { type: 'message', id, ts: Date.now(), user, text: `m${id}` } });
  return out;
}

async function storedIds(store: FaultyStore, room: string): Promise<number[]> {
  const rows = await store.inner.messages(room, { limit: 10_000 });
  return rows.map((r) => r.id).reverse();
}

describe('transcript writer', () => {
  it('writes 1,200 queued messages in batches of at most 500', async () => {
    const { store, writer } = setup();
    writer.add('r', { firstSeq: 1, records: messages(1, 1200) });
    await until(() => writer.status().written === 1200, 'all written', 200);
    assert.ok(store.batches.length >= 3, `batches: ${store.batches.join(',')}`);
    assert.ok(
      store.batches.every((size) => size <= 500),
      `batches: ${store.batches.join(',')}`,
    );
    assert.deepEqual(
      await storedIds(store, 'r'),
      Array.from({ length: 1200 }, (_, i) => i + 1),
    );
  });

  it('writes a quiet trickle without waiting for a full batch', async () => {
    const { store, writer } = setup();
    writer.add('r', { firstSeq: 1, records: messages(1, 3) });
    await until(() => writer.status().written === 3, 'written', 200);
    assert.deepEqual(await storedIds(store, 'r'), [1, 2, 3]);
  });

  it('keeps records while the store fails, reports it down, and writes each once when it is back', async () => {
    const { store, health, writer } = setup();
    store.failing = true;
    writer.add('r', { firstSeq: 1, records: messages(1, 10) });
    writer.add('r', {
      firstSeq: 1,
      records: [
        {
          kind: 'moderation',
          action: 'delete',
          by: { id: 'm', name: 'Mo', role: 'mod' },
          target: 'u1',
          messageId: 4,
          seconds: null,
          reason: '',
          at: Date.now(),
        },
      ],
    });
    await until(() => health.state === 'down', 'store reported down', 200);
    assert.equal(writer.status().queued, 12);
    writer.add('r', { firstSeq: 1, records: messages(11, 20) });
    store.failing = false;
    await until(() => writer.status().queued === 0, 'queue written', 200);
    assert.equal(health.state, 'up');
    assert.deepEqual(
      await storedIds(store, 'r'),
      Array.from({ length: 20 }, (_, i) => i + 1),
    );
    const rows = await store.inner.messages('r', { limit: 100 });
    assert.equal(rows.find((r) => r.id === 4)?.deleted, true);
    assert.equal((await store.inner.moderation('r', { limit: 10 })).length, 1);
  });

  it('drops and counts records beyond the queue bound, and keeps the ids it saw', async () => {
    const { store, writer } = setup(5);
    store.failing = true;
    writer.add('r', { firstSeq: 1, records: messages(1, 8) });
    assert.deepEqual(writer.status(), { queued: 5, written: 0, dropped: 3 });
    assert.equal(writer.lastIdOf('r'), 8);
    store.failing = false;
    assert.equal(await writer.flush(Date.now() + 5_000), 0);
    assert.deepEqual(await storedIds(store, 'r'), [1, 2, 3, 4, 5]);
  });

  it('lays queued messages, deletions and clears over a stored window', async () => {
    const { store, writer } = setup();
    store.failing = true;
    writer.add('r', { firstSeq: 1, records: messages(3, 4) });
    writer.add('r', {
      firstSeq: 1,
      records: [
        {
          kind: 'moderation',
          action: 'clear',
          by: { id: 'm', name: 'Mo', role: 'mod' },
          target: null,
          messageId: 3,
          seconds: null,
          reason: '',
          at: Date.now(),
        },
      ],
    });
    const stored = messages(1, 2).map((r) => ({
      message: (r as Extract<ChatRecord, { kind: 'message' }>).message,
      deleted: false,
      cleared: false,
    }));
    const window = writer.overlay('r', stored);
    assert.deepEqual(
      window.map((m) => [m.message.id, m.cleared]),
      [
        [1, true],
        [2, true],
        [3, true],
        [4, false],
      ],
    );
    store.failing = false;
  });
});
