/**
 * The `settings` a welcome carries (and the admin stats show): the chat modes
 * with the room's fixed limits. One object for as long as the modes are the same
 * object (they are replaced on every change, never changed in place), so the
 * welcomes of a reconnect storm share it and its JSON (recovery-cache.ts).
 */
import type { RoomLimits } from '../config.js';
import type { ChatModes, WelcomeSettings } from '../protocol/frames.js';

export class WelcomeSettingsMemo {
  private modes: Readonly<ChatModes> | undefined;
  private settings: WelcomeSettings | undefined;

  constructor(
    private readonly limits: Pick<RoomLimits, 'maxMessageChars' | 'tips'>,
    private readonly moderationRule: WelcomeSettings['moderationRule'],
  ) {}

  of(modes: Readonly<ChatModes>): Readonly<WelcomeSettings> {
    if (this.settings !== undefined && this.modes === modes) return this.settings;
    const settings: WelcomeSettings = {
      ...modes,
      maxMessageChars: this.limits.maxMessageChars,
      moderationRule: this.moderationRule,
    };
    const tips = this.limits.tips;
    if (tips !== undefined) settings.tips = { min: tips.min, max: tips.max };
    this.modes = modes;
    this.settings = settings;
    return settings;
  }
}
