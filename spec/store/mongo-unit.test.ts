/**
 * The parts of the MongoDB store that need no server (its contract cases run in
 * spec/store/mongo.test.ts when MONGODB_URI is set): writes of one key land in
 * call order, what counts as "already stored", and the TTL MongoDB accepts.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { onlyDuplicates } from '../../src/store/mongo/documents.js';
import { InOrder } from '../../src/store/mongo/in-order.js';
import { ttlSeconds } from '../../src/store/mongo/models.js';

/** A write that ends when the test says so, and records when it started. */
function gate(log: string[], name: string) {
  let end!: (fail?: Error) => void;
  const done = new Promise<string>((resolve, reject) => {
    end = (fail) => (fail === undefined ? resolve(name) : reject(fail));
  });
  return {
    write: () => {
      log.push(`start ${name}`);
      return done;
    },
    end: (fail?: Error) => end(fail),
  };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('mongo store: writes of one key in call order', () => {
  it('starts a write only when the one before it of the same key has ended, failed or not', async () => {
    const inOrder = new InOrder();
    const log: string[] = [];
    const [on, off, last] = [gate(log, 'shield on'), gate(log, 'shield off'), gate(log, 'slow 5')];
    const first = inOrder.run('room:a', on.write);
    const second = inOrder.run('room:a', off.write);
    const third = inOrder.run('room:a', last.write);
    await settle();
    assert.deepEqual(log, ['start shield on']);
    on.end(new Error('network blip'));
    await assert.rejects(first, /network blip/);
    await settle();
    assert.deepEqual(log, ['start shield on', 'start shield off'], 'a failed write does not block the next');
    off.end();
    assert.equal(await second, 'shield off');
    await settle();
    last.end();
    assert.equal(await third, 'slow 5');
    await settle();
    assert.equal(inOrder.busyKeys, 0, 'an idle key holds nothing');
  });

  it('lets writes of different keys overlap', async () => {
    const inOrder = new InOrder();
    const log: string[] = [];
    const [a, b] = [gate(log, 'room a'), gate(log, 'pin a')];
    const writes = [inOrder.run('room:a', a.write), inOrder.run('pin:a', b.write)];
    await settle();
    assert.deepEqual(log, ['start room a', 'start pin a']);
    b.end();
    a.end();
    assert.deepEqual(await Promise.all(writes), ['room a', 'pin a']);
  });
});

describe('mongo store: what counts as already stored', () => {
  const duplicate = { code: 11000 };
  it('takes a batch whose only errors are duplicate keys as stored', () => {
    assert.equal(onlyDuplicates({ code: 11000, writeErrors: [duplicate, { err: { code: 11000 } }] }), true);
    assert.equal(onlyDuplicates({ code: 11000 }), true);
  });

  it('refuses one with any other write error, or whose new rows were not confirmed', () => {
    assert.equal(onlyDuplicates({ writeErrors: [duplicate, { code: 121 }] }), false);
    assert.equal(onlyDuplicates(new Error('connection reset')), false);
    const unconfirmed = {
      code: 11000,
      writeErrors: [duplicate],
      result: { getWriteConcernError: () => ({ code: 64, errmsg: 'waiting for replication timed out' }) },
    };
    assert.equal(onlyDuplicates(unconfirmed), false);
    const confirmed = { ...unconfirmed, result: { getWriteConcernError: () => undefined } };
    assert.equal(onlyDuplicates(confirmed), true);
  });
});

describe('mongo store: the transcript TTL', () => {
  it('is the retention in seconds, capped at the largest MongoDB accepts', () => {
    assert.equal(ttlSeconds(30), 30 * 86_400);
    assert.equal(ttlSeconds(24_855), 24_855 * 86_400);
    assert.equal(ttlSeconds(36_500), 2_147_483_647);
  });
});
