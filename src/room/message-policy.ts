/**
 * Whether a post is accepted: answers ok with the cleaned text, or a refusal with
 * the protocol's code, a message and when to try again. It owns what only posting
 * needs (the rate limiter, the time of each user's last post under slow mode, the
 * blocked terms); the moderation state and the engine are asked.
 */
import type { RoomLimits } from '../config.js';
import type { FrameErrorCode, UserInfo } from '../protocol/frames.js';
import type { Clock } from './clock.js';
import type { Availability, PostLimits } from './engine.js';
import type { Moderation } from './moderation.js';
import type { Standing } from './identity.js';
import { modeRefusal } from './mode-checks.js';
import { SlidingWindowLimiter } from './rate-limiter.js';
import { UniqueChat } from './unique-chat.js';
import { cleanText, codePoints, TermFilter } from './text.js';

export interface PostRefusal {
  ok: false;
  code: FrameErrorCode;
  message: string;
  retryAfterMs?: number;
  until?: number;
}
/** An accepted post; `limits` is what an engine that counts across copies applies to it. */
export type PostVerdict = { ok: true; text: string; ts: number; limits: PostLimits } | PostRefusal;

export class MessagePolicy {
  private readonly rateLimiter: SlidingWindowLimiter;
  private readonly unique: UniqueChat;
  private readonly lastPost = new Map<string, number>();
  private terms = new TermFilter([]);
  private termsKey = '';

  constructor(
    private readonly limits: RoomLimits,
    private readonly clock: Clock,
    private readonly moderation: Moderation,
    /** Whether a message can be made durable now (the engine, and room-wide limits such as held acks). */
    private readonly available: () => Availability,
    /** True when the engine counts rate limits and slow mode across the room's copies (this policy then does not). */
    private readonly sharedLimits = false,
  ) {
    this.rateLimiter = new SlidingWindowLimiter(limits.rateLimitWindowMs);
    this.unique = new UniqueChat(clock, limits.uniqueChatWindowMs);
  }

  /** Rebuilds the filter only when the list changed: the master pushes it on every refresh. */
  setBlockedTerms(terms: readonly string[]): void {
    const key = terms.join('\n');
    if (key === this.termsKey) return;
    this.termsKey = key;
    this.terms = new TermFilter(terms);
  }

  /** Slow mode changed: every user starts afresh. */
  slowChanged(): void {
    this.lastPost.clear();
  }

  /**
   * Checks a post; when it is accepted, counts it against the user's limits.
   * The checks that cost the user nothing come first, so a refused post never
   * uses up a rate-limit slot.
   */
  check(user: UserInfo, rawText: string, standing: Standing = {}): PostVerdict {
    if (user.role === 'anonymous') return refuse('FORBIDDEN', 'Anonymous readers cannot post');
    const now = this.clock.now();
    const until = this.moderation.timedOutUntil(user.id);
    if (until !== undefined) return refuse('TIMED_OUT', 'You are timed out', { until });
    const warning = this.moderation.warning(user.id);
    if (warning !== undefined)
      return refuse('WARNED', `A moderator warned you${warning ? `: ${warning}` : ''}; acknowledge it to post again`);
    const moderator = this.moderation.isModerator(user.role);
    const modes = this.moderation.modes.current;
    if (!moderator) {
      const refusal = modeRefusal(modes, user, standing, now);
      if (refusal !== null) return refusal;
    }
    const text = cleanText(rawText);
    if (text.length === 0) return refuse('EMPTY', 'The message is empty');
    const max = this.limits.maxMessageChars;
    if (codePoints(text) > max) return refuse('TOO_LONG', `A message is at most ${max} characters`);
    if (this.terms.find(text) !== null) return refuse('BLOCKED_TERM', 'The message contains a blocked term');
    if (modes.uniqueChat && !moderator && this.unique.isDuplicate(text))
      return refuse('DUPLICATE', 'Unique chat: this was said here a moment ago; say something new');
    const available = this.available();
    if (!available.ok) return refuse('UNAVAILABLE', available.message, { retryAfterMs: available.retryAfterMs });
    const slow = this.moderation.slowSeconds;
    const limit = moderator ? this.limits.rateLimitModMessages : this.limits.rateLimitMessages;
    const limits: PostLimits = {
      messages: limit,
      windowMs: this.limits.rateLimitWindowMs,
      slowMs: slow > 0 && !moderator ? slow * 1000 : 0,
    };
    if (this.sharedLimits) {
      this.unique.posted(text);
      return { ok: true, text, ts: now, limits };
    }
    if (limits.slowMs > 0) {
      const last = this.lastPost.get(user.id);
      const wait = last === undefined ? 0 : last + limits.slowMs - now;
      if (wait > 0) return refuse('SLOW_MODE', slowModeMessage(slow), { retryAfterMs: wait });
    }
    const allowed = this.rateLimiter.take(user.id, limit, now);
    if (!allowed.ok) return refuse('RATE_LIMITED', RATE_LIMITED_MESSAGE, { retryAfterMs: allowed.retryAfterMs });
    if (slow > 0) this.lastPost.set(user.id, now);
    this.unique.posted(text);
    return { ok: true, text, ts: now, limits };
  }

  /** Forgets rate-limit and slow-mode entries that no longer matter (the room's periodic upkeep). */
  sweep(): void {
    const now = this.clock.now();
    this.rateLimiter.sweep(now);
    this.unique.sweep();
    const slowMs = this.moderation.slowSeconds * 1000;
    for (const [user, at] of this.lastPost) if (at <= now - slowMs) this.lastPost.delete(user);
  }
}

export const RATE_LIMITED_MESSAGE = 'Too many messages; wait a moment';

export function slowModeMessage(seconds: number): string {
  return `Slow mode: one message per ${seconds} s`;
}

function refuse(
  code: FrameErrorCode,
  message: string,
  extra: { retryAfterMs?: number; until?: number } = {},
): PostRefusal {
  return { ok: false, code, message, ...extra };
}
