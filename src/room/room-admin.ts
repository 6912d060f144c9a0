/**
 * What the admin API does to a room (announce, kick, change the modes, close),
 * and how every copy of the room carries out the controls those become. A call
 * reaches the copy on the server it was made to; it goes out through the engine
 * as a control or an act, so in a cluster every copy, this one too, carries it
 * out in the room's order (src/room/engine.ts). The answers count what happened
 * on this copy.
 */
import { type ChatModes, CloseCode, type ServerFrame } from '../protocol/frames.js';
import type { ModesPatch } from './chat-modes.js';
import type { Clock } from './clock.js';
import type { Control, Engine } from './engine.js';
import type { RoomExtras } from './extras.js';
import type { Members } from './members.js';
import type { RoomModes } from './room-modes.js';

/** What the admin operations use of the room. */
export interface AdminHost {
  engine: Pick<Engine, 'announce' | 'act'>;
  members: Members;
  modes: RoomModes;
  extras: RoomExtras;
  clock: Clock;
  broadcast(frame: ServerFrame): void;
  closeUser(userId: string, code: number, reason: string): number;
  /** Another copy announced that the room closes (cluster): this copy should close too. */
  closing?(reason: string): void;
}

export class RoomAdmin {
  constructor(private readonly host: AdminHost) {}

  /** An admin's announcement, to every copy of the room; answers how many joined connections here get it. */
  systemMessage(text: string, ts: number): number {
    const here = this.host.members.viewers;
    this.host.engine.announce({ kind: 'system', text, ts });
    return here;
  }

  /** An admin's kick, on every copy; answers how many connections here were closed. */
  kick(userId: string, reason: string): number {
    const here = this.host.members.connectionsOf(userId).length;
    this.host.engine.announce({ kind: 'kick', user: userId, reason });
    return here;
  }

  /** The admin API's change of chat modes (PATCH /api/v1/room/:name/settings), on every copy; answers the modes it makes. */
  settings(patch: ModesPatch, shield?: boolean): ChatModes {
    const { record, modes } = this.host.modes.adminAct(patch, shield, this.host.clock.now());
    this.host.engine.act(record);
    return modes;
  }

  /** An admin's shutdown of the room, announced to the other copies (this one closes through its server). */
  announceClose(reason: string): void {
    this.host.engine.announce({ kind: 'close', reason });
  }

  /** A control in the room's order (from this copy or another): carried out here. */
  apply(control: Control): void {
    const host = this.host;
    if (control.kind === 'system') host.broadcast({ type: 'system', text: control.text, ts: control.ts });
    else if (control.kind === 'kick') host.closeUser(control.user, CloseCode.KICKED, control.reason || 'Kicked');
    else if (control.kind === 'held') host.modes.heldAnnounced(control.message);
    else if (control.kind === 'pin' || control.kind === 'unpin') host.extras.control(control);
    else host.closing?.(control.reason);
  }
}
