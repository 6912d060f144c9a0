/**
 * What a moderation act does to a room, once it is in the room's order: from
 * this copy or, in a cluster, another. Acts are checked where they were made
 * (moderation-frames.ts decides them); here they are only applied and told to
 * everyone on this copy, and applying one twice changes nothing more. Kept apart
 * from room.ts because it is the one place that touches history, bans, timeouts
 * and modes together, and reads best as one switch.
 */
import type { ServerFrame } from '../protocol/frames.js';
import type { ModerationRecord } from '../protocol/room-messages.js';
import type { RoomExtras } from './extras.js';
import type { History } from './history.js';
import type { MessagePolicy } from './message-policy.js';
import type { Moderation } from './moderation.js';
import type { RoomModes } from './room-modes.js';

/** What applying an act needs of the room. */
export interface ActHost {
  readonly moderation: Moderation;
  readonly history: History;
  readonly modes: RoomModes;
  readonly extras: RoomExtras;
  readonly policy: MessagePolicy;
  broadcast(frame: ServerFrame): void;
  /** A user entered the ban set: told once, every connection of theirs closed (room.ts). */
  banned(userId: string): void;
}

export function applyAct(host: ActHost, act: ModerationRecord, seq: number): void {
  const { moderation: mod, history, modes } = host;
  if (modes.apply(act)) return;
  switch (act.action) {
    case 'delete':
      if (act.messageId === null) return;
      history.markDeleted(act.messageId);
      modes.deleted(act.messageId);
      host.broadcast({ type: 'deleted', id: act.messageId });
      host.extras.deleted(act.messageId);
      return;
    case 'timeout': {
      if (act.target === null) return;
      const until = act.at + (act.seconds ?? 0) * 1000;
      mod.timeout(act.target, until, act.address);
      host.broadcast({ type: 'timeout', user: act.target, until });
      return;
    }
    case 'ban':
      if (act.target !== null && mod.ban(act.target, seq, act.address)) host.banned(act.target);
      return;
    case 'unban':
      if (act.target !== null) mod.unban(act.target, seq);
      return;
    case 'slow':
    case 'settings': {
      const before = mod.slowSeconds;
      mod.modes.apply(act.settings ?? mod.modes.patched({ slow: act.seconds ?? 0 }));
      if (act.action === 'slow' || mod.slowSeconds !== before) host.policy.slowChanged();
      host.broadcast({ type: 'settings', ...mod.modes.current });
      return;
    }
    case 'clear':
      history.clearThrough(act.messageId ?? history.latestId);
      modes.cleared(act.messageId ?? history.latestId);
      host.broadcast({ type: 'cleared' });
      return;
    default:
      return;
  }
}
