/** The welcome's history built once for joins asking the same `since` while the history is unchanged, and never stale. */
import { DEFAULT_MODES } from '../../../src/room/chat-modes.js';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ChatMessage } from '../../../src/protocol/frames.js';
import { History } from '../../../src/room/history.js';
import { encodeWelcome, MAX_ANSWERS, RecoveryCache } from '../../../src/room/recovery-cache.js';
import { MODERATION_RULE } from '../../../src/protocol/moderation-rule.js';
import { testRoom } from '../fakes.js';

const message = (id: number): ChatMessage => ({
  type: 'message',
  id,
  ts: 1_000 + id,
  user: { id: 'guest:a', name: 'A', role: 'guest' },
  text: `m${id}`,
});

/** A cache whose linger the test ends by hand. */
function cacheOf(history: History) {
  const ends: Array<() => void> = [];
  const cache = new RecoveryCache(history, 50, (fn) => ends.push(fn));
  return { cache, endLinger: () => ends.splice(0).forEach((fn) => fn()) };
}

describe('room unit: recovery built once while the history is unchanged', () => {
  it('gives every since the window cannot answer one shared fallback, and keeps a bounded number of answers', () => {
    const history = new History(5);
    for (let id = 1; id <= 10; id++) history.add(message(id));
    const { cache } = cacheOf(history);
    // Older than the window (6–10), never given out, negative: all the same recovered:false answer.
    const fallbacks = [1, 2, 3, 11, 500, -7].map((since) => cache.answer(since));
    assert.equal(cache.built, 1);
    assert.ok(fallbacks.every((a) => a === fallbacks[0]));
    assert.equal(fallbacks[0]!.recovered, false);
    assert.deepEqual(
      (JSON.parse(fallbacks[0]!.json) as ChatMessage[]).map((m) => m.id),
      [6, 7, 8, 9, 10],
    );

    // Many distinct recoverable answers: past MAX_ANSWERS each is built, right, and not kept.
    const big = new History(1000);
    for (let id = 1; id <= 200; id++) big.add(message(id));
    const many = cacheOf(big).cache;
    for (let since = 0; since < MAX_ANSWERS + 10; since++) many.answer(since);
    const built = many.built;
    const past = many.answer(MAX_ANSWERS + 5);
    assert.equal(many.built, built + 1);
    assert.equal((JSON.parse(past.json) as ChatMessage[])[0]!.id, MAX_ANSWERS + 6);
    assert.equal(many.answer(3), many.answer(3)); // the first ones stay shared
  });

  it('answers every join with the same since from one build', () => {
    const history = new History(100);
    for (let id = 1; id <= 10; id++) history.add(message(id));
    const { cache } = cacheOf(history);
    const answers = Array.from({ length: 1000 }, () => cache.answer(4));
    assert.equal(cache.built, 1);
    assert.ok(answers.every((a) => a === answers[0]));
    assert.equal(answers[0]!.recovered, true);
    assert.deepEqual(
      (JSON.parse(answers[0]!.json) as ChatMessage[]).map((m) => m.id),
      [5, 6, 7, 8, 9, 10],
    );
    // Another since, and no since at all, are answers of their own.
    assert.notEqual(cache.answer(8), answers[0]);
    assert.equal(cache.answer(undefined).recovered, undefined);
    assert.equal(cache.built, 3);
  });

  it('builds afresh when the history changes between two joins of the same pass', () => {
    const history = new History(100);
    for (let id = 1; id <= 5; id++) history.add(message(id));
    const { cache } = cacheOf(history);
    const ids = (since: number) => (JSON.parse(cache.answer(since).json) as ChatMessage[]).map((m) => m.id);
    assert.deepEqual(ids(2), [3, 4, 5]);
    history.add(message(6));
    assert.deepEqual(ids(2), [3, 4, 5, 6], 'a message in between is in the next answer');
    history.markDeleted(4);
    assert.deepEqual(ids(2), [3, 5, 6], 'a deletion in between is too');
    history.clearThrough(5);
    assert.deepEqual(ids(2), [6], 'and a clear');
    assert.equal(cache.built, 4);
  });

  it('keeps its answers across passes until it lingered, then forgets them', async () => {
    const history = new History(100);
    history.add(message(1));
    const { cache, endLinger } = cacheOf(history);
    const first = cache.answer(0);
    await new Promise((resolve) => setImmediate(resolve)); // another pass of the event loop
    assert.equal(cache.answer(0), first, 'a join of a later pass shares the answer');
    endLinger();
    assert.notEqual(cache.answer(0), first);
    assert.equal(cache.built, 2);
  });

  it('writes the same JSON as serialising the whole welcome', () => {
    const history = new History(100);
    for (let id = 1; id <= 3; id++) history.add(message(id));
    const { cache } = cacheOf(history);
    const fields = {
      room: 'r',
      you: { id: 'guest:é', name: 'Zoë 🎉', role: 'guest' as const },
      viewers: 3,
      settings: { ...DEFAULT_MODES, maxMessageChars: 500, moderationRule: MODERATION_RULE },
    };
    for (const since of [undefined, 1, 99]) {
      const answer = cache.answer(since);
      const whole: Record<string, unknown> = {
        type: 'welcome',
        protocol: 1,
        room: fields.room,
        you: fields.you,
        history: JSON.parse(answer.json) as unknown,
        viewers: fields.viewers,
        settings: fields.settings,
      };
      if (since !== undefined) whole.recovered = since === 1;
      const encoded = encodeWelcome(fields, answer);
      assert.equal(encoded.json, JSON.stringify(whole));
      assert.equal(encoded.bytes, Buffer.byteLength(encoded.json));
    }
  });

  it('gives many clients joining with the same since at once identical, correct recoveries', async () => {
    const { join, connect, room } = testRoom();
    const poster = await join({ name: 'Poster' });
    for (let i = 1; i <= 8; i++) poster.send({ type: 'message', text: `t${i}` });
    await poster.next('message', (f) => f.text === 't8');
    const ids = poster.of('message').map((m) => m.id as number);
    const since = ids[2]!;
    const builtBefore = room.recoveries.built;
    const members = Array.from({ length: 300 }, () => connect());
    members.forEach((m, i) => m.send({ type: 'join', name: `v${i}`, since }));
    const welcomes = await Promise.all(members.map((m) => m.next('welcome')));
    assert.equal(room.recoveries.built - builtBefore, 1, 'one build for the whole pass');
    for (const w of welcomes) {
      assert.equal(w.recovered, true);
      assert.deepEqual(w.history, welcomes[0]!.history);
    }
    assert.deepEqual(
      (welcomes[0]!.history as ChatMessage[]).map((m) => [m.id, m.text]),
      ids.slice(3).map((id, i) => [id, `t${i + 4}`]),
    );
    assert.deepEqual(
      welcomes.map((w) => (w.you as { name: string }).name),
      members.map((_, i) => `v${i}`),
      'each still gets its own identity',
    );
  });
});
