/**
 * The single-server engine: ids and durability as the master grants them, and
 * everything handed over comes back at once, in the same pass.
 *
 * - Ids: the room may give out ids up to the granted `through` (the master
 *   reserves them durably ahead of use, so a crash skips ids but never repeats
 *   one). With none left, posts are refused UNAVAILABLE until more are granted.
 *   Ids never go backwards; a restored room continues after its last id.
 * - Writable: while the master says the store cannot make records durable,
 *   posts are refused UNAVAILABLE with the master's retryAfterMs.
 * - Durable: every record gets its sequence number from the batcher; the
 *   master's `committed` notice says through which one the store has them.
 */
import type { ChatMessage } from '../protocol/frames.js';
import type { ChatRecord, IdGrant, ModerationRecord, Writable } from '../protocol/room-messages.js';
import {
  type Availability,
  type Control,
  type Engine,
  type EngineHandlers,
  type MessageDraft,
  NO_USERS,
  type PostOrigin,
  type UsersList,
} from './engine.js';
import { StoreGate } from './store-gate.js';

/** Where records go (RecordBatcher): `add` answers the record's sequence number. */
export interface RecordSink {
  add(record: ChatRecord): number;
}

/** How long a sender waits before trying again when the room has no id left. */
export const NO_IDS_RETRY_MS = 1_000;

export interface LocalEngineOptions {
  /** The highest id given out before (RoomRestore.lastId); the next message gets more. */
  lastId?: number;
  ids: IdGrant;
  writable: Writable;
}

export class LocalEngine implements Engine {
  readonly sharedLimits = false;
  private lastId: number;
  private idsThrough: number;
  private readonly store: StoreGate;
  private handlers: EngineHandlers | null = null;

  constructor(
    private readonly sink: RecordSink,
    options: LocalEngineOptions,
  ) {
    this.lastId = options.lastId ?? 0;
    this.idsThrough = options.ids.through;
    this.store = new StoreGate(options.writable, (through) => this.on.durable(through));
  }

  start(handlers: EngineHandlers): void {
    this.handlers = handlers;
  }

  private get on(): EngineHandlers {
    if (this.handlers === null) throw new Error('The engine was not started');
    return this.handlers;
  }

  available(): Availability {
    const refusal = this.store.refusal();
    if (refusal !== null) return refusal;
    if (this.lastId >= this.idsThrough)
      return { ok: false, message: 'The room is waiting for more message ids', retryAfterMs: NO_IDS_RETRY_MS };
    return { ok: true };
  }

  publish(draft: MessageDraft, origin: PostOrigin): void {
    // The policy asked available() in this same pass, so an id is there.
    const message: ChatMessage = { type: 'message', id: ++this.lastId, ...draft };
    const seq = this.sink.add({ kind: 'message', message });
    this.on.message(message, seq, origin);
  }

  act(record: ModerationRecord, _origin: PostOrigin): void {
    this.on.act(record, this.sink.add({ kind: 'moderation', ...record }));
  }

  announce(control: Control): void {
    this.on.control(control);
  }

  viewersElsewhere(): number {
    return 0;
  }

  usersElsewhere(): UsersList {
    return NO_USERS;
  }

  async stop(): Promise<void> {}

  // ── the master's notices ──────────────────────────────────────────────────────
  /** More ids: a grant never lowers what was granted before. */
  grantIds(ids: IdGrant): void {
    this.idsThrough = Math.max(this.idsThrough, ids.through);
  }

  setWritable(writable: Writable): void {
    this.store.setWritable(writable);
  }

  /** Every record up to `through` is in the store; a stale or repeated notice changes nothing. */
  committed(through: number): void {
    this.store.committed(through);
  }
}
