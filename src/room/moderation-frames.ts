/**
 * A mod's frame turned into the act it records, or the refusal: who may act on
 * whom (the moderation rule), whether the message exists, and what the act
 * carries (a guest's client address for bans and timeouts, the whole settings
 * for slow mode). Checked where the frame arrived; the act then goes into the
 * room's order and is applied on every copy.
 */
import type {
  BanFrame,
  ClearFrame,
  DeleteFrame,
  FrameErrorCode,
  SlowFrame,
  TimeoutFrame,
  UnbanFrame,
  UserInfo,
} from '../protocol/frames.js';
import type { Actor, ModerationAction, ModerationRecord, RoomSettings } from '../protocol/room-messages.js';
import type { History } from './history.js';
import type { Members } from './members.js';
import { type Moderation, ONLY_MODERATORS } from './moderation.js';

export type ModerationFrame = DeleteFrame | TimeoutFrame | BanFrame | UnbanFrame | SlowFrame | ClearFrame;

/** What an act carries beyond its action, actor and target. */
export interface ActExtra {
  messageId?: number;
  seconds?: number;
  reason?: string;
  address?: string | undefined;
  settings?: RoomSettings;
  reviewId?: string;
}

export type ActDecision =
  | { ok: true; action: ModerationAction; target: string | null; extra: ActExtra }
  | { ok: false; code: Extract<FrameErrorCode, 'FORBIDDEN' | 'NOT_FOUND'>; message: string };

export interface ActContext {
  moderation: Moderation;
  members: Members;
  history: History;
  /** The client address a ban or timeout of this user also holds (a guest's), if any. */
  addressFor(userId: string): string | undefined;
}

const act = (action: ModerationAction, target: string | null, extra: ActExtra = {}): ActDecision => ({
  ok: true,
  action,
  target,
  extra,
});

export function decideAct(actor: UserInfo, frame: ModerationFrame, ctx: ActContext): ActDecision {
  const mod = ctx.moderation;
  if (frame.type === 'delete') {
    // Who may moderate at all is answered before whether the message exists.
    if (!mod.isModerator(actor.role)) return { ok: false, code: 'FORBIDDEN', message: ONLY_MODERATORS };
    const entry = ctx.history.find(frame.id);
    if (entry === undefined || entry.deleted)
      return { ok: false, code: 'NOT_FOUND', message: `No message ${frame.id} in this room` };
    const author = entry.message.user;
    const refusal = mod.deleteRefusal(actor.role, author.role, author.id === actor.id);
    if (refusal !== null) return { ok: false, code: 'FORBIDDEN', message: refusal };
    return act('delete', author.id, { messageId: frame.id });
  }
  const target = frame.type === 'timeout' || frame.type === 'ban' ? ctx.members.roleOf(frame.user) : undefined;
  const refusal = mod.refusal(actor.role, target);
  if (refusal !== null) return { ok: false, code: 'FORBIDDEN', message: refusal };
  switch (frame.type) {
    case 'timeout':
      // A banned user is out already; their ban stays what the store holds for them.
      if (mod.isBanned(frame.user))
        return { ok: false, code: 'NOT_FOUND', message: `${frame.user} is banned from this room` };
      return act('timeout', frame.user, {
        seconds: frame.seconds,
        reason: frame.reason ?? '',
        address: ctx.addressFor(frame.user),
      });
    case 'ban':
      return act('ban', frame.user, { reason: frame.reason ?? '', address: ctx.addressFor(frame.user) });
    case 'unban':
      return act('unban', frame.user);
    case 'slow':
      return act('slow', null, { seconds: frame.seconds, settings: mod.modes.patched({ slow: frame.seconds }) });
    case 'clear':
      return act('clear', null, { messageId: ctx.history.latestId });
  }
}

/** The record of an act as it is logged and carried to every copy. */
export function actRecord(
  action: ModerationAction,
  by: Actor,
  target: string | null,
  extra: ActExtra,
  at: number,
): ModerationRecord {
  const record: ModerationRecord = {
    action,
    by,
    target,
    messageId: extra.messageId ?? null,
    seconds: extra.seconds ?? null,
    reason: extra.reason ?? '',
    at,
  };
  if (extra.address) record.address = extra.address;
  if (extra.settings !== undefined) record.settings = extra.settings;
  if (extra.reviewId !== undefined) record.reviewId = extra.reviewId;
  return record;
}
