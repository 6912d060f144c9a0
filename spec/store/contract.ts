/**
 * The Store contract: the cases every store implementation must pass, written
 * once and run by spec/store/sqlite.test.ts and spec/store/mongo.test.ts. Each
 * case opens its own store by name, so cases do not see each other's data; a
 * name opened twice is the same data (a restart).
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { UserInfo } from '../../src/protocol/frames.js';
import {
  type Ban,
  DAY_MS,
  emptyBatch,
  type NewMessage,
  type NewModerationEntry,
  type Store,
  type WriteBatch,
} from '../../src/store/store.js';
import { extrasCases } from './extras-contract.js';

export interface StoreFactory {
  /** Opens the store called `name` (the same data each time for one name), with retention in days. */
  open(name: string, retentionDays?: number): Promise<Store>;
  /** Removes everything the factory created. */
  cleanup(): Promise<void>;
}

const ann: UserInfo = { id: 'u-ann', name: 'Ann', role: 'viewer' };
const mod: UserInfo = { id: 'u-mo', name: 'Mo', role: 'mod' };

export function message(room: string, id: number, ts = Date.now()): NewMessage {
  return { room, id, ts, user: ann, text: `message ${id}` };
}

function batch(parts: Partial<WriteBatch>): WriteBatch {
  return { ...emptyBatch(), ...parts };
}

function entry(room: string, action: NewModerationEntry['action'], at: number): NewModerationEntry {
  return { room, action, by: mod, target: ann.id, messageId: null, seconds: null, reason: `${action} at ${at}`, at };
}

export function storeContract(label: string, factory: StoreFactory): void {
  describe(`${label} store contract`, () => {
    const opened: Store[] = [];
    let n = 0;
    const open = async (name = `c${n++}`, retentionDays?: number) => {
      const store = await factory.open(name, retentionDays);
      opened.push(store);
      return store;
    };
    after(async () => {
      for (const store of opened) await store.close();
      await factory.cleanup();
    });

    extrasCases(() => open());

    it('writes a batch and reads it back newest first, paged with before', async () => {
      const store = await open();
      const messages = Array.from({ length: 25 }, (_, i) => message('r1', i + 1, 1_700_000_000_000 + i));
      await store.writeBatch(batch({ messages: [...messages, message('other', 1)] }));
      const first = await store.messages('r1', { limit: 10 });
      assert.deepEqual(
        first.map((m) => m.id),
        [25, 24, 23, 22, 21, 20, 19, 18, 17, 16],
      );
      assert.deepEqual(first[0], { ...messages[24], deleted: false, cleared: false });
      const second = await store.messages('r1', { limit: 10, before: 16 });
      assert.deepEqual(
        second.map((m) => m.id),
        [15, 14, 13, 12, 11, 10, 9, 8, 7, 6],
      );
      const last = await store.messages('r1', { limit: 10, before: 6 });
      assert.equal(last.length, 5);
      assert.deepEqual(await store.messages('r1', { limit: 10, before: 1 }), []);
      assert.deepEqual(await store.messages('nobody', { limit: 10 }), []);
      assert.equal((await store.room('r1'))?.lastMessageId, 25);
    });

    it('stores nothing twice when a batch is written again', async () => {
      const store = await open();
      const retried = batch({
        messages: [message('r', 1), message('r', 2)],
        moderation: [entry('r', 'timeout', 1)],
      });
      await store.writeBatch(retried);
      await store.writeBatch(retried);
      await store.writeBatch(batch({ messages: [message('r', 2), message('r', 3)] }));
      assert.deepEqual(
        (await store.messages('r', { limit: 100 })).map((m) => m.id),
        [3, 2, 1],
      );
      assert.equal((await store.moderation('r', { limit: 100 })).length, 1);
    });

    it('marks deleted and cleared messages instead of erasing them', async () => {
      const store = await open();
      await store.writeBatch(batch({ messages: [1, 2, 3, 4].map((id) => message('r', id)) }));
      // A delete of a message in the same batch applies after its insert.
      await store.writeBatch(
        batch({
          messages: [message('r', 5)],
          deletions: [
            { room: 'r', id: 2 },
            { room: 'r', id: 5 },
          ],
          clears: [{ room: 'r', throughId: 3 }],
        }),
      );
      const rows = await store.messages('r', { limit: 10 });
      assert.deepEqual(
        rows.map((m) => [m.id, m.deleted, m.cleared]),
        [
          [5, true, false],
          [4, false, false],
          [3, false, true],
          [2, true, true],
          [1, false, true],
        ],
      );
    });

    it('keeps a room, its settings and its last message id across a reopen', async () => {
      const store = await open('reopen');
      await store.roomOpened('r', 'host-a', 1000);
      await store.writeBatch(batch({ messages: [message('r', 7)] }));
      await store.saveSettings('r', { slow: 30 });
      await store.roomClosed('r', 2000);
      await store.close();
      const again = await open('reopen');
      assert.deepEqual(await again.room('r'), {
        name: 'r',
        server: 'host-a',
        createdAt: 1000,
        closedAt: 2000,
        lastMessageId: 7,
        settings: { slow: 30 },
      });
      await again.roomOpened('r', 'host-b', 3000);
      const reopened = await again.room('r');
      assert.equal(reopened?.closedAt, null);
      assert.equal(reopened?.server, 'host-b');
      assert.equal(reopened?.lastMessageId, 7);
      assert.equal(await again.room('never'), null);
    });

    it('removes transcripts past the retention but remembers the last id', async () => {
      const store = await open(undefined, 1);
      const now = Date.now();
      await store.writeBatch(batch({ messages: [message('r', 1, now - 2 * DAY_MS), message('r', 2, now)] }));
      assert.ok((await store.removeExpired(now)) >= 1);
      assert.deepEqual(
        (await store.messages('r', { limit: 10 })).map((m) => m.id),
        [2],
      );
      assert.equal((await store.room('r'))?.lastMessageId, 2);
    });

    it('keeps room and global bans, replaces one on re-ban, and forgets expired ones', async () => {
      const store = await open();
      const now = Date.now();
      const add = (ban: Ban) => store.writeBatch(batch({ bans: [{ op: 'add', ban }] }));
      const remove = (user: string, room: string | null) =>
        store.writeBatch(batch({ bans: [{ op: 'remove', user, room }] }));
      await add({ user: 'a', room: 'r', reason: 'spam', by: 'u-mo', at: now, until: null });
      await add({ user: 'b', room: null, reason: 'abuse', by: 'admin', at: now + 1, until: now + 60_000 });
      await add({ user: 'c', room: 'r', reason: 'old', by: 'admin', at: now + 2, until: now - 1 });
      assert.deepEqual(await store.bans(now), [
        { user: 'a', room: 'r', reason: 'spam', by: 'u-mo', at: now, until: null },
        { user: 'b', room: null, reason: 'abuse', by: 'admin', at: now + 1, until: now + 60_000 },
      ]);
      await add({ user: 'a', room: 'r', reason: 'again', by: 'admin', at: now + 3, until: null });
      const bans = await store.bans(now);
      assert.equal(bans.length, 2);
      assert.equal(bans.find((b) => b.user === 'a')?.reason, 'again');
      await remove('a', null);
      assert.equal((await store.bans(now)).length, 2, 'a room ban is not a global ban');
      await remove('a', 'r');
      assert.deepEqual(
        (await store.bans(now)).map((b) => b.user),
        ['b'],
      );
      assert.deepEqual(
        (await store.bans(now + 120_000)).map((b) => b.user),
        [],
      );
      assert.ok((await store.removeExpired(now + 120_000)) >= 1, 'an expired ban is removed');
    });

    it('applies a ban, its lifting and their log entries from one batch, in order, once on a retry', async () => {
      const store = await open();
      const now = Date.now();
      const ban: Ban = { user: ann.id, room: 'r', reason: 'spam', by: mod.id, at: now, until: null };
      const banned = batch({ bans: [{ op: 'add', ban }], moderation: [entry('r', 'ban', now)] });
      await store.writeBatch(banned);
      await store.writeBatch(banned);
      assert.deepEqual(await store.bans(now), [ban]);
      assert.equal((await store.moderation('r', { limit: 10 })).length, 1);
      await store.writeBatch(
        batch({
          bans: [
            { op: 'add', ban: { ...ban, user: 'other' } },
            { op: 'remove', user: ann.id, room: 'r' },
            { op: 'remove', user: 'other', room: 'r' },
          ],
          moderation: [entry('r', 'unban', now + 1)],
        }),
      );
      assert.deepEqual(await store.bans(now), []);
      assert.deepEqual(
        (await store.moderation('r', { limit: 10 })).map((e) => e.action),
        ['unban', 'ban'],
      );
    });

    it('reserves ids ahead: the mark only rises, and stored messages never lower it', async () => {
      const store = await open('reserve');
      await store.reserveIds('fresh', 1000);
      assert.equal((await store.room('fresh'))?.lastMessageId, 1000, 'a room not yet stored gets a mark');
      await store.reserveIds('fresh', 500);
      assert.equal((await store.room('fresh'))?.lastMessageId, 1000, 'a lower reservation changes nothing');
      await store.writeBatch(batch({ messages: [message('fresh', 7)] }));
      assert.equal((await store.room('fresh'))?.lastMessageId, 1000);
      await store.roomOpened('fresh', 'host', 1);
      await store.reserveIds('fresh', 2000);
      await store.close();
      const again = await open('reserve');
      assert.equal((await again.room('fresh'))?.lastMessageId, 2000, 'the mark survives a reopen');
    });

    it('stores a keyed moderation entry once, written by every copy of a room', async () => {
      const store = await open();
      const keyed = () => ({ ...entry('r', 'ban', 1), key: 'log-1' });
      await store.writeBatch(batch({ messages: [message('r', 1)], moderation: [keyed(), entry('r', 'kick', 2)] }));
      await store.writeBatch(batch({ messages: [message('r', 1)], moderation: [keyed(), entry('r', 'kick', 2)] }));
      await store.writeBatch(batch({ moderation: [{ ...entry('other', 'ban', 1), key: 'log-1' }] }));
      assert.deepEqual(
        (await store.moderation('r', { limit: 10 })).map((e) => e.action),
        ['kick', 'kick', 'ban'],
        'unkeyed entries that are distinct objects are distinct acts',
      );
      assert.equal((await store.moderation('other', { limit: 10 })).length, 1, 'a key is unique per room');
      assert.equal((await store.messages('r', { limit: 10 })).length, 1);
    });

    it('reserves disjoint blocks atomically and refuses a bad count', async () => {
      const store = await open();
      assert.equal(await store.reserveBlock('b', 10), 10, 'a missing room starts at 0');
      await store.reserveIds('b', 100);
      const marks = await Promise.all(Array.from({ length: 20 }, () => store.reserveBlock('b', 5)));
      assert.deepEqual(
        [...marks].sort((a, b) => a - b),
        Array.from({ length: 20 }, (_, i) => 105 + 5 * i),
      );
      assert.equal((await store.room('b'))?.lastMessageId, 200);
      await assert.rejects(store.reserveBlock('b', 0), /count must be a positive integer/);
      await assert.rejects(store.reserveBlock('b', 1.5), /count must be a positive integer/);
    });

    it('has no blocked terms until a list is saved, then the saved list', async () => {
      const store = await open();
      assert.equal(await store.blockedTerms(), null);
      await store.setBlockedTerms(['foo', 'bar baz']);
      assert.deepEqual(await store.blockedTerms(), ['foo', 'bar baz']);
      await store.setBlockedTerms([]);
      assert.deepEqual(await store.blockedTerms(), []);
    });

    it('keeps a moderation log per room, newest first, paged with before', async () => {
      const store = await open();
      const actions = ['delete', 'timeout', 'ban', 'unban', 'clear', 'slow', 'kick'] as const;
      for (let i = 0; i < actions.length; i++) {
        const e = entry('r', actions[i]!, 1000 + i);
        if (actions[i] === 'delete') e.messageId = 42;
        if (actions[i] === 'slow') e.seconds = 30;
        await store.writeBatch(batch({ moderation: [e, entry('elsewhere', 'kick', 1000 + i)] }));
      }
      const first = await store.moderation('r', { limit: 4 });
      assert.deepEqual(
        first.map((e) => e.action),
        ['kick', 'slow', 'clear', 'unban'],
      );
      assert.equal(first[1]?.seconds, 30);
      assert.deepEqual(first[0]?.by, mod);
      assert.equal(first[0]?.target, ann.id);
      assert.equal(first[0]?.reason, 'kick at 1006');
      assert.equal(typeof first[0]?.id, 'string');
      const rest = await store.moderation('r', { limit: 4, before: first[3]!.id });
      assert.deepEqual(
        rest.map((e) => e.action),
        ['ban', 'timeout', 'delete'],
      );
      assert.equal(rest[2]?.messageId, 42);
      assert.deepEqual(await store.moderation('r', { limit: 4, before: rest[2]!.id }), []);
      assert.deepEqual(await store.moderation('r', { limit: 4, before: 'not-an-id' }), []);
    });

    it('writes a 500-message batch across rooms in one call', async () => {
      const store = await open();
      const messages = Array.from({ length: 500 }, (_, i) => message(`room${i % 3}`, Math.floor(i / 3) + 1));
      await store.writeBatch(batch({ messages }));
      for (const room of ['room0', 'room1', 'room2']) {
        const rows = await store.messages(room, { limit: 500 });
        assert.equal(rows.length, room === 'room0' || room === 'room1' ? 167 : 166);
      }
    });
  });
}
