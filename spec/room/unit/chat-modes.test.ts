/** The chat modes' small models, on a fake clock. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { UserInfo } from '../../../src/protocol/frames.js';
import { ChatDelay } from '../../../src/room/chat-delay.js';
import { ChatModesState, DEFAULT_MODES, fullModes, parseModesPatch } from '../../../src/room/chat-modes.js';
import { modeRefusal } from '../../../src/room/mode-checks.js';
import { ReviewQueue, REVIEW_TIMEOUT_MS } from '../../../src/room/review-queue.js';
import { UniqueChat } from '../../../src/room/unique-chat.js';
import { FakeClock } from '../fakes.js';

const viewer: UserInfo = { id: 'v', name: 'V', role: 'viewer' };
const guest: UserInfo = { id: 'guest:g', name: 'G', role: 'guest' };

describe('chat modes state', () => {
  it('applies a patch over the current modes and keeps what shield mode replaced', () => {
    const modes = new ChatModesState();
    modes.apply(modes.patched({ slow: 5, chatDelay: 2 }));
    assert.deepEqual(modes.current, { ...DEFAULT_MODES, slow: 5, chatDelay: 2 });
    const preset = { slow: 30, followersOnly: 10, uniqueChat: true, review: 'guests' as const };
    modes.apply(modes.shielded(true, preset));
    assert.deepEqual(modes.current, { ...DEFAULT_MODES, ...preset, chatDelay: 2, shield: true });
    modes.apply(modes.shielded(true, preset)); // on again: what to restore stays the first
    modes.apply(modes.shielded(false, preset));
    assert.deepEqual(modes.current, { ...DEFAULT_MODES, slow: 5, chatDelay: 2 });
  });

  it('restores from the stored form, shield included', () => {
    const before = new ChatModesState();
    before.apply(before.shielded(true, { slow: 30 }));
    const after = new ChatModesState();
    after.apply(JSON.parse(JSON.stringify(before.settings)));
    after.apply(after.shielded(false, { slow: 30 }));
    assert.deepEqual(after.current, DEFAULT_MODES);
    assert.deepEqual(fullModes({ slow: 3 }), { ...DEFAULT_MODES, slow: 3 });
  });

  it('checks a patch and names the field that is wrong', () => {
    assert.deepEqual(parseModesPatch({ slow: 30, review: 'guests', followersOnly: null }), {
      slow: 30,
      review: 'guests',
      followersOnly: null,
    });
    assert.match(
      (parseModesPatch({ chatDelay: 11 }) as Error).message,
      /"chatDelay" must be a whole number from 0 to 10/,
    );
    assert.match((parseModesPatch({ review: 'all' }) as Error).message, /"review"/);
    assert.match((parseModesPatch({ shield: true }) as Error).message, /Unknown setting "shield"/);
  });
});

describe('followers-only and subscribers-only', () => {
  const now = 1_750_000_000_000;
  const followers = { ...DEFAULT_MODES, followersOnly: 10 };
  it('refuses guests and non-followers, and a follow too young with the time left', () => {
    assert.equal(modeRefusal(followers, guest, {}, now)?.code, 'FOLLOWERS_ONLY');
    assert.equal(modeRefusal(followers, viewer, {}, now)?.code, 'FOLLOWERS_ONLY');
    const young = modeRefusal(followers, viewer, { followedAt: now - 4 * 60_000 }, now);
    assert.equal(young?.code, 'FOLLOWERS_ONLY');
    assert.equal(young?.retryAfterMs, 6 * 60_000);
    assert.equal(modeRefusal(followers, viewer, { followedAt: now - 10 * 60_000 }, now), null);
  });
  it('lets only subscribers post under subscribers-only', () => {
    const subs = { ...DEFAULT_MODES, subscribersOnly: true };
    assert.equal(modeRefusal(subs, viewer, {}, now)?.code, 'SUBSCRIBERS_ONLY');
    assert.equal(modeRefusal(subs, viewer, { subscriber: true }, now), null);
  });
});

describe('unique chat', () => {
  it('refuses the same text, case and spacing folded, within the window only', () => {
    const clock = new FakeClock();
    const unique = new UniqueChat(clock, 30_000);
    unique.posted('Hello  there');
    assert.equal(unique.isDuplicate('hello there'), true);
    assert.equal(unique.isDuplicate('hello there!'), false);
    clock.advance(30_000);
    assert.equal(unique.isDuplicate('hello there'), false);
    unique.sweep();
  });
});

describe('chat delay', () => {
  it('shows a message after the delay, and never one dropped meanwhile', () => {
    const clock = new FakeClock();
    const delay = new ChatDelay(clock);
    const shown: number[] = [];
    delay.hold(1, 3000, () => shown.push(1));
    delay.hold(2, 3000, () => shown.push(2));
    assert.equal(delay.isPending(1), true);
    clock.advance(2999);
    delay.drop(2);
    assert.deepEqual(shown, []);
    clock.advance(1);
    assert.deepEqual(shown, [1]);
    assert.equal(delay.isPending(1), false);
  });
});

describe('review queue', () => {
  it('drops a held message nobody decides on within 5 minutes', () => {
    const clock = new FakeClock();
    const expired: string[] = [];
    const queue = new ReviewQueue<string>(clock, (m) => expired.push(m.id));
    queue.hold({ id: 'a', user: guest, text: 'hi', reason: 'r', ts: clock.now() }, 'draft-a');
    queue.hold({ id: 'b', user: guest, text: 'yo', reason: 'r', ts: clock.now() });
    assert.deepEqual(queue.take('b')?.draft, undefined);
    assert.equal(queue.take('b'), undefined, 'decided once');
    clock.advance(REVIEW_TIMEOUT_MS - 1);
    assert.deepEqual(expired, []);
    clock.advance(1);
    assert.deepEqual(expired, ['a']);
    assert.equal(queue.take('a'), undefined);
  });
});
