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
  since?: number;
}
export interface MessageFrame {
  type: 'message';
  text: string;
  ref?: string;
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
export interface ClearFrame {
  type: 'clear';
}
export interface UsersFrame {
  type: 'users';
}
export type ClientFrame =
  JoinFrame | MessageFrame | DeleteFrame | TimeoutFrame | BanFrame | UnbanFrame | SlowFrame | ClearFrame | UsersFrame;

// ── server → client ────────────────────────────────────────────────────────────
export interface ChatMessage {
  type: 'message';
  id: number;
  ts: number;
  user: UserInfo;
  text: string;
}
/**
 * What a client needs to know of the room's rules, sent in `welcome.settings`: the
 * modes in force (`slow`), the message limit, and who may moderate whom, so a page
 * offers exactly what the room will allow (src/protocol/moderation-rule.ts).
 */
export interface WelcomeSettings {
  /** Slow mode: seconds between two messages of a user; 0 is off. */
  slow: number;
  /** The most Unicode code points a message may have after cleaning. */
  maxMessageChars: number;
  /** For each role, the roles whose users and messages it may moderate. */
  moderationRule: ModerationRule;
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
}
export type ServerFrame =
  | WelcomeFrame
  | ChatMessage
  | { type: 'ack'; ref: string; id: number }
  | { type: 'deleted'; id: number }
  | { type: 'cleared' }
  | { type: 'settings'; slow: number }
  | { type: 'timeout'; user: string; until: number }
  | { type: 'ban'; user: string }
  | { type: 'presence'; viewers: number }
  | { type: 'users'; viewers: number; users: UserInfo[] }
  | { type: 'system'; text: string; ts: number }
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
