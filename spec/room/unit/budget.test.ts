/** The connection budget's counter, the drain check, and the budget's configuration, with no sockets. */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig, readFdLimit } from '../../../src/config.js';
import { ConnectionBudget, RoomBudget } from '../../../src/room/connection-budget.js';
import { DrainWatch } from '../../../src/room/drain-watch.js';
import { testRoom } from '../fakes.js';

describe('the connection budget counter', () => {
  it('lets rooms together take at most max, and gives each unit back once', () => {
    const budget = new ConnectionBudget(3, 4);
    const a = new RoomBudget(budget.lease()!);
    const b = new RoomBudget(budget.lease()!);
    assert.equal(a.take(), true);
    assert.equal(b.take(), true);
    assert.equal(a.take(), true);
    assert.equal(b.take(), false, 'the fourth socket of the process is refused, whichever room');
    assert.equal(budget.inUse, 3);
    a.give();
    assert.equal(b.take(), true);
    assert.deepEqual([a.held, b.held, budget.inUse], [1, 2, 3]);
  });

  it("gives back what a dead worker's slot still held, and reuses the slot", () => {
    const budget = new ConnectionBudget(10, 1);
    const share = budget.lease()!;
    const room = new RoomBudget(share);
    for (let i = 0; i < 7; i++) assert.ok(room.take());
    assert.equal(budget.lease(), null, 'one slot, leased');
    assert.equal(budget.reclaim(share.slot), 7);
    assert.equal(budget.inUse, 0);
    const next = new RoomBudget(budget.lease()!);
    assert.equal(next.held, 0);
    for (let i = 0; i < 10; i++) assert.ok(next.take());
    assert.equal(next.take(), false);
  });
});

describe('the drain check', () => {
  it('says stalled once bytes have waited without going down for the limit', () => {
    const watch = new DrainWatch(500);
    assert.equal(watch.stalled(0, 0), false);
    assert.equal(watch.stalled(100, 4000), false, 'bytes appear: the clock starts');
    assert.equal(watch.stalled(300, 4000), false);
    assert.equal(watch.stalled(550, 9000), false, 'more waiting is not draining');
    assert.equal(watch.stalled(600, 9000), true);
  });

  it('starts over whenever the bytes waiting go down or reach zero', () => {
    const watch = new DrainWatch(500);
    watch.stalled(0, 4000);
    assert.equal(watch.stalled(400, 3000), false, 'it drained some');
    assert.equal(watch.stalled(800, 3000), false, 'only 400 ms since it last drained');
    assert.equal(watch.stalled(900, 3000), true);
    assert.equal(watch.stalled(1000, 0), false);
    assert.equal(watch.stalled(1400, 10), false);
  });

  it('cuts a client whose socket does not drain with 4009, then ends it within SLOW_READER_MS', async () => {
    const { join, clock } = testRoom({ limits: { slowReaderMs: 1000 } });
    const stuck = await join({ name: 'Stuck' });
    const fine = await join({ name: 'Fine' });
    stuck.connection.bufferedAmount = 70_000;
    let resets = 0;
    Object.assign(stuck.connection, { reset: () => (resets += 1) });
    for (let t = 0; t < 4; t++) {
      assert.equal(stuck.client.checkDrain(), false);
      assert.equal(fine.client.checkDrain(), false);
      clock.advance(250);
    }
    assert.equal(stuck.client.checkDrain(), true);
    assert.equal(stuck.connection.closed?.code, 4009);
    assert.equal(fine.connection.closed, null);
    assert.equal(resets, 0);
    clock.advance(1000);
    assert.equal(resets, 1, 'a stalled reader never answers the close: reset, so the kernel lets go of its buffer');
  });
});

describe('the budget configuration', () => {
  const base = { NODE_ENV: 'test' };
  it('defaults to the descriptor limit minus max(256, 5 %)', () => {
    assert.deepEqual(loadConfig(base, { fdLimit: 65536 }).connectionBudget, {
      maxConnections: 65536 - 3277,
      fdLimit: 65536,
      reserve: 3277,
      source: 'fd limit',
    });
    assert.equal(loadConfig(base, { fdLimit: 1024 }).connectionBudget.maxConnections, 768);
    assert.equal(loadConfig({ ...base, FD_RESERVE: '24' }, { fdLimit: 1024 }).connectionBudget.maxConnections, 1000);
  });

  it('takes MAX_CONNECTIONS within the limit and refuses one the limit cannot hold, naming both', () => {
    assert.equal(loadConfig({ ...base, MAX_CONNECTIONS: '40' }, { fdLimit: 1024 }).connectionBudget.maxConnections, 40);
    assert.throws(
      () => loadConfig({ ...base, MAX_CONNECTIONS: '1000' }, { fdLimit: 1024 }),
      (e: unknown) =>
        e instanceof ConfigError && /MAX_CONNECTIONS: 1000 .*1024 open files.*at most 768/.test(e.message),
    );
    assert.throws(() => loadConfig({ ...base, FD_RESERVE: '2000' }, { fdLimit: 1024 }), /FD_RESERVE: 2000 leaves no/);
  });

  it('reads the soft "Max open files" of /proc/self/limits', () => {
    const dir = mkdtempSync(join(tmpdir(), 'limits-'));
    const file = join(dir, 'limits');
    writeFileSync(
      file,
      'Limit                     Soft Limit           Hard Limit           Units     \n' +
        'Max processes             63357                63357                processes \n' +
        'Max open files            4096                 524288               files     \n',
    );
    assert.equal(readFdLimit(file), 4096);
    assert.equal(readFdLimit(join(dir, 'missing')), null);
    if (process.platform === 'linux') assert.ok((readFdLimit() ?? 0) > 0);
  });
});
