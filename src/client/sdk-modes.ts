/**
 * The chat modes' frames on the SDK (`client.modes`): setting modes and shield
 * mode, warnings and the review queue's decisions. Each answers false when the
 * client is not connected to send it.
 */
import type { ClientFrame, SettingsFrame } from '../protocol/frames.js';

export class ChatModesApi {
  constructor(private readonly write: (frame: ClientFrame) => boolean) {}

  /** Sets any subset of the room's chat modes (mods and hosts); everyone gets a `settings` event. */
  set(modes: Omit<SettingsFrame, 'type'>): boolean {
    return this.write({ type: 'settings', ...modes });
  }

  /** Shield mode on (SHIELD_PRESET) or off (the modes before it). */
  shield(on: boolean): boolean {
    return this.write({ type: 'shield', on });
  }

  /** Warns a user: they cannot post until they acknowledge. */
  warn(user: string, reason?: string): boolean {
    return this.write(reason === undefined ? { type: 'warn', user } : { type: 'warn', user, reason });
  }

  /** Acknowledges a `warned` event, so this user may post again. */
  acknowledge(): boolean {
    return this.write({ type: 'acknowledge' });
  }

  /** Decides on a held message (a `review` event's id). */
  review(id: string, allow: boolean): boolean {
    return this.write({ type: allow ? 'allow' : 'deny', id });
  }
}
