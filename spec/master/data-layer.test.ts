/**
 * The master's data half on its own, with a real SQLite store that fails on
 * demand: ids reserved ahead of use, writability and committed notices, in-band
 * bans that hold through an outage and a refresh, admin bans that apply nothing
 * when the store fails, and reads that see queued records without a flush.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { loadConfig } from '../../src/config.js';
import { DataLayer } from '../../src/master/data-layer.js';
import { IDS_BLOCK } from '../../src/master/data/id-reserver.js';
import type { ChatRecord, RoomNotice } from '../../src/protocol/room-messages.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { WriteBatch } from '../../src/store/store.js';
import { freshDataDir } from '../helpers/data-dir.js';
import { FaultyStore } from '../helpers/faulty-store.js';
import { ADMIN_KEY, KEY, testLogger } from '../helpers/server.js';
import { eventually } from '../helpers/wait.js';

/** Fails only batch writes (reads still answer) while `failWrites` is set. */
class WriteFaultStore extends FaultyStore {
  failWrites = false;
  override writeBatch = async (batch: WriteBatch) => {
    if (this.failing || this.failWrites) throw new Error('injected write fault');
    await this.inner.writeBatch(batch);
  };
}

type Notice = [string | undefined, RoomNotice];

async function setup(dataDir = freshDataDir(), open: string[] = ['r']) {
  const config = loadConfig({ NODE_ENV: 'test', DATA_DIR: dataDir, KEY, ADMIN_KEY, CACHE_REFRESH_S: '3600' });
  const store = new WriteFaultStore(new SqliteStore({ dataDir, retentionDays: 30 }));
  const data = new DataLayer(config, store, () => open, testLogger());
  const notices: Notice[] = [];
  data.on('notice', (room, notice) => notices.push([room, notice]));
  await data.start();
  after(() => data.stop(Date.now() + 500));
  return { data, store, notices, dataDir };
}

const user = { id: 'u1', name: 'Ann', role: 'guest' as const };
const msgs = (from: number, to: number): ChatRecord[] =>
  Array.from({ length: to - from + 1 }, (_, i) => ({
    kind: 'message' as const,
    message: { type: 'message' as const, id: from + i, ts: Date.now(), user, text: `m${from + i}` },
  }));
const act = (action: 'ban' | 'unban', target: string): ChatRecord => ({
  kind: 'moderation',
  action,
  by: { id: 'mo', name: 'Mo', role: 'mod' },
  target,
  messageId: null,
  seconds: null,
  reason: 'spam',
  at: Date.now(),
});
const of = <T extends RoomNotice['type']>(notices: Notice[], type: T) =>
  notices.filter((n): n is [string | undefined, Extract<RoomNotice, { type: T }>] => n[1].type === type);

describe('the data layer', () => {
  it('reserves a block of ids before a room opens, and the next one before the grant runs low', async () => {
    const { data, store, notices } = await setup();
    const restore = await data.restore('r');
    assert.equal(restore.lastId, 0);
    const { ids } = data.grants('r');
    assert.equal(ids.through, IDS_BLOCK);
    assert.equal((await store.inner.room('r'))?.lastMessageId, IDS_BLOCK, 'durable before the room has it');
    data.records('r', { firstSeq: 1, records: msgs(1, IDS_BLOCK / 2) });
    assert.equal(of(notices, 'ids').length, 0, 'no new block while half the grant is left');
    data.records('r', { firstSeq: IDS_BLOCK / 2 + 1, records: msgs(IDS_BLOCK / 2 + 1, IDS_BLOCK / 2 + 1) });
    await eventually('a new block granted', () => of(notices, 'ids').length === 1, 5_000);
    const through = of(notices, 'ids')[0]![1].through;
    assert.ok(through > IDS_BLOCK);
    assert.equal((await store.inner.room('r'))?.lastMessageId, through);
  });

  it('continues after the reserved mark when the process dies: a crash skips ids, never repeats one', async () => {
    const first = await setup();
    await first.data.restore('r');
    first.data.records('r', { firstSeq: 1, records: msgs(1, 10) });
    const given = first.data.grants('r').ids.through;
    // No stop: as after a SIGKILL, a second process opens the same file.
    const second = await setup(first.dataDir);
    const restore = await second.data.restore('r');
    assert.ok(restore.lastId >= given, `continues after ${restore.lastId}, at or above the ${given} granted before`);
    assert.ok(second.data.grants('r').ids.through > restore.lastId);
  });

  it('grants no ids while the store is down, and a block once it is back', async () => {
    const { data, store, notices } = await setup();
    store.failing = true;
    const restore = await data.restore('r');
    assert.ok(data.grants('r').ids.through <= restore.lastId, 'nothing new to give out');
    store.failing = false;
    await eventually('ids granted once the store answers', () => of(notices, 'ids').length > 0, 5_000);
    const through = of(notices, 'ids').at(-1)![1].through;
    assert.ok(through > restore.lastId);
    assert.ok((await store.inner.room('r'))!.lastMessageId >= through);
  });

  it('tells every room it is not writable while batches fail, and writable again after one succeeds', async () => {
    const { data, store, notices } = await setup();
    await data.restore('r');
    store.failWrites = true;
    data.records('r', { firstSeq: 1, records: msgs(1, 2) });
    await eventually('not writable', () => of(notices, 'writable').length === 1, 5_000);
    const [room, down] = of(notices, 'writable')[0]!;
    assert.equal(room, undefined, 'to every room');
    assert.equal(down.writable, false);
    assert.ok(down.retryAfterMs >= 1000);
    assert.equal(data.grants('r').writable.writable, false);
    assert.equal(of(notices, 'committed').length, 0);
    store.failWrites = false;
    await eventually('writable again', () => of(notices, 'writable').length === 2);
    assert.equal(of(notices, 'writable')[1]![1].writable, true);
    assert.equal(data.grants('r').writable.writable, true);
    await eventually('committed', () => of(notices, 'committed').length > 0, 5_000);
    assert.deepEqual(of(notices, 'committed').at(-1), ['r', { type: 'committed', through: 2 }]);
  });

  it('keeps an in-band ban through an outage and a refresh, and stores it with its log entry', async () => {
    const { data, store, notices } = await setup();
    await data.restore('r');
    store.failWrites = true;
    data.records('r', { firstSeq: 1, records: [act('ban', 'pest'), act('ban', 'other'), act('unban', 'other')] });
    assert.deepEqual(data.cacheFor('r').bans, ['pest'], 'in force at once');
    assert.equal(data.cacheFor('r').through, 3, 'the list covers the records taken in');
    assert.equal(await data.cache.refresh(), true, 'reads still answer');
    assert.deepEqual(data.cacheFor('r').bans, ['pest'], 'a refresh lays the queued ban over the store');
    const pushed = of(notices, 'cache').at(-1)!;
    assert.deepEqual([pushed[0], pushed[1].bans], ['r', ['pest']]);
    store.failWrites = false;
    await eventually('queue written', () => data.writer.status().queued === 0);
    assert.deepEqual(
      (await store.inner.bans(Date.now())).map((b) => [b.user, b.room]),
      [['pest', 'r']],
    );
    assert.deepEqual(
      (await store.inner.moderation('r', { limit: 10 })).map((e) => [e.action, e.target]),
      [
        ['unban', 'other'],
        ['ban', 'other'],
        ['ban', 'pest'],
      ],
    );
    assert.equal(await data.cache.refresh(), true);
    assert.deepEqual(data.cacheFor('r').bans, ['pest'], 'still out after a refresh from the store');
  });

  it('applies nothing of an admin ban the store did not take', async () => {
    const { data, store } = await setup();
    store.failing = true;
    const ban = { user: 'x', room: 'r', reason: '', by: 'admin', at: Date.now(), until: null };
    await assert.rejects(data.ban(ban));
    assert.deepEqual(data.cacheFor('r').bans, []);
    store.failing = false;
    assert.deepEqual(await store.inner.bans(Date.now()), []);
    assert.deepEqual(await store.inner.moderation('r', { limit: 10 }), []);
    await data.ban({ ...ban, room: null });
    assert.deepEqual(data.cacheFor('r').bans, ['x']);
    assert.deepEqual(
      (await data.reads.moderation('*', { limit: 10 })).map((e) => [e.action, e.target]),
      [['ban', 'x']],
      'a global ban is in the log of room "*"',
    );
    assert.equal(await data.unban('x', 'r'), false, 'a global ban is not lifted by a room unban');
    assert.equal(await data.unban('x', null), true);
    assert.deepEqual(data.cacheFor('r').bans, []);
  });

  it('reads lay queued messages, marks and log entries over the store without writing them', async () => {
    const { data, store } = await setup();
    await data.restore('r');
    data.records('r', { firstSeq: 1, records: msgs(1, 3) });
    await eventually('first part written', () => data.writer.status().queued === 0, 5_000);
    store.failWrites = true;
    data.records('r', { firstSeq: 4, records: [...msgs(4, 5), { ...act('ban', 'y') }] });
    const page = await data.reads.messages('r', { limit: 4 });
    assert.deepEqual(
      page.map((m) => m.id),
      [5, 4, 3, 2],
    );
    assert.deepEqual(
      (await data.reads.messages('r', { limit: 10, before: 5 })).map((m) => m.id),
      [4, 3, 2, 1],
    );
    const log = await data.reads.moderation('r', { limit: 10 });
    assert.deepEqual(
      log.map((e) => e.action),
      ['ban'],
    );
    assert.deepEqual(
      (await data.reads.bans()).map((b) => b.user),
      ['y'],
    );
    assert.equal(data.writer.status().queued, 3, 'nothing was flushed');
  });
});
