import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAX_REJOIN_WINDOW_MS, MIN_REJOIN_WINDOW_MS, rejoinWindowMs } from '../../../src/room/join-admission.js';

describe('room unit: rejoin window', () => {
  it('is the time the room takes to admit all its members at its join rate', () => {
    assert.equal(rejoinWindowMs(10_000, 5_000), 2_000);
    assert.equal(rejoinWindowMs(10_000, 2_000), 5_000);
    assert.equal(rejoinWindowMs(1_001, 2_000), 501, 'rounded up');
  });

  it('is 0 for a room that comes back within the first backoff anyway, or without a join rate', () => {
    assert.equal(rejoinWindowMs(0, 5_000), 0);
    assert.equal(rejoinWindowMs(2_000, 5_000), 0);
    assert.equal(rejoinWindowMs((5_000 * MIN_REJOIN_WINDOW_MS) / 1000, 5_000), MIN_REJOIN_WINDOW_MS);
    assert.equal(rejoinWindowMs(100_000, 0), 0, 'JOIN_RATE_PER_S=0 admits everyone at once');
  });

  it('grows with the room, up to its bound', () => {
    const sizes = [1_000, 5_000, 10_000, 19_000, 1_000_000];
    const windows = sizes.map((n) => rejoinWindowMs(n, 2_000));
    assert.deepEqual(windows, [500, 2_500, 5_000, 9_500, MAX_REJOIN_WINDOW_MS]);
  });
});
