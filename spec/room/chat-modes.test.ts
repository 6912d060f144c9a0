import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_MODES } from '../../src/room/chat-modes.js';
import { freshDataDir } from '../helpers/data-dir.js';
import { startTestServer } from '../helpers/server.js';
import { AUTH_SECRET, token } from '../helpers/tokens.js';
import { type Frame, TestClient } from '../helpers/ws-client.js';

const ROOM = 'modesroom';
type Claims = { followedAt?: number; subscriber?: boolean };

const nowS = () => Math.floor(Date.now() / 1000);

describe('chat modes', async () => {
  const t = await startTestServer({ AUTH_SECRET, ALLOW_GUESTS: 'on', RATE_LIMIT_MESSAGES: '1000' });
  const port = await t.createRoom(ROOM);
  const as = async (sub: string, role: string, claims: Claims = {}) =>
    (await TestClient.join(port, { token: await token({ sub, name: sub, role, room: ROOM, ...claims }) })).client;
  const { client: host } = await TestClient.join(port, {
    token: await token({ sub: 'host', name: 'Host', role: 'host', room: ROOM }),
  });

  /** Sets modes as the host; resolves with the settings frame it is answered with. */
  const set = async (modes: Record<string, unknown>) => {
    const from = host.frames.length;
    host.send({ type: 'settings', ...modes });
    return host.next('settings', (f) => host.frames.indexOf(f) >= from);
  };
  const { shield: _shield, ...defaults } = DEFAULT_MODES;
  const reset = () => set(defaults);

  /** Posts and answers the sender's ack or error for it. */
  const post = async (client: TestClient, text: string): Promise<Frame> => {
    const ref = `r${Math.random()}`;
    client.send({ type: 'message', text, ref });
    return Promise.race([client.next('ack', (f) => f.ref === ref), client.next('error', (f) => f.ref === ref)]);
  };

  it('sends every mode in welcome.settings, sets any subset from a mod, and refuses viewers', async () => {
    const viewer = await as('v-set', 'viewer');
    const settings = await set({ slow: 3, uniqueChat: true });
    assert.deepEqual(
      Object.keys(settings).sort(),
      ['type', ...Object.keys(DEFAULT_MODES)].sort(),
      'everyone gets the full settings back',
    );
    assert.equal((await viewer.next('settings', (f) => f.slow === 3)).uniqueChat, true);
    viewer.send({ type: 'settings', slow: 0 });
    assert.equal((await viewer.next('error')).code, 'FORBIDDEN');
    viewer.send({ type: 'settings', chatDelay: 99 });
    assert.match((await viewer.next('error', (f) => f.code === 'BAD_FRAME')).message as string, /chatDelay/);
    const { client: late, welcome } = await TestClient.join(port, { name: 'Late' });
    assert.equal((welcome.settings as Frame).slow, 3);
    assert.equal((welcome.settings as Frame).uniqueChat, true);
    await reset();
    for (const c of [viewer, late]) c.close();
  });

  it('followers-only: refuses guests and non-followers, a follow just too young with retryAfterMs, and lets mods by', async () => {
    await set({ followersOnly: 10 });
    const { client: guest } = await TestClient.join(port, { name: 'Guesty' });
    const stranger = await as('v-none', 'viewer');
    const young = await as('v-young', 'viewer', { followedAt: nowS() - 9 * 60 });
    const old = await as('v-old', 'viewer', { followedAt: nowS() - 11 * 60 });
    const mod = await as('m-f', 'mod');
    assert.equal((await post(guest, 'hi')).code, 'FOLLOWERS_ONLY');
    assert.equal((await post(stranger, 'hi')).code, 'FOLLOWERS_ONLY');
    const tooYoung = await post(young, 'hi');
    assert.equal(tooYoung.code, 'FOLLOWERS_ONLY');
    assert.ok((tooYoung.retryAfterMs as number) > 0 && (tooYoung.retryAfterMs as number) <= 60_000);
    assert.equal((await post(old, 'hi')).type, 'ack');
    assert.equal((await post(mod, 'hi')).type, 'ack');
    await reset();
    for (const c of [guest, stranger, young, old, mod]) c.close();
  });

  it('subscribers-only: only a token with subscriber true may post', async () => {
    await set({ subscribersOnly: true });
    const plain = await as('v-plain', 'viewer');
    const sub = await as('v-sub', 'viewer', { subscriber: true });
    assert.equal((await post(plain, 'hey')).code, 'SUBSCRIBERS_ONLY');
    assert.equal((await post(sub, 'hey')).type, 'ack');
    await reset();
    plain.close();
    sub.close();
  });

  it('unique chat: refuses a text posted a moment ago, folded, but not to mods', async () => {
    await set({ uniqueChat: true });
    const a = await as('v-ua', 'viewer');
    const b = await as('v-ub', 'viewer');
    assert.equal((await post(a, 'first!')).type, 'ack');
    assert.equal((await post(b, 'FIRST!  ')).code, 'DUPLICATE');
    assert.equal((await post(b, 'second')).type, 'ack');
    assert.equal((await post(host, 'first!')).type, 'ack', 'mods and hosts are exempt');
    await reset();
    a.close();
    b.close();
  });

  it('chat delay: viewers get a message late, mods at once; one deleted in its delay reaches no viewer', async () => {
    await set({ chatDelay: 1 });
    const author = await as('v-da', 'viewer');
    const reader = await as('v-dr', 'viewer');
    author.send({ type: 'message', text: 'delete me in time' });
    const seen = await host.next('message', (f) => f.text === 'delete me in time');
    assert.equal(
      reader.frames.some((f) => f.text === 'delete me in time'),
      false,
      'the host had it before the reader',
    );
    host.send({ type: 'delete', id: seen.id });
    await host.next('deleted', (f) => f.id === seen.id);
    author.send({ type: 'message', text: 'after it' });
    await reader.next('message', (f) => f.text === 'after it'); // its delay began later than the deleted one's
    assert.equal(
      reader.frames.some((f) => f.type === 'message' && f.text === 'delete me in time'),
      false,
      'never shown to viewers',
    );
    await reset();
    author.close();
    reader.close();
  });

  it('held for review: a review term holds a message, allow sends it to everyone once, deny drops it', async () => {
    const put = await t.adminFetch('/review-terms', { method: 'PUT', body: JSON.stringify({ terms: ['spoiler'] }) });
    assert.equal(put.status, 200);
    assert.deepEqual(((await (await t.adminFetch('/review-terms')).json()) as { data: Frame }).data.terms, ['spoiler']);
    await set({ review: true });
    const author = await as('v-ra', 'viewer');
    const reader = await as('v-rr', 'viewer');
    // The cache reaches the room in its own time: try until the term holds.
    let held: Frame | undefined;
    for (let i = 0; i < 50 && held === undefined; i++) {
      const ref = `h${i}`;
      author.send({ type: 'message', text: `big SPOILER ${i}`, ref });
      const answer = await Promise.race([
        author.next('held', (f) => f.ref === ref),
        author.next('ack', (f) => f.ref === ref),
      ]);
      if (answer.type === 'held') held = answer;
    }
    assert.ok(held, 'held once the term reached the room');
    const review = await host.next('review', (f) => (f.text as string).startsWith('big SPOILER'));
    assert.match(review.reason as string, /spoiler/);
    host.send({ type: 'allow', id: review.id });
    const allowed = await reader.next('message', (f) => f.text === review.text);
    assert.equal((await host.next('reviewed', (f) => f.id === review.id)).allowed, true);
    host.send({ type: 'allow', id: review.id });
    assert.equal((await host.next('error')).code, 'NOT_FOUND', 'decided once');

    author.send({ type: 'message', text: 'another spoiler', ref: 'd' });
    await author.next('held', (f) => f.ref === 'd');
    const second = await host.next('review', (f) => f.text === 'another spoiler');
    host.send({ type: 'deny', id: second.id });
    await host.next('reviewed', (f) => f.id === second.id && f.allowed === false);
    author.send({ type: 'message', text: 'plain words', ref: 'p' });
    await reader.next('message', (f) => f.text === 'plain words');
    assert.equal(reader.frames.filter((f) => f.type === 'message' && f.text === review.text).length, 1, 'once');
    assert.equal(
      reader.frames.some((f) => f.text === 'another spoiler'),
      false,
    );
    assert.ok(allowed.id);

    await set({ review: 'guests' });
    const { client: guest } = await TestClient.join(port, { name: 'Newcomer' });
    guest.send({ type: 'message', text: 'hello all', ref: 'g' });
    await guest.next('held', (f) => f.ref === 'g');
    assert.equal((await host.next('review', (f) => f.text === 'hello all')).reason, 'guests are held for review');
    const log = (await (await t.adminFetch(`/room/${ROOM}/moderation`)).json()) as { data: { entries: Frame[] } };
    const actions = (log.data.entries ?? (log.data as unknown as Frame[])).map((e) => e.action);
    assert.ok(actions.includes('allow') && actions.includes('deny'), `both decisions logged: ${actions.join()}`);
    await reset();
    for (const c of [author, reader, guest]) c.close();
  });

  it('shield mode applies the preset in one step and off restores the settings before it', async () => {
    await set({ slow: 5, chatDelay: 2 });
    const from = host.frames.length;
    host.send({ type: 'shield', on: true });
    const on = await host.next('settings', (f) => host.frames.indexOf(f) >= from && f.shield === true);
    assert.deepEqual(
      {
        slow: on.slow,
        followersOnly: on.followersOnly,
        uniqueChat: on.uniqueChat,
        review: on.review,
        chatDelay: on.chatDelay,
      },
      { slow: 30, followersOnly: 10, uniqueChat: true, review: 'guests', chatDelay: 2 },
    );
    host.send({ type: 'shield', on: false });
    const off = await host.next(
      'settings',
      (f) => host.frames.indexOf(f) > host.frames.indexOf(on) && f.shield === false,
    );
    const { type: _type, ...restored } = off;
    assert.deepEqual(restored, { ...DEFAULT_MODES, slow: 5, chatDelay: 2 });
    await reset();
  });

  it('warnings: a warned user cannot post until they acknowledge', async () => {
    const user = await as('v-w', 'viewer');
    const mod = await as('m-w', 'mod');
    mod.send({ type: 'warn', user: 'v-w', reason: 'be kind' });
    assert.equal((await user.next('warned')).reason, 'be kind');
    const refused = await post(user, 'hmm');
    assert.equal(refused.code, 'WARNED');
    assert.match(refused.message as string, /be kind/);
    user.send({ type: 'acknowledge' });
    assert.equal((await post(user, 'sorry')).type, 'ack');
    user.send({ type: 'warn', user: 'm-w' });
    assert.equal((await user.next('error')).code, 'FORBIDDEN');
    user.close();
    mod.close();
  });

  it('the admin API sets modes on a room with PATCH /room/:name/settings', async () => {
    const res = await t.adminFetch(`/room/${ROOM}/settings`, {
      method: 'PATCH',
      body: JSON.stringify({ subscribersOnly: true, chatDelay: 4 }),
    });
    assert.equal(res.status, 200);
    const body = (await res.json()) as { data: { settings: Frame } };
    assert.equal(body.data.settings.chatDelay, 4);
    assert.equal((await host.next('settings', (f) => f.chatDelay === 4 && f.subscribersOnly === true)).slow, 0);
    const bad = await t.adminFetch(`/room/${ROOM}/settings`, { method: 'PATCH', body: JSON.stringify({ slow: -1 }) });
    assert.equal(bad.status, 400);
    assert.match(JSON.stringify(await bad.json()), /slow/);
    const none = await t.adminFetch('/room/nosuchroom/settings', { method: 'PATCH', body: '{"slow":1}' });
    assert.equal(none.status, 404);
    await reset();
  });
});

describe('chat modes in the store', () => {
  it('survive a server restart', async () => {
    const env = { AUTH_SECRET, DATA_DIR: freshDataDir() };
    const first = await startTestServer(env);
    const port = await first.createRoom(ROOM);
    const { client: host } = await TestClient.join(port, {
      token: await token({ sub: 'h', name: 'H', role: 'host', room: ROOM }),
    });
    host.send({ type: 'settings', slow: 9, followersOnly: 5, uniqueChat: true, review: 'guests' });
    await host.next('settings', (f) => f.slow === 9);
    host.send({ type: 'shield', on: true });
    await host.next('settings', (f) => f.shield === true);
    host.close();
    await first.stop();

    const second = await startTestServer(env);
    const again = await second.createRoom(ROOM);
    const { client, welcome } = await TestClient.join(again, {
      token: await token({ sub: 'h', name: 'H', role: 'host', room: ROOM }),
    });
    assert.equal((welcome.settings as Frame).shield, true);
    client.send({ type: 'shield', on: false });
    const restored = await client.next('settings', (f) => f.shield === false);
    assert.deepEqual(
      {
        slow: restored.slow,
        followersOnly: restored.followersOnly,
        uniqueChat: restored.uniqueChat,
        review: restored.review,
      },
      { slow: 9, followersOnly: 5, uniqueChat: true, review: 'guests' },
    );
    client.close();
  });
});
