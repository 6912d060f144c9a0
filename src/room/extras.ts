/**
 * Replies, /me, announcements, the pinned message and paid messages: the frames
 * beyond plain chat, checked here and then handed back to the room's own post
 * path, so they obey the same policy (rate, slow mode, terms) and reach every
 * copy of the room the same way a message does. What a message carries (reply,
 * mentions, action, announcement, tip) rides inside the message record; a pin is
 * a control (engine.announce), applied on every copy.
 *
 * The pin and the tips waiting for the credit service are owned here (Pins,
 * TipDesk); the room owns everything else and lends it through ExtrasHost.
 */
import type { TipLimits } from '../config.js';
import type {
  AnnounceFrame,
  ChatMessage,
  MessageExtras,
  MessageFrame,
  PinFrame,
  ServerFrame,
  TipFrame,
  UserInfo,
} from '../protocol/frames.js';
import type { DebitAnswer, DebitRequest } from '../protocol/room-messages.js';
import type { StoredPin, TipRecord } from '../store/store.js';
import type { Client } from './client.js';
import type { Clock } from './clock.js';
import type { Availability, Control, Engine, PaidOrigin, PostOrigin } from './engine.js';
import type { History } from './history.js';
import type { Refuse } from './refusal.js';
import { mentionsIn } from './mentions.js';
import type { Members } from './members.js';
import type { MessagePolicy, PostVerdict } from './message-policy.js';
import { type Moderation, ONLY_MODERATORS } from './moderation.js';
import { encode } from './outbox.js';
import { Pins } from './pins.js';
import { replyParent } from './replies.js';
import { TipDesk, tipPinMs } from './tips.js';

/** What the room lends its extras: its models (read and asked, never replaced) and its ways out. */
export interface ExtrasHost {
  readonly name: string;
  readonly clock: Clock;
  readonly history: History;
  readonly moderation: Pick<Moderation, 'isModerator'>;
  readonly members: Pick<Members, 'presentUsers'>;
  readonly policy: Pick<MessagePolicy, 'check'>;
  readonly engine: Pick<Engine, 'publish' | 'announce'>;
  readonly tipLimits: TipLimits | undefined;
  available(): Availability;
  broadcast(frame: ServerFrame): void;
  refuse: Refuse;
}

type Accepted = Extract<PostVerdict, { ok: true }>;

/** Where the room's extras report to its master (RoomEvents). */
export interface ExtrasEvents {
  debit?(request: DebitRequest): void;
  tipped?(tip: TipRecord): void;
  pinned?(pin: StoredPin | null): void;
}

export type ExtraFrame = AnnounceFrame | PinFrame | { type: 'unpin' } | TipFrame;

const NOT_ENABLED = 'Paid messages are not enabled on this server';

export class RoomExtras {
  private readonly pins: Pins;
  private readonly tips: TipDesk;

  constructor(
    private readonly host: ExtrasHost,
    private readonly events: ExtrasEvents,
  ) {
    this.pins = new Pins(host.clock, () => host.broadcast({ type: 'unpinned' }));
    this.tips = new TipDesk(host.name, (request) => events.debit?.(request));
  }

  /** The pin in force, for the welcome. */
  get pinned(): StoredPin | null {
    return this.pins.current;
  }

  /** A chat message: a reply quotes its parent (which must be in the room and not deleted); `/me` is an action. */
  message(client: Client, user: UserInfo, frame: MessageFrame): void {
    const extras: MessageExtras = {};
    if (frame.replyTo !== undefined) {
      const parent = replyParent(this.host.history, frame.replyTo);
      if (parent === undefined)
        return this.host.refuse(client, 'NOT_FOUND', `No message ${frame.replyTo} in this room to reply to`, frame.ref);
      extras.reply = parent;
    }
    if (frame.action === true) extras.action = true;
    this.post(client, user, frame.text, frame.ref, extras);
  }

  /** Posts with the mentions of the accepted text. */
  post(client: Client, user: UserInfo, text: string, ref: string | undefined, extras: MessageExtras): void {
    const verdict = this.accept(client, user, text, ref);
    if (verdict === null) return;
    this.publish(verdict, user, this.withMentions(verdict.text, extras), { client, ref });
  }

  /** The policy's verdict on a post; on a refusal the client has been told why. */
  private accept(client: Client, user: UserInfo, text: string, ref: string | undefined): Accepted | null {
    const verdict = this.host.policy.check(user, text, client.standing);
    if (verdict.ok) return verdict;
    this.host.refuse(client, verdict.code, verdict.message, ref, verdict);
    return null;
  }

  private publish(verdict: Accepted, user: UserInfo, extras: MessageExtras, origin: PostOrigin): void {
    this.host.engine.publish({ ts: verdict.ts, user, text: verdict.text, ...extras }, origin, verdict.limits);
  }

  private withMentions(text: string, extras: MessageExtras): MessageExtras {
    const mentions = mentionsIn(text, () => this.host.members.presentUsers());
    return mentions.length === 0 ? extras : { ...extras, mentions };
  }

  receive(client: Client, user: UserInfo, frame: ExtraFrame): void {
    if (frame.type === 'tip') return this.tip(client, user, frame);
    if (!this.host.moderation.isModerator(user.role))
      return this.host.refuse(client, 'FORBIDDEN', ONLY_MODERATORS, frame.type === 'announce' ? frame.ref : undefined);
    switch (frame.type) {
      case 'announce':
        return this.post(client, user, frame.text, frame.ref, { announcement: frame.color ?? 'primary' });
      case 'pin': {
        const entry = this.host.history.find(frame.id);
        if (entry === undefined || entry.deleted)
          return this.host.refuse(client, 'NOT_FOUND', `No message ${frame.id} in this room to pin`);
        const until = frame.seconds === undefined ? null : this.host.clock.now() + frame.seconds * 1000;
        return this.host.engine.announce({ kind: 'pin', message: entry.message, until });
      }
      case 'unpin':
        if (this.pins.current === null) return this.host.refuse(client, 'NOT_FOUND', 'No message is pinned');
        return this.host.engine.announce({ kind: 'unpin' });
    }
  }

  // ── pins (controls: every copy applies them) ──────────────────────────────────
  /** A pin or unpin in the room's order, from this copy or another. */
  control(control: Extract<Control, { kind: 'pin' | 'unpin' }>): void {
    if (control.kind === 'unpin') {
      if (this.pins.clear()) this.host.broadcast({ type: 'unpinned' });
      this.events.pinned?.(null);
      return;
    }
    if (!this.pins.set(control.message, control.until)) return;
    this.host.broadcast({ type: 'pinned', message: control.message, until: control.until });
    this.events.pinned?.({ message: control.message, until: control.until });
  }

  /** The pin the room had before it restarted (an expired one is dropped). */
  restore(pin: StoredPin | undefined): void {
    if (pin !== undefined) this.pins.set(pin.message, pin.until);
  }

  /** A deleted message that was pinned is unpinned on every copy (each applies the same delete). */
  deleted(id: number): void {
    if (!this.pins.holds(id)) return;
    this.pins.clear();
    this.host.broadcast({ type: 'unpinned' });
    this.events.pinned?.(null);
  }

  // ── paid messages ─────────────────────────────────────────────────────────────
  private tip(client: Client, user: UserInfo, frame: TipFrame): void {
    const limits = this.host.tipLimits;
    if (limits === undefined) return this.host.refuse(client, 'TIP_REFUSED', NOT_ENABLED, frame.ref);
    if (user.role !== 'viewer' && user.role !== 'mod' && user.role !== 'host')
      return this.host.refuse(client, 'FORBIDDEN', 'Paid messages need a signed-in user (a join token)', frame.ref);
    if (frame.amount < limits.min || frame.amount > limits.max)
      return this.host.refuse(client, 'BAD_FRAME', `"amount" must be from ${limits.min} to ${limits.max}`, frame.ref);
    const available = this.host.available();
    if (!available.ok)
      return this.host.refuse(client, 'UNAVAILABLE', available.message, frame.ref, {
        retryAfterMs: available.retryAfterMs,
      });
    const verdict = this.accept(client, user, frame.text, frame.ref);
    if (verdict === null) return;
    const { text, limits: postLimits } = verdict;
    this.tips.request({ client, user, ref: frame.ref, amount: frame.amount, text, limits: postLimits });
  }

  /** The master's answer to a debit: only a paid one is shown, and only once. */
  debited(answer: DebitAnswer): void {
    const tip = this.tips.answered(answer);
    if (tip === undefined) return;
    const { client, ref } = tip;
    switch (answer.outcome) {
      case 'insufficient':
        return this.host.refuse(client, 'INSUFFICIENT_CREDITS', answer.reason || 'Not enough credits', ref);
      case 'refused':
        return this.host.refuse(client, 'TIP_REFUSED', answer.reason || 'The credit service refused the tip', ref);
      case 'unavailable':
        return this.host.refuse(client, 'UNAVAILABLE', answer.reason, ref, { retryAfterMs: answer.retryAfterMs });
      case 'duplicate':
        // Paid and shown before: the sender learns its id; nobody sees it twice.
        return client.push(encode({ type: 'ack', ref, id: answer.messageId }));
      case 'paid': {
        const paid: PaidOrigin = { key: tip.key, amount: tip.amount, status: answer.status };
        const available = this.host.available();
        if (!available.ok) {
          // Paid but not shown: the same ref again shows it, and the service charges it once.
          this.unshown(tip.user, paid);
          return this.host.refuse(client, 'UNAVAILABLE', available.message, ref, {
            retryAfterMs: available.retryAfterMs,
          });
        }
        const verdict = { ok: true as const, text: tip.text, ts: this.host.clock.now(), limits: tip.limits };
        this.publish(verdict, tip.user, this.withMentions(tip.text, { tip: { amount: tip.amount } }), {
          client,
          ref,
          tip: paid,
        });
      }
    }
  }

  /** A paid message has its id (on the copy it was sent to): it is pinned everywhere, and recorded. */
  delivered(message: ChatMessage, paid: PaidOrigin): void {
    const limits = this.host.tipLimits;
    const pinMs = limits === undefined ? 0 : tipPinMs(paid.amount, limits);
    if (pinMs > 0) this.host.engine.announce({ kind: 'pin', message, until: message.ts + pinMs });
    this.record(message.user, paid, message.id);
  }

  /** The engine refused a paid message after it was paid: recorded as not shown, so a retry may show it. */
  unshown(user: UserInfo, paid: PaidOrigin): void {
    this.record(user, paid, null);
  }

  private record(user: UserInfo, paid: PaidOrigin, messageId: number | null): void {
    this.events.tipped?.({
      key: paid.key,
      room: this.host.name,
      user: { id: user.id, name: user.name },
      amount: paid.amount,
      messageId,
      answer: { status: paid.status, outcome: 'paid', reason: messageId === null ? 'paid; not shown' : '' },
      at: this.host.clock.now(),
    });
  }

  stop(): void {
    this.pins.stop();
  }
}
