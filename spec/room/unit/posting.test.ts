/** A room driven with fake connections and a fake clock: the message policy, acks and the engine. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PendingAcks } from '../../../src/room/acks.js';
import { NO_IDS_RETRY_MS } from '../../../src/room/local-engine.js';
import { drain, testRoom } from '../fakes.js';

describe('room unit: posting', () => {
  it('broadcasts a message at once and holds the ack until its record is committed', async () => {
    const { join, engine, records } = testRoom();
    const ann = await join({ name: 'Ann' });
    const ben = await join({ name: 'Ben' });
    ann.send({ type: 'message', text: 'hello', ref: 'r1' });
    const own = await ann.next('message');
    assert.deepEqual(await ben.next('message'), own);
    assert.equal(records.length, 1);
    engine.committed(0);
    await drain();
    assert.equal(ann.of('ack').length, 0, 'no ack before the store has it');
    engine.committed(1);
    assert.deepEqual(await ann.next('ack'), { type: 'ack', ref: 'r1', id: own.id });
    assert.equal(ben.of('ack').length, 0);
  });

  it('releases held acks in order, as far as the committed sequence number reaches', async () => {
    const { join, engine, records } = testRoom();
    const ann = await join({ name: 'Ann' });
    for (let i = 1; i <= 3; i++) ann.send({ type: 'message', text: `m${i}`, ref: `r${i}` });
    assert.equal(records.length, 3);
    engine.committed(2);
    await ann.next('ack', (f) => f.ref === 'r2');
    await drain();
    assert.deepEqual(
      ann.of('ack').map((a) => a.ref),
      ['r1', 'r2'],
    );
    engine.committed(2); // a repeated notice changes nothing
    engine.committed(3);
    await ann.next('ack', (f) => f.ref === 'r3');
    await drain();
    assert.equal(ann.of('ack').length, 3);
  });

  it('never acks a client that closed before its message was committed', async () => {
    const { join, engine } = testRoom();
    const ann = await join({ name: 'Ann' });
    ann.send({ type: 'message', text: 'bye', ref: 'r1' });
    await ann.next('message');
    ann.client.close(1000, 'bye');
    ann.end();
    engine.committed(1);
    await drain();
    assert.equal(ann.of('ack').length, 0);
  });

  it('holds a bounded number of acks, and has room again once some are released', async () => {
    const { join } = testRoom();
    const ann = await join({ name: 'Ann' });
    const acks = new PendingAcks(2);
    acks.hold(1, ann.client, 'a', 10);
    assert.equal(acks.full, false);
    acks.hold(2, ann.client, 'b', 11);
    assert.equal(acks.full, true);
    assert.equal(acks.release(1), 1);
    assert.equal(acks.full, false);
    assert.equal(acks.size, 1);
    assert.deepEqual(await ann.next('ack'), { type: 'ack', ref: 'a', id: 10 });
  });

  it('refuses posts UNAVAILABLE while the store is not writable, and takes them again once it is', async () => {
    const { join, engine } = testRoom({ writable: { writable: false, retryAfterMs: 2500 } });
    const ann = await join({ name: 'Ann' });
    ann.send({ type: 'message', text: 'now?', ref: 'a' });
    const refused = await ann.next('error');
    assert.equal(refused.code, 'UNAVAILABLE');
    assert.equal(refused.retryAfterMs, 2500);
    assert.equal(refused.ref, 'a');
    ann.send({ type: 'users' });
    await ann.next('users'); // reads go on
    engine.setWritable({ writable: true, retryAfterMs: 0 });
    ann.send({ type: 'message', text: 'now!' });
    assert.equal((await ann.next('message')).text, 'now!');
  });

  it('refuses posts UNAVAILABLE when no id is left, and continues after the last id once more are granted', async () => {
    const { join, engine } = testRoom({ lastId: 41, ids: { through: 42 } });
    const ann = await join({ name: 'Ann' });
    ann.send({ type: 'message', text: 'last id' });
    assert.equal((await ann.next('message')).id, 42);
    ann.send({ type: 'message', text: 'no id', ref: 'n' });
    const refused = await ann.next('error');
    assert.equal(refused.code, 'UNAVAILABLE');
    assert.equal(refused.retryAfterMs, NO_IDS_RETRY_MS);
    engine.grantIds({ through: 10 }); // a grant never lowers the limit
    ann.send({ type: 'message', text: 'still none', ref: 's' });
    assert.equal((await ann.next('error', (e) => e.ref === 's')).code, 'UNAVAILABLE');
    engine.grantIds({ through: 100 });
    ann.send({ type: 'message', text: 'more ids' });
    assert.equal((await ann.next('message', (m) => m.text === 'more ids')).id, 43);
  });

  it('refuses anonymous, empty, too long and blocked posts with their codes and echoes the ref', async () => {
    const { join, room } = testRoom();
    room.applyCache({ bans: [], terms: ['darn'], through: 0 });
    const anon = await join();
    anon.send({ type: 'message', text: 'hi', ref: 'a' });
    assert.deepEqual([(await anon.next('error')).code, anon.of('error')[0]!.ref], ['FORBIDDEN', 'a']);
    const ann = await join({ name: 'Ann' });
    const cases: Array<[string, string]> = [
      [' \u0000 ', 'EMPTY'],
      ['x'.repeat(501), 'TOO_LONG'],
      ['oh DARN it', 'BLOCKED_TERM'],
    ];
    for (const [text, code] of cases) {
      ann.send({ type: 'message', text, ref: code });
      assert.equal((await ann.next('error', (e) => e.ref === code)).code, code);
    }
    ann.send({ type: 'message', text: 'x'.repeat(500) });
    await ann.next('message');
  });

  it('rate-limits a viewer to 20 messages in the window, and lets them post once the window has passed', async () => {
    const { join, clock } = testRoom();
    const fast = await join({ name: 'Fast' });
    for (let i = 0; i < 21; i++) fast.send({ type: 'message', text: `m${i}`, ref: `r${i}` });
    const refused = await fast.next('error');
    assert.equal(refused.code, 'RATE_LIMITED');
    assert.equal(refused.ref, 'r20');
    assert.equal(refused.retryAfterMs, 30_000);
    assert.equal(fast.of('message').length, 20);
    clock.advance(29_999);
    fast.send({ type: 'message', text: 'too soon', ref: 'soon' });
    assert.equal((await fast.next('error', (e) => e.ref === 'soon')).retryAfterMs, 1);
    clock.advance(1);
    fast.send({ type: 'message', text: 'again' });
    await fast.next('message', (m) => m.text === 'again');
  });

  it('gives mods and hosts 100 messages in the window', async () => {
    for (const role of ['mod', 'host'] as const) {
      const { join } = testRoom();
      const mod = await join({ sub: 'm', role });
      for (let i = 0; i < 101; i++) mod.send({ type: 'message', text: `x${i}`, ref: `x${i}` });
      assert.equal((await mod.next('error')).ref, 'x100', role);
      assert.equal(mod.of('message').length, 100, role);
    }
  });

  it('slow mode: one message per N seconds for viewers, counted on the clock; mods exempt', async () => {
    const { join, clock } = testRoom();
    const mod = await join({ sub: 'mod', role: 'mod' });
    const viewer = await join({ name: 'Slowpoke' });
    mod.send({ type: 'slow', seconds: 30 });
    assert.equal((await viewer.next('settings')).slow, 30);
    viewer.send({ type: 'message', text: 'one' });
    await viewer.next('message', (m) => m.text === 'one');
    clock.advance(10_000);
    viewer.send({ type: 'message', text: 'two', ref: 's2' });
    const refused = await viewer.next('error');
    assert.equal(refused.code, 'SLOW_MODE');
    assert.equal(refused.retryAfterMs, 20_000);
    for (const text of ['mod one', 'mod two']) mod.send({ type: 'message', text });
    await mod.next('message', (m) => m.text === 'mod two');
    clock.advance(20_000);
    viewer.send({ type: 'message', text: 'three' });
    await viewer.next('message', (m) => m.text === 'three');
    mod.send({ type: 'slow', seconds: 0 });
    viewer.send({ type: 'message', text: 'four' });
    await viewer.next('message', (m) => m.text === 'four');
  });

  it('closes with 4008 after 10 malformed frames', async () => {
    const { join } = testRoom();
    const bad = await join({ name: 'Bad' });
    for (let i = 0; i < 10; i++) bad.send('{nope');
    assert.equal((await bad.closedWith()).code, 4008);
    assert.equal(bad.of('error').length, 10, 'each refusal is answered before the close');
  });
});
