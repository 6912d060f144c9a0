/**
 * The room's side of paid messages: the debits it has asked its master for and
 * not yet heard back about. Asking never waits: the request goes out as a
 * message to the master and the answer comes back as a notice, so a slow or
 * hanging credit service holds up only the tip that waits for it.
 */
import { createHash } from 'node:crypto';
import type { TipLimits } from '../config.js';
import type { UserInfo } from '../protocol/frames.js';
import type { DebitAnswer, DebitRequest } from '../protocol/room-messages.js';
import type { Client } from './client.js';
import type { PostLimits } from './engine.js';
import { MAX_PIN_SECONDS } from './parse-extras.js';

/** A tip waiting for the credit service's answer. */
export interface PendingTip {
  client: Client;
  user: UserInfo;
  ref: string;
  key: string;
  amount: number;
  /** The cleaned text the policy accepted, and the limits it gave the post. */
  text: string;
  limits: PostLimits;
}

/**
 * The debit's idempotency key: from the user and the frame's ref only, so a
 * client that sends the same tip again (after UNAVAILABLE, on a new connection,
 * through another server) names the same debit.
 */
export function tipKey(userId: string, ref: string): string {
  return 'tip_' + createHash('sha256').update(`${userId}\n${ref}`).digest('hex').slice(0, 40);
}

/** How long a tip of `amount` stays pinned: amount × TIP_PIN_MS_PER_CREDIT, at most a pin's longest. */
export function tipPinMs(amount: number, limits: TipLimits): number {
  return Math.min(amount * limits.pinMsPerCredit, MAX_PIN_SECONDS * 1000);
}

export class TipDesk {
  private nextId = 1;
  private readonly pending = new Map<number, PendingTip>();

  constructor(
    private readonly room: string,
    private readonly ask: (request: DebitRequest) => void,
  ) {}

  /** Asks for the debit; the answer arrives through `answered`. */
  request(tip: Omit<PendingTip, 'key'>): void {
    const id = this.nextId++;
    const pending: PendingTip = { ...tip, key: tipKey(tip.user.id, tip.ref) };
    this.pending.set(id, pending);
    this.ask({
      id,
      key: pending.key,
      room: this.room,
      user: { id: tip.user.id, name: tip.user.name },
      amount: tip.amount,
    });
  }

  /** The tip an answer is for (once: a repeated or unknown answer is undefined). */
  answered(answer: DebitAnswer): PendingTip | undefined {
    const tip = this.pending.get(answer.request);
    this.pending.delete(answer.request);
    return tip;
  }

  get waiting(): number {
    return this.pending.size;
  }
}
