/**
 * The room's chat modes (src/protocol/frames.ts ChatModes): the one owner of the
 * settings object a room keeps in the store, sends in `welcome.settings` and in
 * `settings` frames. Changes arrive as settings acts in the room's order (from
 * this copy or another), each carrying the whole object, so every copy holds the
 * same; shield mode keeps the modes it replaced, to restore them.
 */
import type { ChatModes } from '../protocol/frames.js';
import type { RoomSettings } from '../protocol/room-messages.js';

export const DEFAULT_MODES: Readonly<ChatModes> = {
  slow: 0,
  followersOnly: null,
  subscribersOnly: false,
  uniqueChat: false,
  chatDelay: 0,
  review: false,
  shield: false,
};

/** What a settings frame or the admin API may change (shield has its own frame and route). */
export type ModesPatch = Partial<Omit<ChatModes, 'shield'>>;

/** Every mode of a stored or patched object, the missing ones at their defaults. */
export function fullModes(settings: Partial<ChatModes> | undefined): ChatModes {
  return { ...DEFAULT_MODES, ...settings };
}

export class ChatModesState {
  private modes: ChatModes = { ...DEFAULT_MODES };
  /** While shield mode is on: the modes it replaced. */
  private beforeShield: ChatModes | null = null;

  get current(): Readonly<ChatModes> {
    return this.modes;
  }

  /** The stored form: the modes and, while shielded, what shield mode replaced. */
  get settings(): RoomSettings {
    return this.beforeShield === null ? { ...this.modes } : { ...this.modes, beforeShield: { ...this.beforeShield } };
  }

  /** The settings after `patch` (not applied: they travel as an act first). */
  patched(patch: ModesPatch): RoomSettings {
    return { ...this.settings, ...patch };
  }

  /** The settings with shield mode on (the preset over the current modes) or off (the modes before it). */
  shielded(on: boolean, preset: ModesPatch): RoomSettings {
    if (on) {
      if (this.beforeShield !== null) return this.settings; // already on: the modes before stay the ones to restore
      return { ...this.modes, ...preset, shield: true, beforeShield: { ...this.modes } };
    }
    if (this.beforeShield === null) return { ...this.modes, shield: false };
    return { ...this.beforeShield, shield: false };
  }

  /** Takes settings from an act or the store. */
  apply(settings: RoomSettings): void {
    const { beforeShield, ...modes } = settings;
    this.modes = fullModes(modes);
    this.beforeShield = this.modes.shield && beforeShield ? fullModes(beforeShield) : null;
  }
}

/** The most a settings value may be: slow mode (s), followers-only (minutes: 90 days), chat delay (s). */
export const MODE_LIMITS = { slow: 3600, followersOnly: 129_600, chatDelay: 10 } as const;

const PATCH_KEYS = ['slow', 'followersOnly', 'subscribersOnly', 'uniqueChat', 'chatDelay', 'review'] as const;

const wholeNumber = (value: unknown, key: string, max: number): number | Error =>
  typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= max
    ? value
    : new Error(`"${key}" must be a whole number from 0 to ${max}`);

/**
 * A settings patch from a client frame or the admin API, checked once: every
 * field optional, unknown fields refused (`ignore`: fields of the envelope, such
 * as `type`); the Error names the field that is wrong.
 */
export function parseModesPatch(fields: Record<string, unknown>, ignore: readonly string[] = []): ModesPatch | Error {
  const patch: ModesPatch = {};
  for (const [key, value] of Object.entries(fields)) {
    if (ignore.includes(key)) continue;
    switch (key as (typeof PATCH_KEYS)[number]) {
      case 'slow':
      case 'chatDelay': {
        const n = wholeNumber(value, key, MODE_LIMITS[key as 'slow' | 'chatDelay']);
        if (n instanceof Error) return n;
        patch[key as 'slow' | 'chatDelay'] = n;
        break;
      }
      case 'followersOnly': {
        if (value === null) patch.followersOnly = null;
        else {
          const n = wholeNumber(value, key, MODE_LIMITS.followersOnly);
          if (n instanceof Error) return new Error(`${n.message}, or null for off`);
          patch.followersOnly = n;
        }
        break;
      }
      case 'subscribersOnly':
      case 'uniqueChat':
        if (typeof value !== 'boolean') return new Error(`"${key}" must be true or false`);
        patch[key as 'subscribersOnly' | 'uniqueChat'] = value;
        break;
      case 'review':
        if (typeof value !== 'boolean' && value !== 'guests')
          return new Error('"review" must be true, false or "guests"');
        patch.review = value;
        break;
      default:
        return new Error(`Unknown setting "${key.slice(0, 40)}"; settings are ${PATCH_KEYS.join(', ')}`);
    }
  }
  return patch;
}
