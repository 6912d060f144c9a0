import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { StoreHealth } from '../../src/master/store-health.js';
import { TranscriptWriter } from '../../src/master/transcript-writer.js';
import type { ChatRecord } from '../../src/protocol/room-messages.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { WriteBatch } from '../../src/store/store.js';
import { FaultyStore } from '../helpers/faulty-store.js';
import { eventually } from '../helpers/wait.js';
import { testLogger } from '../helpers/server.js';

const root = mkdtempSync(join(tmpdir(), 'chatserver-writer-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;

/** A store whose batch writes wait until the test lets them go, to see what a busy writer groups. */
class GatedStore extends FaultyStore {
  readonly calls: WriteBatch[] = [];
  private gate: { promise: Promise<void>; resolve: () => void } | null = null;
  hold(): void {
    let resolve = () => undefined as void;
    const promise = new Promise<void>((r) => (resolve = r));
    this.gate = { promise, resolve };
  }
  release(): void {
    this.gate?.resolve();
    this.gate = null;
  }
  override writeBatch = async (batch: WriteBatch) => {
    this.calls.push(batch);
    await this.gate?.promise;
    if (this.failing) throw new Error('injected store fault');
    await this.inner.writeBatch(batch);
  };
}

async function setup(queueLimit = 100_000) {
  const inner = new SqliteStore({ dataDir: join(root, `w${n++}`), retentionDays: 30 });
  await inner.open();
  const store = new GatedStore(inner);
  const health = new StoreHealth('sqlite', testLogger());
  const committed: Array<[string, number]> = [];
  const outcomes: boolean[] = [];
  const writer = new TranscriptWriter({
    store,
    health,
    logger: testLogger(),
    queueLimit,
    retryMinMs: 20,
    retryMaxMs: 200,
    onCommitted: (room, through) => committed.push([room, through]),
    onBatch: (_seconds, ok) => outcomes.push(ok),
  });
  after(async () => {
    store.release();
    await writer.stop(Date.now() + 100);
    await store.close();
  });
  return { store, health, writer, committed, outcomes };
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
    const { store, writer } = await setup();
    writer.add('r', { firstSeq: 1, records: messages(1, 1200) });
    await eventually('all written', () => writer.status().written === 1200);
    const sizes = store.calls.map((b) => b.messages.length);
    assert.deepEqual(sizes, [500, 500, 200]);
    assert.deepEqual(
      await storedIds(store, 'r'),
      Array.from({ length: 1200 }, (_, i) => i + 1),
    );
  });

  it('writes a quiet trickle without waiting for a full batch', async () => {
    const { store, writer } = await setup();
    writer.add('r', { firstSeq: 1, records: messages(1, 3) });
    await eventually('written', () => writer.status().written === 3);
    assert.deepEqual(await storedIds(store, 'r'), [1, 2, 3]);
  });

  it('keeps records while the store fails, reports it down, and writes each once when it is back', async () => {
    const { store, health, writer } = await setup();
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
    await eventually('store reported down', () => health.state === 'down');
    assert.equal(writer.status().queued, 11, 'a deletion and its log entry are one record');
    writer.add('r', { firstSeq: 1, records: messages(11, 20) });
    store.failing = false;
    await eventually('queue written', () => writer.status().queued === 0);
    assert.equal(health.state, 'up');
    assert.deepEqual(
      await storedIds(store, 'r'),
      Array.from({ length: 20 }, (_, i) => i + 1),
    );
    const rows = await store.inner.messages('r', { limit: 100 });
    assert.equal(rows.find((r) => r.id === 4)?.deleted, true);
    assert.equal((await store.inner.moderation('r', { limit: 10 })).length, 1);
  });

  it('drops and counts records beyond the queue bound, and never reports a dropped record committed', async () => {
    const { store, writer, committed } = await setup(5);
    store.failing = true;
    writer.begin('r');
    writer.add('r', { firstSeq: 1, records: messages(1, 8) });
    assert.deepEqual(writer.status(), { queued: 5, written: 0, dropped: 3 });
    store.failing = false;
    assert.equal(await writer.flush(Date.now() + 5_000), 0);
    assert.deepEqual(await storedIds(store, 'r'), [1, 2, 3, 4, 5]);
    assert.deepEqual(committed, [['r', 5]]);
    // 6 to 8 were dropped: 9 and 10 are stored, but the room's records are not durable past 5.
    writer.add('r', { firstSeq: 9, records: messages(9, 10) });
    assert.equal(await writer.flush(Date.now() + 5_000), 0);
    assert.deepEqual(await storedIds(store, 'r'), [1, 2, 3, 4, 5, 9, 10]);
    assert.deepEqual(committed, [['r', 5]]);
  });

  it('writes at once when idle, and groups what arrives while a write runs into the next batch', async () => {
    const { store, writer, committed } = await setup();
    writer.begin('a');
    writer.begin('b');
    store.hold();
    writer.add('a', { firstSeq: 1, records: messages(1, 1) });
    await eventually('the first record written without waiting for more', () => store.calls.length === 1, 5_000);
    writer.add('a', { firstSeq: 2, records: messages(2, 3) });
    writer.add('b', { firstSeq: 1, records: messages(1, 2) });
    writer.add('a', { firstSeq: 4, records: messages(4, 4) });
    assert.equal(store.calls.length, 1, 'one write at a time');
    store.release();
    await eventually('queue written', () => writer.status().queued === 0, 5_000);
    assert.deepEqual(
      store.calls.map((b) => b.messages.map((m) => `${m.room}${m.id}`)),
      [['a1'], ['a2', 'a3', 'b1', 'b2', 'a4']],
    );
    assert.deepEqual(committed, [
      ['a', 1],
      ['a', 4],
      ['b', 2],
    ]);
  });

  it('reports committed only for the current instance of a room', async () => {
    const { store, writer, committed } = await setup();
    writer.begin('r');
    store.failing = true;
    writer.add('r', { firstSeq: 1, records: messages(1, 3) });
    await eventually('the first write failed', () => store.calls.length > 0, 5_000);
    // The room is re-created while its old records wait: its numbering starts again.
    writer.begin('r');
    writer.add('r', { firstSeq: 1, records: messages(4, 4) });
    store.failing = false;
    assert.equal(await writer.flush(Date.now() + 5_000), 0);
    assert.deepEqual(committed, [['r', 1]], 'seq 1 of the new instance, not 3 of the old one');
  });

  it('reports each failed and each successful batch, and retries the same records', async () => {
    const { store, writer, outcomes } = await setup();
    store.failing = true;
    writer.add('r', { firstSeq: 1, records: messages(1, 2) });
    await eventually('two failed attempts', () => outcomes.length >= 2, 5_000);
    assert.deepEqual(outcomes.slice(0, 2), [false, false]);
    assert.equal(writer.retryInMs() > 0, true);
    store.failing = false;
    await eventually('a batch succeeds', () => outcomes.at(-1) === true, 5_000);
    assert.equal(writer.retryInMs(), 0);
    assert.deepEqual(await storedIds(store, 'r'), [1, 2]);
  });

  it('keeps an in-band ban and its log entry in one batch, and lists queued ban changes in order', async () => {
    const { store, writer } = await setup();
    store.failing = true;
    const act = (action: 'ban' | 'unban', target: string): ChatRecord => ({
      kind: 'moderation',
      action,
      by: { id: 'm', name: 'Mo', role: 'mod' },
      target,
      messageId: null,
      seconds: null,
      reason: '',
      at: Date.now(),
    });
    writer.add('r', { firstSeq: 1, records: [act('ban', 'x'), act('ban', 'y'), act('unban', 'x')] });
    assert.deepEqual(
      writer.queuedBans().map((c) => [c.op, c.op === 'add' ? c.ban.user : c.user]),
      [
        ['add', 'x'],
        ['add', 'y'],
        ['remove', 'x'],
      ],
    );
    store.failing = false;
    assert.equal(await writer.flush(Date.now() + 5_000), 0);
    assert.deepEqual(
      (await store.inner.bans(Date.now())).map((b) => [b.user, b.room]),
      [['y', 'r']],
    );
    assert.equal((await store.inner.moderation('r', { limit: 10 })).length, 3);
    const batch = store.calls.at(-1)!;
    assert.equal(batch.bans.length, 3);
    assert.equal(batch.moderation.length, 3);
  });

  it('lays queued messages, deletions and clears over a stored window', async () => {
    const { store, writer } = await setup();
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
