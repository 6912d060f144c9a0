/**
 * Today's DataLayer, adapted to what the rooms service and the metrics expect of
 * a data layer (RoomData, StoreMetrics). The DataLayer still wires itself to a
 * supervisor-shaped object (roomState, records/roomOpened/roomClosed events, get,
 * each); this bridge is that object, so the real Supervisor knows nothing of the
 * data layer. It goes once the data layer speaks RoomData itself.
 */
import { EventEmitter } from 'node:events';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import type { IdGrant, RecordBatch, RoomNotice, RoomRestore, Writable } from '../protocol/room-messages.js';
import type { Store } from '../store/store.js';
import { DataLayer, type DataLayerOptions } from './data-layer.js';
import type { StoreMetrics } from './metrics.js';
import type { RoomData } from './rooms.js';

/** One room as the data layer of today addresses it. */
export interface LegacyRoom {
  readonly name: string;
  notify(notice: RoomNotice): void;
}

/** What the data layer of today reads of the supervisor it is given. */
export interface LegacySupervisor {
  roomState: (name: string) => Promise<RoomRestore | undefined>;
  on(event: 'records', listener: (room: string, batch: RecordBatch) => void): unknown;
  on(event: 'roomOpened' | 'roomClosed', listener: (room: string) => void): unknown;
  get(name: string): LegacyRoom | undefined;
  each(names: string[] | undefined, fn: (room: LegacyRoom) => Promise<unknown>): Promise<unknown>;
}

interface BridgeEvents {
  records: [room: string, batch: RecordBatch];
  roomOpened: [room: string];
  roomClosed: [room: string];
  notice: [room: string | undefined, notice: RoomNotice];
  batch: [seconds: number, ok: boolean];
}

/** Every id and always writable: what rooms are given until the data layer grants them. */
const GRANTS: { ids: IdGrant; writable: Writable } = {
  ids: { through: Number.MAX_SAFE_INTEGER },
  writable: { writable: true, retryAfterMs: 0 },
};

export class LegacyDataBridge extends EventEmitter<BridgeEvents> implements LegacySupervisor, RoomData, StoreMetrics {
  readonly layer: DataLayer;
  /** Set by the data layer when it starts. */
  roomState: (name: string) => Promise<RoomRestore | undefined> = async () => undefined;
  private readonly open = new Set<string>();

  constructor(config: Config, store: Store, logger: Logger, options: DataLayerOptions = {}) {
    super();
    this.layer = new DataLayer(config, store, this, logger, options);
    this.layer.writer.onBatch = (seconds, ok) => this.emit('batch', seconds, ok);
  }

  get writer(): StoreMetrics['writer'] {
    return this.layer.writer;
  }

  get health(): StoreMetrics['health'] {
    return this.layer.health;
  }

  async restore(name: string): Promise<RoomRestore> {
    const restore = await this.roomState(name);
    if (restore === undefined) throw new Error('The data layer has not started');
    return restore;
  }

  grants(): { ids: IdGrant; writable: Writable } {
    return GRANTS;
  }

  records(name: string, batch: RecordBatch): void {
    this.emit('records', name, batch);
  }

  roomOpened(name: string): void {
    this.open.add(name);
    this.emit('roomOpened', name);
  }

  roomClosed(name: string): void {
    this.open.delete(name);
    this.emit('roomClosed', name);
  }

  get(name: string): LegacyRoom {
    return { name, notify: (notice) => this.emit('notice', name, notice) };
  }

  async each(names: string[] | undefined, fn: (room: LegacyRoom) => Promise<unknown>): Promise<unknown> {
    const targets = names === undefined ? [...this.open] : names.filter((n) => this.open.has(n));
    return Promise.allSettled(targets.map((name) => fn(this.get(name))));
  }
}
