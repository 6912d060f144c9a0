/**
 * The room's logic: who is here, what they said, who may say what. It does no
 * network or thread I/O of its own: it is handed clients and their frames by the
 * room server (room-server.ts) and talks back through Client.push / Client.close
 * and the events it is given, so it can be read (and reasoned about) on its own.
 *
 * Hot path: an accepted message is cleaned and checked once, serialised once, and
 * the same encoded frame is queued on every joined client.
 */
import type { RoomAccess, RoomLimits } from '../config.js';
import {
  type ChatMessage,
  CloseCode,
  type ClientFrame,
  type ErrorFrame,
  type FrameErrorCode,
  PROTOCOL_VERSION,
  type ServerFrame,
  type UserInfo,
} from '../protocol/frames.js';
import { MODERATION_RULE, isModerator as roleModerates, mayModerate } from '../protocol/moderation-rule.js';
import type { ChatRecord, ModerationAction, RoomCache, RoomRestore } from '../protocol/room-messages.js';
import type { Client } from './client.js';
import { RoomCounters } from './counters.js';
import { History } from './history.js';
import { IdentityResolver } from './identity.js';
import { type EncodedFrame, encode } from './outbox.js';
import { parseFrame } from './parse-frame.js';
import { SlidingWindowLimiter } from './rate-limiter.js';
import { cleanText, codePoints, TermFilter } from './text.js';

export interface RoomEvents {
  /** The joined-connection count changed (already throttled to the presence interval). */
  viewers(viewers: number): void;
  /** An accepted message or a moderation act, for the master to store. */
  record?(record: ChatRecord): void;
}

const MAX_USERS_LISTED = 500;
/** Frames kept from a client whose join is still being verified. */
const MAX_EARLY_FRAMES = 20;

const isModerator = (user: UserInfo) => roleModerates(user.role);

export class Room {
  readonly createdAt = new Date();
  readonly clients = new Set<Client>();
  readonly counters = new RoomCounters();
  private readonly byUser = new Map<string, Set<Client>>();
  private readonly history: History;
  private readonly identity: IdentityResolver;
  private readonly rateLimiter: SlidingWindowLimiter;
  private readonly lastPost = new Map<string, number>();
  private readonly timeouts = new Map<string, number>();
  private readonly bans = new Set<string>();
  /** The role each user had when last seen here, so a mod cannot act on an absent host or mod. */
  private readonly knownRoles = new Map<string, UserInfo['role']>();
  private terms = new TermFilter([]);
  private termsKey = '';
  private slowSeconds = 0;
  private joined = 0;
  private messageCount = 0;
  private presenceSent = 0;
  private presenceTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  /** The encoded `users` answer while membership is unchanged (see sendUsers). */
  private usersFrame: EncodedFrame | null = null;
  private usersFrameViewers = -1;

  constructor(
    readonly name: string,
    private readonly limits: RoomLimits,
    access: RoomAccess,
    private readonly events: RoomEvents,
  ) {
    this.history = new History(limits.recoveryWindow);
    this.identity = new IdentityResolver(name, access);
    this.rateLimiter = new SlidingWindowLimiter(limits.rateLimitWindowMs);
  }

  get viewers(): number {
    return this.joined;
  }

  get chatters(): number {
    return this.byUser.size;
  }

  get messages(): number {
    return this.messageCount;
  }

  /** Rebuilds the filter only when the list changed: the master pushes it on every refresh. */
  setBlockedTerms(terms: readonly string[]): void {
    const key = terms.join('\n');
    if (key === this.termsKey) return;
    this.termsKey = key;
    this.terms = new TermFilter(terms);
  }

  // ── connection lifecycle ──────────────────────────────────────────────────────
  attach(client: Client): void {
    this.clients.add(client);
    this.counters.connections += 1;
    client.joinTimer = setTimeout(
      () => client.close(CloseCode.JOIN_TIMEOUT, 'No join in time'),
      this.limits.joinTimeoutMs,
    );
  }

  detach(client: Client): void {
    if (!this.clients.delete(client)) return;
    client.closed();
    const user = client.user;
    if (user === null) return;
    this.joined -= 1;
    const same = this.byUser.get(user.id);
    same?.delete(client);
    if (same?.size === 0) {
      this.byUser.delete(user.id);
      this.usersFrame = null;
    }
    this.presenceChanged();
  }

  /** One raw frame from a client. Never throws for anything a client can send. */
  receive(client: Client, data: string): void {
    if (client.closing) return;
    const parsed = parseFrame(data);
    if (!parsed.ok) {
      this.refuse(client, 'BAD_FRAME', parsed.message, parsed.ref);
      return;
    }
    const frame = parsed.frame;
    // A client may send right after its join, before the token is verified: keep a
    // few such frames and handle them once it has joined, in order.
    if (client.joining && frame.type !== 'join') {
      if (client.early.length < MAX_EARLY_FRAMES) client.early.push(data);
      else this.refuse(client, 'NOT_JOINED', 'Wait for the welcome before sending more', refOf(frame));
      return;
    }
    if (frame.type === 'join') {
      void this.join(client, frame);
      return;
    }
    const user = client.user;
    if (user === null) {
      this.refuse(client, 'NOT_JOINED', 'Send a join frame first', refOf(frame));
      return;
    }
    this.dispatch(client, user, frame);
  }

  private dispatch(client: Client, user: UserInfo, frame: Exclude<ClientFrame, { type: 'join' }>): void {
    switch (frame.type) {
      case 'message':
        return this.post(client, user, frame.text, frame.ref);
      case 'users':
        return this.sendUsers(client);
      case 'delete':
        return this.deleteMessage(client, user, frame.id);
      case 'timeout':
        return this.timeout(client, user, frame.user, frame.seconds, frame.reason);
      case 'ban':
        return this.ban(client, user, frame.user, frame.reason);
      case 'unban':
        return this.unban(client, user, frame.user);
      case 'slow':
        return this.setSlow(client, user, frame.seconds);
      case 'clear':
        return this.clear(client, user);
    }
  }

  private async join(client: Client, frame: Extract<ClientFrame, { type: 'join' }>): Promise<void> {
    if (client.user !== null || client.joining) {
      this.refuse(client, 'ALREADY_JOINED', 'This connection has already joined');
      return;
    }
    client.joining = true;
    const result = await this.identity.resolve(frame);
    client.joining = false;
    const early = client.early.splice(0);
    if (client.closing || !this.clients.has(client)) return;
    if (!result.ok) {
      client.close(CloseCode.UNAUTHORIZED, result.reason);
      return;
    }
    const user = result.user;
    if (this.bans.has(user.id)) {
      client.close(CloseCode.BANNED, 'Banned from this room');
      return;
    }
    clearTimeout(client.joinTimer);
    client.user = user;
    if (isModerator(user)) this.knownRoles.set(user.id, user.role);
    else this.knownRoles.delete(user.id);
    this.joined += 1;
    let same = this.byUser.get(user.id);
    if (same === undefined && user.role !== 'anonymous') this.byUser.set(user.id, (same = new Set()));
    if (same !== undefined && same.size === 0) this.usersFrame = null;
    same?.add(client);

    const recovery = frame.since === undefined ? undefined : this.history.since(frame.since, this.limits.historyOnJoin);
    const welcome: ServerFrame = {
      type: 'welcome',
      protocol: PROTOCOL_VERSION,
      room: this.name,
      you: user,
      history: recovery?.messages ?? this.history.recent(this.limits.historyOnJoin),
      viewers: this.joined,
      settings: {
        slow: this.slowSeconds,
        maxMessageChars: this.limits.maxMessageChars,
        moderationRule: MODERATION_RULE,
      },
    };
    if (recovery !== undefined) welcome.recovered = recovery.recovered;
    client.push(encode(welcome));
    this.presenceChanged();
    for (const data of early) this.receive(client, data);
  }

  // ── chat ──────────────────────────────────────────────────────────────────────
  private post(client: Client, user: UserInfo, rawText: string, ref: string | undefined): void {
    if (user.role === 'anonymous') return this.refuse(client, 'FORBIDDEN', 'Anonymous readers cannot post', ref);
    const now = Date.now();
    const moderator = isModerator(user);
    const timedOutUntil = this.timeouts.get(user.id);
    if (timedOutUntil !== undefined) {
      if (timedOutUntil > now)
        return this.refuse(client, 'TIMED_OUT', 'You are timed out', ref, { until: timedOutUntil });
      this.timeouts.delete(user.id);
    }
    const text = cleanText(rawText);
    if (text.length === 0) return this.refuse(client, 'EMPTY', 'The message is empty', ref);
    if (codePoints(text) > this.limits.maxMessageChars)
      return this.refuse(client, 'TOO_LONG', `A message is at most ${this.limits.maxMessageChars} characters`, ref);
    const term = this.terms.find(text);
    if (term !== null) return this.refuse(client, 'BLOCKED_TERM', 'The message contains a blocked term', ref);
    if (this.slowSeconds > 0 && !moderator) {
      const last = this.lastPost.get(user.id);
      const wait = last === undefined ? 0 : last + this.slowSeconds * 1000 - now;
      if (wait > 0)
        return this.refuse(client, 'SLOW_MODE', `Slow mode: one message per ${this.slowSeconds} s`, ref, {
          retryAfterMs: wait,
        });
    }
    const limit = moderator ? this.limits.rateLimitModMessages : this.limits.rateLimitMessages;
    const allowed = this.rateLimiter.take(user.id, limit, now);
    if (!allowed.ok)
      return this.refuse(client, 'RATE_LIMITED', 'Too many messages; wait a moment', ref, {
        retryAfterMs: allowed.retryAfterMs,
      });
    if (this.slowSeconds > 0) this.lastPost.set(user.id, now);

    const message: ChatMessage = { type: 'message', id: this.history.nextId(), ts: now, user, text };
    this.history.add(message);
    this.events.record?.({ kind: 'message', message });
    this.messageCount += 1;
    this.counters.accepted += 1;
    if (ref !== undefined) client.push(encode({ type: 'ack', ref, id: message.id }));
    this.broadcast(message);
  }

  /** Serialises once and queues the same frame on every joined client. */
  broadcast(frame: ServerFrame): number {
    const encoded = encode(frame);
    let delivered = 0;
    for (const client of this.clients) {
      if (client.user !== null) {
        client.push(encoded);
        delivered += 1;
      }
    }
    this.counters.deliveries += delivered;
    return delivered;
  }

  systemMessage(text: string, ts: number): number {
    return this.broadcast({ type: 'system', text, ts });
  }

  /**
   * The users list is encoded once and kept until someone arrives or leaves, so
   * clients asking for it over and over cost the room a push each, not a rebuild.
   */
  private sendUsers(client: Client): void {
    if (this.usersFrame === null || this.usersFrameViewers !== this.joined) {
      const users: UserInfo[] = [];
      for (const same of this.byUser.values()) {
        const first = same.values().next().value;
        if (first?.user) users.push(first.user);
        if (users.length >= MAX_USERS_LISTED) break;
      }
      this.usersFrame = encode({ type: 'users', viewers: this.joined, users });
      this.usersFrameViewers = this.joined;
    }
    client.push(this.usersFrame);
  }

  // ── moderation ────────────────────────────────────────────────────────────────
  /** Whether `actor` may act on a user with `targetRole`: nobody on a host, mods not on mods. */
  private mayModerate(client: Client, actor: UserInfo, targetRole: UserInfo['role'] | undefined): boolean {
    if (!isModerator(actor)) {
      this.refuse(client, 'FORBIDDEN', 'Only moderators and hosts may do this');
      return false;
    }
    if (!mayModerate(actor.role, targetRole)) {
      this.refuse(client, 'FORBIDDEN', `A ${actor.role} cannot moderate a ${targetRole}`);
      return false;
    }
    return true;
  }

  private roleOf(userId: string): UserInfo['role'] | undefined {
    const same = this.byUser.get(userId);
    return same?.values().next().value?.user?.role ?? this.knownRoles.get(userId);
  }

  private deleteMessage(client: Client, actor: UserInfo, id: number): void {
    if (!isModerator(actor)) return this.refuse(client, 'FORBIDDEN', 'Only moderators and hosts may do this');
    const entry = this.history.find(id);
    if (entry === undefined || entry.deleted) return this.refuse(client, 'NOT_FOUND', `No message ${id} in this room`);
    // Anyone who may moderate may delete their own lines.
    const own = entry.message.user.id === actor.id;
    if (!own && !this.mayModerate(client, actor, entry.message.user.role)) return;
    this.history.markDeleted(id);
    this.record(actor, 'delete', entry.message.user.id, { messageId: id });
    this.broadcast({ type: 'deleted', id });
  }

  private timeout(client: Client, actor: UserInfo, userId: string, seconds: number, reason = ''): void {
    if (!this.mayModerate(client, actor, this.roleOf(userId))) return;
    const until = Date.now() + seconds * 1000;
    this.timeouts.set(userId, until);
    this.record(actor, 'timeout', userId, { seconds, reason });
    this.broadcast({ type: 'timeout', user: userId, until });
  }

  private ban(client: Client, actor: UserInfo, userId: string, reason = ''): void {
    if (!this.mayModerate(client, actor, this.roleOf(userId))) return;
    this.record(actor, 'ban', userId, { reason });
    this.applyBan(userId);
  }

  /** Bans a user: every connection of theirs closes with 4003, and they cannot rejoin. */
  applyBan(userId: string): number {
    this.bans.add(userId);
    this.broadcast({ type: 'ban', user: userId });
    return this.closeUser(userId, CloseCode.BANNED, 'Banned from this room');
  }

  private unban(client: Client, actor: UserInfo, userId: string): void {
    if (!this.mayModerate(client, actor, undefined)) return;
    this.bans.delete(userId);
    this.timeouts.delete(userId);
    this.record(actor, 'unban', userId);
  }

  private setSlow(client: Client, actor: UserInfo, seconds: number): void {
    if (!this.mayModerate(client, actor, undefined)) return;
    this.slowSeconds = seconds;
    this.lastPost.clear();
    this.record(actor, 'slow', null, { seconds });
    this.broadcast({ type: 'settings', slow: seconds });
  }

  private clear(client: Client, actor: UserInfo): void {
    if (!this.mayModerate(client, actor, undefined)) return;
    this.history.clear();
    this.record(actor, 'clear', null, { messageId: this.history.latestId });
    this.broadcast({ type: 'cleared' });
  }

  /** Closes every connection of a user (kick 4004, ban 4003); returns how many. */
  closeUser(userId: string, code: number, reason: string): number {
    const same = this.byUser.get(userId);
    if (same === undefined) return 0;
    let closed = 0;
    for (const client of same) {
      client.close(code, reason);
      closed += 1;
    }
    return closed;
  }

  /** Closes every connection (room closing or server stopping); returns how many. */
  closeAll(code: number, reason: string): number {
    let closed = 0;
    for (const client of this.clients) {
      client.close(code, reason);
      closed += 1;
    }
    return closed;
  }

  // ── stored state (the master's store, through its cache and transcripts) ──────
  /** Continues a room from the store: ids, recovery window, settings, bans and terms. */
  restore(state: RoomRestore): void {
    this.history.restore(state.window, state.lastId);
    this.slowSeconds = state.settings.slow;
    this.applyCache(state.cache);
  }

  /** Replaces bans and terms with the master's; a banned user's open connections close at once. */
  applyCache(cache: RoomCache): void {
    this.bans.clear();
    for (const user of cache.bans) this.bans.add(user);
    this.setBlockedTerms(cache.terms);
    for (const user of this.bans) {
      if (!this.byUser.has(user)) continue;
      this.broadcast({ type: 'ban', user });
      this.closeUser(user, CloseCode.BANNED, 'Banned from this room');
    }
  }

  private record(
    by: UserInfo,
    action: ModerationAction,
    target: string | null,
    extra: { messageId?: number; seconds?: number; reason?: string } = {},
  ): void {
    this.events.record?.({
      kind: 'moderation',
      action,
      by,
      target,
      messageId: extra.messageId ?? null,
      seconds: extra.seconds ?? null,
      reason: extra.reason ?? '',
      at: Date.now(),
    });
  }

  // ── refusals and presence ─────────────────────────────────────────────────────
  private refuse(
    client: Client,
    code: FrameErrorCode,
    message: string,
    ref?: string,
    extra?: { retryAfterMs?: number; until?: number },
  ): void {
    const frame: ErrorFrame = { type: 'error', code, message };
    if (ref !== undefined) frame.ref = ref;
    if (extra?.retryAfterMs !== undefined) frame.retryAfterMs = extra.retryAfterMs;
    if (extra?.until !== undefined) frame.until = extra.until;
    client.push(encode(frame));
    this.counters.refuse(code);
    if (client.refused(code === 'BAD_FRAME', Date.now()))
      client.close(CloseCode.TOO_MANY_REFUSALS, 'Too many refused frames');
  }

  /**
   * Presence goes out at most once per interval and only when the count changed,
   * so a thousand joins in one second cost each viewer one frame, not a thousand.
   */
  private presenceChanged(): void {
    if (this.presenceTimer !== undefined || this.stopped) return;
    this.presenceTimer = setTimeout(() => {
      this.presenceTimer = undefined;
      if (this.joined === this.presenceSent) return;
      this.presenceSent = this.joined;
      this.broadcast({ type: 'presence', viewers: this.joined });
      this.events.viewers(this.joined);
    }, this.limits.presenceIntervalMs);
  }

  /** Periodic upkeep: forget rate-limit and timeout entries that no longer matter. */
  sweep(now: number): void {
    this.rateLimiter.sweep(now);
    for (const [user, until] of this.timeouts) if (until <= now) this.timeouts.delete(user);
    const slowMs = this.slowSeconds * 1000;
    for (const [user, at] of this.lastPost) if (at <= now - slowMs) this.lastPost.delete(user);
  }

  stopTimers(): void {
    this.stopped = true;
    clearTimeout(this.presenceTimer);
    this.presenceTimer = undefined;
  }
}

function refOf(frame: ClientFrame): string | undefined {
  return frame.type === 'message' ? frame.ref : undefined;
}
