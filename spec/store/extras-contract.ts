/**
 * The store contract's cases for what messages carry besides their text (reply,
 * mentions, action, announcement, tip), the room's pin and the tips, run inside
 * storeContract (spec/store/contract.ts) for every store.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { ChatMessage, UserInfo } from '../../src/protocol/frames.js';
import { emptyBatch, type NewMessage, type Store, type TipRecord } from '../../src/store/store.js';

const ann: UserInfo = { id: 'u-ann', name: 'Ann', role: 'viewer' };

function tip(key: string, room: string, outcome: TipRecord['answer']['outcome'], messageId: number | null): TipRecord {
  const status = outcome === 'paid' ? 200 : outcome === 'insufficient' ? 402 : 403;
  return {
    key,
    room,
    user: { id: ann.id, name: ann.name },
    amount: 50,
    messageId,
    answer: { status, outcome, reason: '' },
    at: 1,
  };
}

export function extrasCases(open: () => Promise<Store>): void {
  it('keeps a message’s extras and reads them back; a message without any reads as before', async () => {
    const store = await open();
    const reply = { id: 1, user: ann, text: 'the parent' };
    const rich: NewMessage = {
      room: 'x',
      id: 2,
      ts: 2,
      user: ann,
      text: 'hi @Ann',
      reply,
      mentions: [ann.id],
      action: true,
      announcement: 'green',
      tip: { amount: 500 },
    };
    const plain: NewMessage = { room: 'x', id: 3, ts: 3, user: ann, text: 'plain' };
    await store.writeBatch({ ...emptyBatch(), messages: [rich, plain] });
    const [third, second] = await store.messages('x', { limit: 10 });
    assert.deepEqual(second, { ...rich, deleted: false, cleared: false });
    assert.deepEqual(third, { ...plain, deleted: false, cleared: false });
  });

  it('keeps one pin per room, replaced by the next and removed by an unpin', async () => {
    const store = await open();
    const message: ChatMessage = { type: 'message', id: 7, ts: 7, user: ann, text: 'pinned', tip: { amount: 5 } };
    assert.equal(await store.pin('p'), null);
    await store.savePin('p', { message, until: null });
    await store.savePin('p', { message: { ...message, id: 8 }, until: 1_000 });
    await store.savePin('q', { message, until: null });
    assert.deepEqual(await store.pin('p'), { message: { ...message, id: 8 }, until: 1_000 });
    await store.savePin('p', null);
    assert.equal(await store.pin('p'), null);
    assert.deepEqual(await store.pin('q'), { message, until: null });
  });

  it('keeps one tip per key (a later answer replaces the earlier in its place), newest first, paged', async () => {
    const store = await open();
    await store.saveTip(tip('k1', 't', 'insufficient', null));
    await store.saveTip(tip('k2', 't', 'refused', null));
    await store.saveTip(tip('k3', 'other', 'paid', 9));
    await store.saveTip(tip('k1', 't', 'paid', 12));
    assert.deepEqual(await store.tip('k1'), tip('k1', 't', 'paid', 12));
    assert.equal(await store.tip('nope'), null);
    const first = await store.tips('t', { limit: 1 });
    assert.deepEqual(
      first.map((t) => t.key),
      ['k2'],
    );
    const rest = await store.tips('t', { limit: 5, before: first[0]!.id });
    assert.deepEqual(
      rest.map((t) => [t.key, t.messageId]),
      [['k1', 12]],
    );
    assert.deepEqual(await store.tips('t', { limit: 5, before: rest[0]!.id }), []);
  });
}
