import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { after, describe, it } from 'node:test';
import { loadConfig } from '../../src/config.js';
import type { RecordBatch, RoomNotice, RoomRestore } from '../../src/protocol/room-messages.js';
import { RoomRequestError } from '../../src/master/room-handle.js';
import { type RequestTimeouts, requestTimeouts, type RoomData, RoomsService } from '../../src/master/rooms.js';
import { freshDataDir } from '../helpers/data-dir.js';
import { roomPortRange, testLogger } from '../helpers/server.js';
import { eventually } from '../helpers/wait.js';
import { TestClient } from '../helpers/ws-client.js';

const worker = new URL('../../src/room/worker.js', import.meta.url);
const misbehaving = new URL('../fixtures/misbehaving-worker.js', import.meta.url);

/** A data layer that restores empty rooms and writes down what it is told, in order. */
class FakeData extends EventEmitter<{ notice: [room: string | undefined, notice: RoomNotice] }> implements RoomData {
  readonly told: string[] = [];
  readonly batches: Array<[string, RecordBatch]> = [];
  async restore(): Promise<RoomRestore> {
    return { lastId: 0, window: [], settings: { slow: 0 }, cache: { bans: [], terms: [], through: 0 } };
  }
  grants() {
    return { ids: { through: Number.MAX_SAFE_INTEGER }, writable: { writable: true, retryAfterMs: 0 } };
  }
  records(name: string, batch: RecordBatch): void {
    this.batches.push([name, batch]);
  }
  roomOpened(name: string): void {
    this.told.push(`opened ${name}`);
  }
  async reserveBlock(): Promise<undefined> {
    return undefined;
  }

  roomClosed(name: string): void {
    this.told.push(`closed ${name}`);
  }
}

let offset = 100;
function service(
  env: Record<string, string> = {},
  options: { workerFile?: URL; timeouts?: Partial<RequestTimeouts> } = {},
) {
  const range = roomPortRange(offset++);
  const config = loadConfig({
    NODE_ENV: 'test',
    DATA_DIR: freshDataDir(),
    KEY: 'k',
    ADMIN_KEY: 'a',
    MAX_ROOMS: '3',
    ROOM_PORT_MIN: String(range.min),
    ROOM_PORT_MAX: String(range.max),
    ROOM_WARM_WORKERS: '1',
    ...env,
  });
  const data = new FakeData();
  const rooms = new RoomsService({
    config,
    logger: testLogger(),
    workerFile: options.workerFile ?? worker,
    data,
    ...(options.timeouts ? { timeouts: options.timeouts } : {}),
  });
  after(() => rooms.stop('test finished', 2_000));
  return { rooms, data, config };
}

describe('the rooms service', () => {
  it('starts no worker and takes no notice until started, and lets go of the notices when stopped', async () => {
    const { rooms, data } = service();
    assert.equal(rooms.workerCounts.started, 0, 'the constructor started a worker');
    assert.equal(data.listenerCount('notice'), 0);
    rooms.start();
    assert.equal(rooms.workerCounts.started, 1, 'the warm pool');
    assert.equal(data.listenerCount('notice'), 1);
    await rooms.stop('done', 2_000);
    assert.equal(data.listenerCount('notice'), 0);
  });

  it('takes its request timeouts from one table, with the configured open and ping', () => {
    const { rooms, config } = service({ ROOM_BOOT_TIMEOUT_MS: '7000', ROOM_LIVENESS_TIMEOUT_MS: '900' });
    assert.deepEqual(requestTimeouts(config), {
      open: 7000,
      ping: 900,
      stats: 5_000,
      scrape: 2_000,
      broadcast: 5_000,
      kick: 5_000,
      settings: 5_000,
      close: 8_000,
    });
    assert.deepEqual(rooms.timeouts, requestTimeouts(config));
  });

  it('gives a room that does not answer up after the time its table allows, and leaves it out of a broadcast', async () => {
    const { rooms } = service(
      { ROOM_LIVENESS_INTERVAL_MS: '60000' },
      { workerFile: misbehaving, timeouts: { broadcast: 300, stats: 300, scrape: 300 } },
    );
    rooms.start();
    await rooms.create('fine');
    await rooms.create('stuck');
    const hung = await rooms.broadcast('fixture:hang', ['stuck']);
    assert.deepEqual(hung, { rooms: 0, delivered: 0 }, 'the hung room counted as taking the broadcast');
    await assert.rejects(rooms.stats('stuck'), (error: unknown) => {
      assert.ok(error instanceof RoomRequestError);
      assert.equal(error.code, 'ROOM_TIMEOUT');
      return true;
    });
    assert.deepEqual(
      (await rooms.allStats('scrape')).map((s) => s.name),
      ['fine'],
    );
    assert.equal(await rooms.stats('nowhere'), undefined);
    assert.equal(await rooms.kick('nowhere', 'u', 'r'), undefined);
  });

  it('opens a room of a name still closing only after the close is reported', async () => {
    const { rooms, data } = service();
    rooms.start();
    const first = await rooms.create('again');
    const events: string[] = [];
    rooms.on('roomClosed', (name) => events.push(`closed ${name}`));
    rooms.on('roomOpened', (name) => events.push(`opened ${name}`));
    const closing = rooms.close('again', 'test');
    const reopened = rooms.create('again');
    const secondClose = rooms.close('again', 'twice');
    assert.equal(await closing, true);
    assert.equal(await secondClose, false, 'a second close of a closing room closed something');
    const second = await reopened;
    assert.equal(second.created, true);
    assert.deepEqual(events, ['closed again', 'opened again']);
    assert.deepEqual(data.told, ['opened again', 'closed again', 'opened again']);
    assert.notEqual(second.port, 0);
    assert.ok(first.port > 0);
  });

  it('gives concurrent creates of one name one room, and refuses past MAX_ROOMS', async () => {
    const { rooms } = service({ MAX_ROOMS: '2' });
    rooms.start();
    const same = await Promise.all([rooms.create('one'), rooms.create('one'), rooms.create('one')]);
    assert.equal(new Set(same.map((r) => r.port)).size, 1);
    assert.deepEqual(
      same.map((r) => r.created),
      [true, false, false],
    );
    await rooms.create('two');
    await assert.rejects(rooms.create('three'), { name: 'NoSlotError' });
    assert.equal(rooms.roomCount, 2);
  });

  it("sends a data notice to the room it names, or to every open room, and hands on the rooms' records", async () => {
    const { rooms, data } = service();
    rooms.start();
    const portA = await rooms.create('a');
    const portB = await rooms.create('b');
    const { client: inA } = await TestClient.join(portA.port, { name: 'Ann' });
    const { client: inB } = await TestClient.join(portB.port, { name: 'Ben' });
    // Blocked terms only in room a: a message with it is refused there, accepted in b.
    data.emit('notice', 'a', { type: 'cache', bans: [], terms: ['zebra'], through: 0 });
    data.emit('notice', 'nowhere', { type: 'cache', bans: [], terms: ['zebra'], through: 0 });
    // A reply on the same channel comes after the notice has been taken in (messages keep their order).
    await Promise.all([rooms.stats('a'), rooms.stats('b')]);
    inA.send({ type: 'message', text: 'a zebra' });
    assert.equal((await inA.next('error')).code, 'BLOCKED_TERM');
    inB.send({ type: 'message', text: 'a zebra' });
    assert.equal((await inB.next('message')).text, 'a zebra');
    // Every room.
    data.emit('notice', undefined, { type: 'cache', bans: [], terms: ['yak'], through: 0 });
    await rooms.stats('b');
    inB.send({ type: 'message', text: 'a yak' });
    assert.equal((await inB.next('error')).code, 'BLOCKED_TERM');
    await eventually('the message recorded for the store', () =>
      data.batches.some(([room, b]) => room === 'b' && b.records.some((r) => r.kind === 'message')),
    );
    inA.close();
    inB.close();
  });
});
