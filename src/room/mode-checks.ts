/**
 * Who may post under followers-only and subscribers-only, from what the join
 * token says (src/room/identity.ts Standing). Mods and hosts are exempt; the
 * caller asks only for others.
 */
import type { ChatModes, UserInfo } from '../protocol/frames.js';
import type { Standing } from './identity.js';
import type { PostRefusal } from './message-policy.js';

const refuse = (code: PostRefusal['code'], message: string, extra: { retryAfterMs?: number } = {}): PostRefusal => ({
  ok: false,
  code,
  message,
  ...extra,
});

export function modeRefusal(
  modes: Readonly<ChatModes>,
  user: UserInfo,
  standing: Standing,
  now: number,
): PostRefusal | null {
  if (modes.followersOnly !== null) {
    const minutes = modes.followersOnly;
    const rule = minutes === 0 ? 'Followers-only chat' : `Followers-only chat: followers of ${minutes} min or more`;
    if (user.role === 'guest' || standing.followedAt === undefined)
      return refuse('FOLLOWERS_ONLY', `${rule}; follow to chat`);
    const wait = standing.followedAt + minutes * 60_000 - now;
    if (wait > 0) return refuse('FOLLOWERS_ONLY', `${rule}; you followed too recently`, { retryAfterMs: wait });
  }
  if (modes.subscribersOnly && standing.subscriber !== true)
    return refuse('SUBSCRIBERS_ONLY', 'Subscribers-only chat; subscribe to chat');
  return null;
}
