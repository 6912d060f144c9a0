/**
 * The chat protocol's frames (docs/protocol.md), shared by the room and the client
 * SDK: what a client sends, what a room answers, the error codes and close codes.
 */

export const PROTOCOL_VERSION = 1;

/** A WebSocket message from the server carries frames separated by this. */
export const FRAME_SEPARATOR = '\n';
/** The most frame bytes the server puts in one WebSocket message. */
export const MAX_BATCH_BYTES = 64 * 1024;

export type Role = 'anonymous' | 'guest' | 'viewer' | 'mod' | 'host';

export interface UserInfo {
  id: string;
  name: string;
  role: Role;
}

// ── client → server ────────────────────────────────────────────────────────────
export interface JoinFrame {
  type: 'join';
  token?: string;
  name?: string;
  /** A guest's token from an earlier `welcome`: the same guest id again. */
  guestToken?: string;
  since?: number;
}
export interface MessageFrame {
  type: 'message';
  text: string;
  ref?: string;
  /** The id of the message this one answers (a reply). */
  replyTo?: number;
  /** An action line (`/me waves`): the text says what the user does. */
  action?: boolean;
}
export interface DeleteFrame {
  type: 'delete';
  id: number;
}
export interface TimeoutFrame {
  type: 'timeout';
  user: string;
  seconds: number;
  reason?: string;
}
export interface BanFrame {
  type: 'ban';
  user: string;
  reason?: string;
}
export interface UnbanFrame {
  type: 'unban';
  user: string;
}
export interface SlowFrame {
  type: 'slow';
  seconds: number;
}
/** Sets any subset of the room's chat modes (mods and hosts). */
export type SettingsFrame = { type: 'settings' } & Partial<Omit<ChatModes, 'shield'>>;
/** Shield mode: `on` applies the preset in one step, off restores the modes in force before. */
export interface ShieldFrame {
  type: 'shield';
  on: boolean;
}
export interface WarnFrame {
  type: 'warn';
  user: string;
  reason?: string;
}
/** A warned user has read the warning and may post again. */
export interface AcknowledgeFrame {
  type: 'acknowledge';
}
/** A mod's decision on a held message (`id` from the `review` frame). */
export interface ReviewDecisionFrame {
  type: 'allow' | 'deny';
  id: string;
}
export interface ClearFrame {
  type: 'clear';
}
export interface UsersFrame {
  type: 'users';
}
/** The colours an announcement may be shown in. */
export const announcementColors = ['primary', 'blue', 'green', 'orange', 'purple'] as const;
export type AnnouncementColor = (typeof announcementColors)[number];
/** A mod's or host's announcement: a message shown in `color`. */
export interface AnnounceFrame {
  type: 'announce';
  text: string;
  color?: AnnouncementColor;
  ref?: string;
}
/** Pins message `id` for `seconds` (without it: until unpinned). */
export interface PinFrame {
  type: 'pin';
  id: number;
  seconds?: number;
}
export interface UnpinFrame {
  type: 'unpin';
}
/** A paid message: `amount` credits are debited through the credit service before it is shown. */
export interface TipFrame {
  type: 'tip';
  amount: number;
  text: string;
  /** Required: with the user it makes the debit's idempotency key, so a retry is never charged twice. */
  ref: string;
}
export type ClientFrame =
  | JoinFrame
  | MessageFrame
  | DeleteFrame
  | TimeoutFrame
  | BanFrame
  | UnbanFrame
  | SlowFrame
  | ClearFrame
  | UsersFrame
  | AnnounceFrame
  | PinFrame
  | UnpinFrame
  | TipFrame
  | SettingsFrame
  | ShieldFrame
  | WarnFrame
  | AcknowledgeFrame
  | ReviewDecisionFrame;

// ── server → client ────────────────────────────────────────────────────────────
/** The message a reply answers, as it was when the reply was sent. */
export interface ReplyParent {
  id: number;
  user: UserInfo;
  /** The parent's first 100 characters. */
  text: string;
}

/**
 * What a message may carry besides its text. Every field rides inside the
 * message record (history, the store, every copy of a room in a cluster).
 */
export interface MessageExtras {
  reply?: ReplyParent;
  /** Ids of the users present in the room that the text mentions (`@name`). */
  mentions?: string[];
  /** An action line (`/me`). */
  action?: boolean;
  /** An announcement by a mod or host, in this colour. */
  announcement?: AnnouncementColor;
  /** A paid message: the credits debited for it. */
  tip?: { amount: number };
}

export interface ChatMessage extends MessageExtras {
  type: 'message';
  id: number;
  ts: number;
  user: UserInfo;
  text: string;
}

/** The pinned message and when the pin ends (ms since the epoch; null: until unpinned). */
export interface PinnedFrame {
  type: 'pinned';
  message: ChatMessage;
  until: number | null;
}

/** Held for review: `true` holds messages matching a review term, `"guests"` also every guest's message. */
export type ReviewMode = boolean | 'guests';

/**
 * The room's chat modes, one object per room (kept in the store, sent in
 * `welcome.settings` and in full in every `settings` frame). Mods and hosts are
 * exempt from every mode.
 */
export interface ChatModes {
  /** Slow mode: seconds between two messages of a user; 0 is off. */
  slow: number;
  /** Followers-only: minutes a join token's `followedAt` must be old (0: any follower); null is off. */
  followersOnly: number | null;
  /** Only join tokens with `"subscriber": true` may post. */
  subscribersOnly: boolean;
  /** A message whose cleaned text was posted here within UNIQUE_CHAT_WINDOW_S is refused. */
  uniqueChat: boolean;
  /** Seconds (0–10) a non-mod's message reaches other viewers late; mods and hosts see it at once. */
  chatDelay: number;
  review: ReviewMode;
  /** Shield mode is on (SHIELD_PRESET applied; turning it off restores the modes before it). */
  shield: boolean;
}

/**
 * What a client needs to know of the room's rules, sent in `welcome.settings`: the
 * modes in force (`slow`), the message limit, and who may moderate whom, so a page
 * offers exactly what the room will allow (src/protocol/moderation-rule.ts).
 */
export interface WelcomeSettings extends ChatModes {
  /** The most Unicode code points a message may have after cleaning. */
  maxMessageChars: number;
  /** For each role, the roles whose users and messages it may moderate. */
  moderationRule: ModerationRule;
  /** Paid messages: the amounts a tip may have (TIP_MIN, TIP_MAX); absent while they are off. */
  tips?: { min: number; max: number };
}

/** Which target roles each role may moderate; a role not listed moderates nobody. */
export type ModerationRule = Partial<Record<Role, readonly Role[]>>;

export interface WelcomeFrame {
  type: 'welcome';
  protocol: typeof PROTOCOL_VERSION;
  room: string;
  you: UserInfo;
  history: ChatMessage[];
  viewers: number;
  settings: WelcomeSettings;
  recovered?: boolean;
  /** For a guest: send it as `guestToken` in a later join to be the same guest (`you.id`) again. */
  guestToken?: string;
  /** The pin in force when the client joined, if any. */
  pinned?: { message: ChatMessage; until: number | null };
  /**
   * In a big room: spread the first reconnect attempt after a drop over this
   * many ms (uniformly at random), so a room dropped all at once comes back at
   * the rate it admits. Absent: 0, no spread beyond the client's own backoff.
   */
  rejoinWindowMs?: number;
}
export type ServerFrame =
  | WelcomeFrame
  | ChatMessage
  | { type: 'ack'; ref: string; id: number }
  | { type: 'deleted'; id: number }
  | { type: 'cleared' }
  | ({ type: 'settings' } & ChatModes)
  /** To the sender: the message is held for review (`ref`: the message frame's). */
  | { type: 'held'; ref?: string }
  /** To mods and hosts: a held message waiting for `allow` or `deny`. */
  | { type: 'review'; id: string; user: UserInfo; text: string; reason: string; ts: number }
  /** To mods and hosts: a held message was decided on, or dropped after REVIEW_TIMEOUT (`by`: who decided). */
  | { type: 'reviewed'; id: string; allowed: boolean; by: string | null }
  /** To the warned user: they may post again after sending `acknowledge`. */
  | { type: 'warned'; reason: string }
  | { type: 'timeout'; user: string; until: number }
  | { type: 'ban'; user: string }
  /** `rejoinWindowMs`: as in the welcome, for the room's size now. */
  | { type: 'presence'; viewers: number; rejoinWindowMs?: number }
  | { type: 'users'; viewers: number; users: UserInfo[] }
  | { type: 'system'; text: string; ts: number }
  | PinnedFrame
  | { type: 'unpinned' }
  | ErrorFrame;

export const frameErrorCodes = [
  'BAD_FRAME',
  'NOT_JOINED',
  'ALREADY_JOINED',
  'FORBIDDEN',
  'RATE_LIMITED',
  'SLOW_MODE',
  'TOO_LONG',
  'EMPTY',
  'BLOCKED_TERM',
  'TIMED_OUT',
  'NOT_FOUND',
  'UNAVAILABLE',
  'INSUFFICIENT_CREDITS',
  'TIP_REFUSED',
  'NAME_INVALID',
  'NAME_TAKEN',
  'NAME_RESERVED',
  'FOLLOWERS_ONLY',
  'SUBSCRIBERS_ONLY',
  'DUPLICATE',
  'WARNED',
] as const;
export type FrameErrorCode = (typeof frameErrorCodes)[number];

export interface ErrorFrame {
  type: 'error';
  code: FrameErrorCode;
  message: string;
  ref?: string;
  retryAfterMs?: number;
  until?: number;
}

/**
 * WebSocket close codes the room uses, and what each means to a client. The
 * reconnect rule (docs/protocol.md, `isFinalClose`): after UNAUTHORIZED and BANNED
 * the same join would be refused again, so a client stops; after every other code
 * (a late join, a kick, a room closing) trying again can succeed.
 */
export const CloseCode = {
  GOING_AWAY: 1001,
  TOO_LARGE: 1009,
  UNAUTHORIZED: 4001,
  /** No join frame within JOIN_TIMEOUT_MS: not a refusal, the client may try again. */
  JOIN_TIMEOUT: 4002,
  BANNED: 4003,
  KICKED: 4004,
  TOO_MANY_REFUSALS: 4008,
  SLOW_READER: 4009,
} as const;
export type CloseCode = (typeof CloseCode)[keyof typeof CloseCode];

/** Close codes after which reconnecting cannot help: the same join would be refused. */
export const FINAL_CLOSE_CODES: readonly number[] = [CloseCode.UNAUTHORIZED, CloseCode.BANNED];

export function isFinalClose(code: number): boolean {
  return FINAL_CLOSE_CODES.includes(code);
}
