/**
 * A room: joins, dispatches, records and broadcasts. What it decides with lives
 * in small models with their own state (members.ts, message-policy.ts,
 * moderation.ts, history.ts); ids and durability come from an engine
 * (engine.ts); time from a clock (clock.ts). It does no network or thread I/O of
 * its own: the room server hands it clients and their frames, and it talks back
 * through Client.push / Client.close and the events it is given.
 *
 * Hot path: an accepted message is checked once, serialised once, and the same
 * encoded frame is queued on every joined client. The sender's ack waits until
 * the engine says the message is durable.
 */
import type { RoomAccess, RoomLimits } from '../config.js';
import {
  type ChatMessage,
  CloseCode,
  type ClientFrame,
  type ServerFrame,
  type UserInfo,
  type WelcomeSettings,
} from '../protocol/frames.js';
import type { ModerationAction, RoomCache, RoomRestore } from '../protocol/room-messages.js';
import { PendingAcks } from './acks.js';
import type { Client } from './client.js';
import { type Clock, realClock } from './clock.js';
import { RoomCounters } from './counters.js';
import type { Availability, Engine, EngineRefusal, PostOrigin } from './engine.js';
import { type ExtraFrame, type ExtrasEvents, RoomExtras } from './extras.js';
import { History } from './history.js';
import { withRejoinWindow } from './join-admission.js';
import { JoinIdentity } from './join-identity.js';
import { type ActExtra, actRecord, decideAct } from './moderation-frames.js';
import { type ActHost, applyAct } from './act-applier.js';
import { isModesFrame, RoomModes } from './room-modes.js';
import { Members } from './members.js';
import { MessagePolicy } from './message-policy.js';
import { Moderation } from './moderation.js';
import { encode } from './outbox.js';
import { parseFrame } from './parse-frame.js';
import { encodeWelcome, RecoveryCache, type WelcomeFields } from './recovery-cache.js';
import { WelcomeSettingsMemo } from './welcome-settings.js';
import { type Refuse, refuseFrame } from './refusal.js';
import { RoomAdmin } from './room-admin.js';

export interface RoomEvents extends ExtrasEvents {
  /** The joined-connection count on this copy changed (already throttled to the presence interval). */
  viewers(viewers: number): void;
  /** Another copy announced that the room closes (cluster): this copy should close too. */
  closing?(reason: string): void;
}

type PresenceFrame = Extract<ServerFrame, { type: 'presence' }>;
type RoomFrame = Exclude<ClientFrame, { type: 'join' | 'message' | 'users' } | ExtraFrame>;
const EXTRA_FRAMES: ReadonlySet<string> = new Set(['announce', 'pin', 'unpin', 'tip']);

export class Room {
  readonly createdAt: Date;
  readonly counters = new RoomCounters();
  readonly members: Members;
  readonly moderation: Moderation;
  private readonly policy: MessagePolicy;
  /** Chat modes at work: settings and shield frames, warnings, review, chat delay. */
  private readonly modes: RoomModes;
  private readonly history: History;
  private readonly joinIdentity: JoinIdentity;
  private readonly acks = new PendingAcks();
  /** Tells a client why its frame was refused, counts it, and closes one refused too often (refusal.ts). */
  private readonly refuse: Refuse = (client, code, message, ref, extra) =>
    refuseFrame(client, this.counters, code, message, ref, extra);
  /** Replies, announcements, the pin and paid messages (the worker hands it the master's debit answers). */
  readonly extras: RoomExtras;
  /** What joins are welcomed with, shared by joins asking the same while the history is unchanged (src/room/recovery-cache.ts). */
  readonly recoveries: RecoveryCache;
  private readonly welcomeSettings: WelcomeSettingsMemo;
  /** The admin API's operations on the room, and the controls every copy carries out (room-admin.ts). */
  readonly admin: RoomAdmin;
  /** What applying a moderation act uses of the room (act-applier.ts). */
  private readonly actHost: ActHost;

  constructor(
    readonly name: string,
    private readonly limits: RoomLimits,
    access: RoomAccess,
    private readonly engine: Engine,
    events: RoomEvents,
    readonly clock: Clock = realClock,
  ) {
    this.createdAt = new Date(clock.now());
    this.history = new History(limits.recoveryWindow);
    this.recoveries = new RecoveryCache(this.history, limits.historyOnJoin);
    this.moderation = new Moderation(clock);
    this.policy = new MessagePolicy(limits, clock, this.moderation, () => this.available(), engine.sharedLimits);
    this.members = new Members(
      clock,
      limits.presenceIntervalMs,
      (viewers) => {
        // With the rejoin window of the room's size now: a member's next drop is spread over it.
        const presence: PresenceFrame = { type: 'presence', viewers: viewers + engine.viewersElsewhere() };
        this.broadcast(withRejoinWindow(presence, viewers, limits.joinRatePerS));
        events.viewers(viewers);
      },
      () => engine.viewersElsewhere(),
    );
    this.joinIdentity = new JoinIdentity(name, access, this.moderation, this.members);
    this.modes = new RoomModes(
      {
        members: this.members,
        moderation: this.moderation,
        clock,
        record: (client, by, action, target, extra) => this.record(client, by, action, target, extra),
        refuse: (client, code, message, ref) => this.refuse(client, code, message, ref),
        announce: (control) => engine.announce(control),
        publish: (draft, origin, limits) => engine.publish(draft, origin, limits),
      },
      limits,
    );
    // After the models it borrows, before the engine can hand anything over.
    this.extras = this.extrasFor(events);
    this.welcomeSettings = new WelcomeSettingsMemo(limits, this.moderation.rule);
    this.admin = new RoomAdmin({
      engine,
      members: this.members,
      modes: this.modes,
      extras: this.extras,
      clock,
      broadcast: (frame) => this.broadcast(frame),
      closeUser: (user, code, reason) => this.closeUser(user, code, reason),
      closing: (reason) => events.closing?.(reason),
    });
    this.actHost = {
      moderation: this.moderation,
      history: this.history,
      modes: this.modes,
      extras: this.extras,
      policy: this.policy,
      broadcast: (frame) => this.broadcast(frame),
      banned: (user) => this.banned(user),
    };
    engine.start({
      message: this.deliver,
      refused: (origin, refusal) => this.refusedByEngine(origin, refusal),
      act: (record, seq) => applyAct(this.actHost, record, seq),
      control: (control) => this.admin.apply(control),
      durable: (through) => this.acks.release(through),
      elsewhere: () => this.members.presenceChanged(),
      viewersHere: () => this.members.viewers,
      usersHere: () => this.members.usersHere(),
      lost: (nextId) => this.history.lostBefore(nextId),
    });
  }

  /** Joined connections in the whole room: this copy's and, in a cluster, the other copies'. */
  get viewers(): number {
    return this.members.viewers + this.engine.viewersElsewhere();
  }

  /** Joined connections on this copy. */
  get localViewers(): number {
    return this.members.viewers;
  }

  get chatters(): number {
    return this.members.chatters;
  }

  get messages(): number {
    return this.counters.accepted;
  }

  /** What the room enforces now: sent in every welcome and in the admin stats (one object until the modes change). */
  get settings(): Readonly<WelcomeSettings> {
    return this.welcomeSettings.of(this.moderation.modes.current);
  }

  /** Every attached connection, joined or not. */
  get clients(): ReadonlySet<Client> {
    return this.members.clients;
  }

  // ── connection lifecycle ──────────────────────────────────────────────────────
  attach(client: Client): void {
    this.members.add(client);
    this.counters.connections += 1;
  }

  /** The client's transport has ended. */
  detach(client: Client): void {
    client.ended();
    this.members.remove(client);
  }

  /** One raw frame from a client. Never throws for anything a client can send. */
  receive(client: Client, data: string): void {
    const state = client.state;
    if (state === 'closing' || state === 'closed') return;
    const parsed = parseFrame(data);
    if (!parsed.ok) return this.refuse(client, 'BAD_FRAME', parsed.message, parsed.ref);
    const frame = parsed.frame;
    if (frame.type === 'join') return void this.join(client, frame);
    // A client may send right after its join, before the token is verified: the
    // client keeps a few such frames, handled once it has joined, in order.
    if (state === 'joining') {
      if (!client.keepEarly(data))
        this.refuse(client, 'NOT_JOINED', 'Wait for the welcome before sending more', refOf(frame));
      return;
    }
    const user = client.user;
    if (state !== 'joined' || user === null)
      return this.refuse(client, 'NOT_JOINED', 'Send a join frame first', refOf(frame));
    if (frame.type === 'message') return this.extras.message(client, user, frame);
    if (frame.type === 'users')
      return client.push(this.members.usersFrame(this.engine.usersElsewhere(), this.engine.viewersElsewhere()));
    if (EXTRA_FRAMES.has(frame.type)) return this.extras.receive(client, user, frame as ExtraFrame);
    this.moderate(client, user, frame as RoomFrame);
  }

  private async join(client: Client, frame: Extract<ClientFrame, { type: 'join' }>): Promise<void> {
    if (!client.beginJoin()) return this.refuse(client, 'ALREADY_JOINED', 'This connection has already joined');
    const result = await this.joinIdentity.admit(client, frame);
    if (client.state !== 'joining') return; // closed meanwhile
    if (!result.ok) {
      if ('close' in result)
        return client.close(result.close === 'banned' ? CloseCode.BANNED : CloseCode.UNAUTHORIZED, result.reason);
      client.joinRefused();
      return this.refuse(client, result.code, result.message);
    }
    const user = result.user;
    const early = client.joined(user, result.standing);
    this.members.joined(client, user);
    this.joinIdentity.joined(user);

    // The history (a recovery with `since`, else the recent messages) is built once for all who ask the same meanwhile.
    const history = this.modes.withoutDelayed(this.recoveries.answer(frame.since), user);
    const pinned = this.extras.pinned;
    const fields: WelcomeFields = { room: this.name, you: user, viewers: this.viewers, settings: this.settings };
    if (pinned !== null) fields.pinned = pinned;
    if (result.guestToken !== undefined) fields.guestToken = result.guestToken;
    withRejoinWindow(fields, this.members.viewers, this.limits.joinRatePerS);
    client.push(encodeWelcome(fields, history));
    this.modes.joined(client, user);
    for (const data of early) this.receive(client, data);
  }

  /** The messages after `since`, as a join with `since` gets them (an HTTP member's stream resuming at Last-Event-ID). */
  recover(since: number): ChatMessage[] {
    return this.history.since(since, this.limits.historyOnJoin).messages;
  }

  // ── chat ──────────────────────────────────────────────────────────────────────
  private available(): Availability {
    if (this.acks.full)
      return {
        ok: false,
        message: 'Too many messages are waiting to be stored; try again shortly',
        retryAfterMs: 1000,
      };
    return this.engine.available();
  }

  /** What the extras (replies, announcements, pins, tips: extras.ts) may use of the room. */
  private extrasFor(events: ExtrasEvents): RoomExtras {
    const { name, clock, history, moderation, members, policy } = this;
    // Held for review sits between the policy and the engine; a paid message is not held (it is shown as paid).
    const engine: Pick<Engine, 'publish' | 'announce'> = {
      publish: (draft, origin, limits) => {
        if (origin.tip === undefined && this.modes.hold(draft, origin, limits)) return;
        this.engine.publish(draft, origin, limits);
      },
      announce: (control) => this.engine.announce(control),
    };
    const host = { name, clock, history, moderation, members, policy, engine, tipLimits: this.limits.tips };
    return new RoomExtras(
      {
        ...host,
        available: () => this.available(),
        broadcast: (f) => this.broadcast(f),
        refuse: this.refuse,
      },
      events,
    );
  }

  /**
   * A message in the room's order, with its id: into history, out to everyone
   * here; the sender's ack (when it was posted on this copy) once it is durable.
   */
  private readonly deliver = (message: ChatMessage, seq: number, origin: PostOrigin | undefined): void => {
    if (message.id <= this.history.latestId) return; // already here (a copy replaying the shared log)
    this.history.add(message);
    this.counters.accepted += 1;
    if (origin?.ref !== undefined) this.acks.hold(seq, origin.client, origin.ref, message.id);
    if (!this.modes.deliver(message, (frame, to) => this.broadcast(frame, to))) this.broadcast(message);
    if (origin?.tip !== undefined) this.extras.delivered(message, origin.tip);
  };

  private refusedByEngine(origin: PostOrigin, refusal: EngineRefusal): void {
    if (origin.tip !== undefined && origin.client.user !== null) this.extras.unshown(origin.client.user, origin.tip);
    if (origin.client.state !== 'joined') return;
    this.refuse(origin.client, refusal.code, refusal.message, origin.ref, { retryAfterMs: refusal.retryAfterMs });
  }

  /** Serialises once and queues the same frame on every joined client (`to`: those of them it picks). */
  broadcast(frame: ServerFrame, to?: (client: Client) => boolean): number {
    const encoded = encode(frame);
    let delivered = 0;
    for (const client of this.members.clients) {
      if (client.isJoined && (to === undefined || to(client))) {
        client.push(encoded);
        delivered += 1;
      }
    }
    this.counters.deliveries += delivered;
    return delivered;
  }

  // ── moderation ────────────────────────────────────────────────────────────────
  private moderate(client: Client, actor: UserInfo, frame: RoomFrame): void {
    if (isModesFrame(frame)) return this.modes.handle(client, actor, frame);
    const decision = decideAct(actor, frame, {
      moderation: this.moderation,
      members: this.members,
      history: this.history,
      addressFor: (user) => this.joinIdentity.addressFor(user),
    });
    if (!decision.ok) return this.refuse(client, decision.code, decision.message);
    this.record(client, actor, decision.action, decision.target, decision.extra);
  }

  /** A user entered the ban set: everyone is told once, and every connection of theirs closes with 4003. */
  private banned(userId: string): void {
    this.broadcast({ type: 'ban', user: userId });
    this.closeUser(userId, CloseCode.BANNED, 'Banned from this room');
  }

  /** Closes every connection of a user (kick 4004, ban 4003); returns how many. */
  closeUser(userId: string, code: number, reason: string): number {
    const connections = this.members.connectionsOf(userId);
    for (const client of connections) client.close(code, reason);
    return connections.length;
  }

  /** Closes every connection (room closing or server stopping); returns how many. */
  closeAll(code: number, reason: string): number {
    const all = [...this.members.clients];
    for (const client of all) client.close(code, reason);
    return all.length;
  }

  private record(
    client: Client,
    by: UserInfo,
    action: ModerationAction,
    target: string | null,
    extra: ActExtra = {},
  ): void {
    this.engine.act(actRecord(action, by, target, extra, this.clock.now()), { client, ref: undefined });
  }

  // ── stored state (the master's store, through its cache and notices) ──────────
  /** Continues a room from the store: recovery window, settings, bans and terms (ids: the engine). */
  restore(state: RoomRestore): void {
    this.history.restore(state.window, state.lastId);
    this.moderation.modes.apply(state.settings);
    this.extras.restore(state.pin);
    this.applyCache(state.cache);
  }

  /**
   * Takes the master's bans and terms. Only a user who enters the ban set here is
   * announced (when present) and closed; a list that already holds a ban sends nothing.
   */
  applyCache(cache: RoomCache): void {
    this.policy.setBlockedTerms(cache.terms);
    this.modes.setReviewTerms(cache.reviewTerms ?? []);
    this.moderation.applyTimeouts(cache.timeouts ?? []);
    for (const user of this.moderation.applyCache(cache.bans, cache.through, cache.addressBans))
      if (this.members.isPresent(user)) this.banned(user);
  }

  // ── upkeep ───────────────────────────────────────────────────────
  /** Periodic upkeep: forget rate-limit and timeout entries that no longer matter. */
  sweep(): void {
    this.policy.sweep();
    this.moderation.sweep();
  }

  stopTimers(): void {
    this.members.stop();
    this.modes.stop();
    this.extras.stop();
  }
}

function refOf(frame: ClientFrame): string | undefined {
  return 'ref' in frame ? frame.ref : undefined;
}
