/**
 * What the console keeps between polls (src/client/admin/history.ts), with the
 * poll times given: the sparklines' 15-minute window and the messages-a-minute
 * figure from successive message counts.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HISTORY_MS, MessageRates, Series } from '../../src/client/admin/history.js';

describe('Series', () => {
  it('keeps the samples of the last 15 minutes, oldest first, and knows the latest and the highest', () => {
    const series = new Series();
    assert.equal(series.latest(), undefined);
    series.push(0, 5);
    series.push(60_000, 9);
    series.push(HISTORY_MS, 2);
    assert.deepEqual(
      series.values().map((s) => s.value),
      [5, 9, 2],
      'a sample exactly 15 minutes old stays',
    );
    series.push(HISTORY_MS + 60_000, 3);
    assert.deepEqual(
      series.values().map((s) => s.value),
      [9, 2, 3],
    );
    assert.equal(series.latest(), 3);
    assert.equal(series.max(), 9);
  });
});

describe('MessageRates', () => {
  const room = (name: string, messages: number) => ({ name, messages });

  it('has no rate until two polls have seen the room', () => {
    const rates = new MessageRates();
    rates.update(0, [room('a', 10)]);
    assert.equal(rates.perMinute('a'), null);
    assert.equal(rates.perMinute('unknown'), null);
  });

  it('gives messages a minute from the rise of the count', () => {
    const rates = new MessageRates();
    rates.update(0, [room('a', 10)]);
    rates.update(3_000, [room('a', 13)]);
    assert.equal(rates.perMinute('a'), 60);
    rates.update(30_000, [room('a', 40)]);
    assert.equal(rates.perMinute('a'), 60);
  });

  it('measures over about the last minute, not since the page opened', () => {
    const rates = new MessageRates();
    rates.update(0, [room('a', 0)]);
    rates.update(60_000, [room('a', 600)]); // a burst in the first minute
    rates.update(90_000, [room('a', 600)]);
    rates.update(120_000, [room('a', 600)]); // quiet for a minute since
    assert.equal(rates.perMinute('a'), 0);
  });

  it('forgets a room that closed, and starts again when a room of that name opens', () => {
    const rates = new MessageRates();
    rates.update(0, [room('a', 50)]);
    rates.update(3_000, [room('a', 53)]);
    rates.update(6_000, []);
    rates.update(9_000, [room('a', 0)]);
    assert.equal(rates.perMinute('a'), null, 'a new room: one poll so far');
    rates.update(12_000, [room('a', 2)]);
    assert.equal(rates.perMinute('a'), 40);
  });
});
