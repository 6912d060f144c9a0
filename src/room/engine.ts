/**
 * The seam for a room's order and durability: who gives a message its id and
 * its place in the room's order, where records go to be stored, and when they
 * are durable. The room's logic asks the engine and is told by it; it never
 * knows which engine it has.
 *
 * - The local engine (local-engine.ts) is the single-server one, driven by the
 *   master's notices: everything it is handed comes back at once, in the same pass.
 * - The cluster engine (src/cluster/redis-engine.ts) shares the room between
 *   servers through a Redis stream: what is handed to it comes back later, in the
 *   stream's order, on every server's copy of the room (the origin's included),
 *   so every copy sees the same messages, ids and acts in the same order.
 *
 * So the room is written as: check → engine.publish / act / announce → the
 * handler applies it (message, act, control), whichever copy it came from.
 */
import type { ChatMessage, FrameErrorCode, MessageExtras, UserInfo } from '../protocol/frames.js';
import type { ModerationRecord } from '../protocol/room-messages.js';
import type { Client } from './client.js';

/** A message the policy accepted, before it has an id; its extras ride with it to every copy. */
export interface MessageDraft extends MessageExtras {
  ts: number;
  user: UserInfo;
  text: string;
}

/** Where a post came from on this copy, carried through the engine to its delivery. */
export interface PostOrigin {
  client: Client;
  ref: string | undefined;
  /** A paid message: what its delivery pins and records (src/room/extras.ts). */
  tip?: PaidOrigin;
}

/** A paid message on its way to the room's order. */
export interface PaidOrigin {
  /** The debit's idempotency key. */
  key: string;
  amount: number;
  /** The credit service's HTTP status. */
  status: number;
}

/** Limits an engine that counts across copies applies to one post (sharedLimits). */
export interface PostLimits {
  /** Messages per rate window for this user, and the window. */
  messages: number;
  windowMs: number;
  /** Slow mode for this user (0: off, or a moderator). */
  slowMs: number;
}

/** Whether the engine can take a message now; a refusal says when to try again. */
export type Availability = { ok: true } | { ok: false; message: string; retryAfterMs: number };

/** A post the engine refused after it was handed over. */
export interface EngineRefusal {
  code: Extract<FrameErrorCode, 'UNAVAILABLE' | 'RATE_LIMITED' | 'SLOW_MODE'>;
  message: string;
  retryAfterMs: number;
}

/** What reaches every copy of the room besides messages and acts. */
export type Control =
  | { kind: 'system'; text: string; ts: number }
  | { kind: 'kick'; user: string; reason: string }
  | { kind: 'close'; reason: string }
  | { kind: 'pin'; message: ChatMessage; until: number | null }
  | { kind: 'unpin' };

/** A copy's identified users, numbered so a list that has not changed need not be sent or read again. */
export interface UsersList {
  /** Changes whenever `users` does. */
  version: number;
  users: readonly UserInfo[];
}

export const NO_USERS: UsersList = Object.freeze({ version: 0, users: Object.freeze([]) as readonly UserInfo[] });

export interface EngineHandlers {
  /** A message has its id and its place in the order; `origin` when it was posted on this copy. */
  message(message: ChatMessage, seq: number, origin: PostOrigin | undefined): void;
  /** A post handed to publish was refused after all. */
  refused(origin: PostOrigin, refusal: EngineRefusal): void;
  /** A moderation act in the room's order, recorded for the store as `seq`. */
  act(record: ModerationRecord, seq: number): void;
  control(control: Control): void;
  /** Every record up to sequence number `through` is durable. */
  durable(through: number): void;
  /** The number of viewers on other copies changed. */
  elsewhere(): void;
  /** Joined connections on this copy (what a cluster engine tells the other copies). */
  viewersHere(): number;
  /** This copy's identified users, for the other copies' `users` answers. */
  usersHere(): UsersList;
  /** The shared order was lost before message `nextId` (Redis came back empty): a `since` before it cannot be answered in full. */
  lost(nextId: number): void;
}

export interface Engine {
  /** Registers the room's handlers; called once, before anything is handed over. */
  start(handlers: EngineHandlers): void;
  /** Checked before a post is accepted: false while ids or durability are not to be had. */
  available(): Availability;
  /** True when the engine counts rate limits and slow mode across copies (the room then does not). */
  readonly sharedLimits: boolean;
  /** Gives the draft its id and place; handlers.message (or refused) follows. */
  publish(draft: MessageDraft, origin: PostOrigin, limits: PostLimits): void;
  /** Puts a moderation act in the room's order; handlers.act follows (or handlers.refused, for `origin`). */
  act(record: ModerationRecord, origin: PostOrigin): void;
  /** Sends a control to every copy (this one too); handlers.control follows. */
  announce(control: Control): void;
  /** Joined connections on the room's other copies (0 for a room on one server). */
  viewersElsewhere(): number;
  /** The identified users on the room's other copies (none for a room on one server). */
  usersElsewhere(): UsersList;
  /** Stops background work (reading, heartbeats); idempotent. */
  stop(): Promise<void>;
}
