/**
 * The seam for a room's order and durability: who gives a message its id, where
 * records go to be stored, and when they are durable. The room's logic asks the
 * engine and is told by it; it never knows which engine it has. The local engine
 * (local-engine.ts) is the single-server one, driven by the master's notices; an
 * engine shared between servers implements the same interface and may give ids
 * later (publish's `deliver` then runs after a round trip), so the post path is
 * written as: policy ok → engine.publish(draft) → deliver(message).
 */
import type { ChatMessage, UserInfo } from '../protocol/frames.js';
import type { ChatRecord } from '../protocol/room-messages.js';

/** A message the policy accepted, before it has an id. */
export interface MessageDraft {
  ts: number;
  user: UserInfo;
  text: string;
}

/** Whether the engine can take a message now; a refusal says when to try again. */
export type Availability = { ok: true } | { ok: false; message: string; retryAfterMs: number };

/** Called when a published message has its id: `seq` is its record's sequence number. */
export type Deliver<T> = (message: ChatMessage, seq: number, origin: T) => void;

export interface Engine {
  /** Checked before a post is accepted: false while ids or durability are not to be had. */
  available(): Availability;
  /**
   * Gives the draft its id and records it for the store, then calls `deliver`
   * with the message and `origin` (for the local engine, before returning).
   */
  publish<T>(draft: MessageDraft, origin: T, deliver: Deliver<T>): void;
  /** Records a moderation act for the store; returns its sequence number. */
  record(record: ChatRecord): number;
  /** Registers the one listener told that every record up to `through` is durable. */
  onDurable(listener: (through: number) => void): void;
}
