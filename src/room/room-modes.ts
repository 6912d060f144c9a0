/**
 * The room's chat modes at work: the frames that set them (`settings`, `shield`),
 * warnings (`warn`, `acknowledge`), held for review (`held` / `review`, `allow` /
 * `deny`) and chat delay. It keeps what only these need (the review queue and
 * its terms, the delayed deliveries); the modes themselves are the moderation
 * state's (ChatModesState), and everything that changes them or is logged goes
 * through the room's acts, so every copy of the room applies it in the same order.
 */
import { randomBytes } from 'node:crypto';
import type { RoomLimits } from '../config.js';
import type {
  ChatMessage,
  ChatModes,
  FrameErrorCode,
  ReviewDecisionFrame,
  ServerFrame,
  SettingsFrame,
  ShieldFrame,
  UserInfo,
  WarnFrame,
} from '../protocol/frames.js';
import type { ModerationAction, ModerationRecord, RoomSettings } from '../protocol/room-messages.js';
import { ChatDelay } from './chat-delay.js';
import { fullModes, type ModesPatch } from './chat-modes.js';
import type { Client } from './client.js';
import type { Clock } from './clock.js';
import type { Control, MessageDraft, PostLimits, PostOrigin } from './engine.js';
import type { Members } from './members.js';
import type { Moderation } from './moderation.js';
import { encode } from './outbox.js';
import { actRecord } from './moderation-frames.js';
import type { SharedHistory } from './recovery-cache.js';
import { type HeldMessage, ReviewQueue } from './review-queue.js';
import { TermFilter } from './text.js';

/** What the room lends: its members and moderation state, and its ways to act, refuse and send. */
export interface ModesHost {
  readonly members: Members;
  readonly moderation: Moderation;
  readonly clock: Clock;
  record(
    client: Client,
    by: UserInfo,
    action: ModerationAction,
    target: string | null,
    extra?: { reason?: string; settings?: RoomSettings; reviewId?: string },
  ): void;
  refuse(client: Client, code: FrameErrorCode, message: string, ref?: string): void;
  announce(control: Control): void;
  publish(draft: MessageDraft, origin: PostOrigin, limits: PostLimits): void;
}

export type ModesFrame = SettingsFrame | ShieldFrame | WarnFrame | ReviewDecisionFrame | { type: 'acknowledge' };

const MODES_FRAMES: ReadonlySet<string> = new Set(['settings', 'shield', 'warn', 'acknowledge', 'allow', 'deny']);

export function isModesFrame(frame: { type: string }): frame is ModesFrame {
  return MODES_FRAMES.has(frame.type);
}

/** A held message's draft, kept on the copy it was posted on until a decision. */
interface HeldDraft {
  draft: MessageDraft;
  origin: PostOrigin;
  limits: PostLimits;
}

export class RoomModes {
  private readonly queue: ReviewQueue<HeldDraft>;
  private readonly delay: ChatDelay;
  /** Drafts held on this copy, waiting for their announcement to come back (then kept in the queue). */
  private readonly drafts = new Map<string, HeldDraft>();
  private reviewTerms = new TermFilter([]);
  private reviewTermsKey = '';

  constructor(
    private readonly host: ModesHost,
    private readonly limits: RoomLimits,
  ) {
    this.queue = new ReviewQueue<HeldDraft>(host.clock, (message) => {
      this.drafts.delete(message.id);
      this.toModerators({ type: 'reviewed', id: message.id, allowed: false, by: null });
    });
    this.delay = new ChatDelay(host.clock);
  }

  setReviewTerms(terms: readonly string[]): void {
    const key = terms.join('\n');
    if (key === this.reviewTermsKey) return;
    this.reviewTermsKey = key;
    this.reviewTerms = new TermFilter(terms);
  }

  // ── frames from mods and users ────────────────────────────────────────────────
  handle(client: Client, actor: UserInfo, frame: ModesFrame): void {
    const { moderation, members } = this.host;
    if (frame.type === 'acknowledge') {
      if (moderation.warning(actor.id) === undefined) return;
      return this.host.record(client, actor, 'acknowledge', actor.id);
    }
    const target = frame.type === 'warn' ? members.roleOf(frame.user) : undefined;
    const refusal = moderation.refusal(actor.role, target);
    if (refusal !== null) return this.host.refuse(client, 'FORBIDDEN', refusal);
    switch (frame.type) {
      case 'settings': {
        const { type: _type, ...patch } = frame;
        return this.host.record(client, actor, 'settings', null, { settings: moderation.modes.patched(patch) });
      }
      case 'shield':
        return this.host.record(client, actor, 'settings', null, {
          settings: this.shielded(frame.on),
          reason: frame.on ? 'shield on' : 'shield off',
        });
      case 'warn':
        return this.host.record(client, actor, 'warn', frame.user, { reason: frame.reason ?? '' });
      case 'allow':
      case 'deny': {
        const held = this.queue.list().find((m) => m.id === frame.id);
        if (held === undefined)
          return this.host.refuse(client, 'NOT_FOUND', `No held message ${frame.id.slice(0, 40)} in this room`);
        return this.host.record(client, actor, frame.type, held.user.id, { reason: held.reason, reviewId: held.id });
      }
    }
  }

  /** The settings shield mode on or off makes (SHIELD_PRESET over the current modes, or the modes before it). */
  shielded(on: boolean): RoomSettings {
    return this.host.moderation.modes.shielded(on, this.limits.shieldPreset);
  }

  /**
   * The admin API's change as an act by `admin`: shield mode on or off first when
   * asked, the patch over that. Answers the record and the modes it makes.
   */
  adminAct(patch: ModesPatch, shield: boolean | undefined, at: number): { record: ModerationRecord; modes: ChatModes } {
    const base = shield === undefined ? this.host.moderation.modes.settings : this.shielded(shield);
    const settings: RoomSettings = { ...base, ...patch };
    const reason = shield === undefined ? '' : shield ? 'shield on' : 'shield off';
    const admin = { id: 'admin', name: 'admin', role: 'admin' as const };
    return { record: actRecord('settings', admin, null, { reason, settings }, at), modes: fullModes(settings) };
  }

  // ── posting ───────────────────────────────────────────────────────────────────
  /**
   * An accepted post that review holds: the sender is told `held` and the room's
   * copies are told of it (each shows it to its mods). False when it goes out as usual.
   */
  hold(draft: MessageDraft, origin: PostOrigin, limits: PostLimits): boolean {
    const reason = this.holdReason(draft.user, draft.text);
    if (reason === null) return false;
    const message: HeldMessage = { id: randomBytes(9).toString('base64url'), ...draft, reason };
    // Decided on later, so slow mode has had its say: only the rate limit applies again.
    this.drafts.set(message.id, { draft, origin, limits: { ...limits, slowMs: 0 } });
    const held: ServerFrame = origin.ref === undefined ? { type: 'held' } : { type: 'held', ref: origin.ref };
    origin.client.push(encode(held));
    this.host.announce({ kind: 'held', message });
    return true;
  }

  private holdReason(user: UserInfo, text: string): string | null {
    const review = this.host.moderation.modes.current.review;
    if (review === false || this.host.moderation.isModerator(user.role)) return null;
    const term = this.reviewTerms.find(text);
    if (term !== null) return `review term "${term}"`;
    if (review === 'guests' && user.role === 'guest') return 'guests are held for review';
    return null;
  }

  /** A held message announced by a copy of the room (this one too): queued, and shown to the mods here. */
  heldAnnounced(message: HeldMessage): void {
    if (this.queue.list().some((m) => m.id === message.id)) return;
    this.queue.hold(message, this.drafts.get(message.id));
    this.drafts.delete(message.id);
    this.toModerators(reviewFrame(message));
  }

  // ── acts in the room's order ──────────────────────────────────────────────────
  /** Applies warn, acknowledge, allow and deny; false for other acts. */
  apply(act: ModerationRecord): boolean {
    const { moderation, members } = this.host;
    switch (act.action) {
      case 'warn': {
        if (act.target === null) return true;
        moderation.warn(act.target, act.reason);
        const warned = encode({ type: 'warned', reason: act.reason });
        for (const client of members.connectionsOf(act.target)) client.push(warned);
        return true;
      }
      case 'acknowledge':
        if (act.target !== null) moderation.acknowledge(act.target);
        return true;
      case 'allow':
      case 'deny': {
        const taken = act.reviewId === undefined ? undefined : this.queue.take(act.reviewId);
        if (taken === undefined) return true; // decided already, or dropped
        const allowed = act.action === 'allow';
        this.toModerators({ type: 'reviewed', id: taken.message.id, allowed, by: act.by.id });
        // Only the copy it was posted on publishes it, so it reaches everyone once.
        if (allowed && taken.draft !== undefined) {
          const { draft, origin, limits } = taken.draft;
          this.host.publish({ ...draft, ts: this.host.clock.now() }, origin, limits);
        }
        return true;
      }
      default:
        return false;
    }
  }

  // ── delivery ──────────────────────────────────────────────────────────────────
  /**
   * Chat delay: a non-mod's message goes to mods, hosts and its author at once
   * and to everyone else `chatDelay` seconds later, unless deleted meanwhile.
   * False when there is no delay for it (the room broadcasts it as usual).
   */
  deliver(message: ChatMessage, send: (frame: ChatMessage, to: (client: Client) => boolean) => void): boolean {
    const seconds = this.host.moderation.modes.current.chatDelay;
    if (seconds <= 0 || this.host.moderation.isModerator(message.user.role)) return false;
    const early = (client: Client) => this.seesAtOnce(client, message.user.id);
    send(message, early);
    this.delay.hold(message.id, seconds * 1000, () => send(message, (client) => !early(client)));
    return true;
  }

  private seesAtOnce(client: Client, authorId: string): boolean {
    const user = client.user;
    return user !== null && (user.id === authorId || this.host.moderation.isModerator(user.role));
  }

  /** A welcome's history for `user`: a viewer joining during a chat delay does not see what the others still wait for. */
  withoutDelayed(history: SharedHistory, user: UserInfo): SharedHistory {
    if (!this.delay.anyPending || this.host.moderation.isModerator(user.role)) return history;
    const messages = (JSON.parse(history.json) as ChatMessage[]).filter((m) => !this.delay.isPending(m.id));
    const json = JSON.stringify(messages);
    return { recovered: history.recovered, json, bytes: Buffer.byteLength(json) };
  }

  deleted(id: number): void {
    this.delay.drop(id);
  }

  cleared(throughId: number): void {
    this.delay.dropThrough(throughId);
  }

  // ── joining ───────────────────────────────────────────────────────────────────
  /** A mod or host joined: they are shown what is waiting for review; a warned user their warning. */
  joined(client: Client, user: UserInfo): void {
    if (this.host.moderation.isModerator(user.role))
      for (const message of this.queue.list()) client.push(encode(reviewFrame(message)));
    const warning = this.host.moderation.warning(user.id);
    if (warning !== undefined) client.push(encode({ type: 'warned', reason: warning }));
  }

  private toModerators(frame: ServerFrame): void {
    const encoded = encode(frame);
    for (const client of this.host.members.clients) {
      const role = client.user?.role;
      if (client.isJoined && role !== undefined && this.host.moderation.isModerator(role)) client.push(encoded);
    }
  }

  stop(): void {
    this.queue.stop();
    this.delay.stop();
  }
}

function reviewFrame(message: HeldMessage): ServerFrame {
  return {
    type: 'review',
    id: message.id,
    user: message.user,
    text: message.text,
    reason: message.reason,
    ts: message.ts,
  };
}
