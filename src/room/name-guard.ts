/**
 * Which names a guest may take: cleaned of what a reader cannot see (control,
 * bidi and zero-width characters), something visible left, not a word the site
 * reserves (RESERVED_NAMES), and not a name a host, mod or signed-in user of
 * this room holds. Names are compared by their confusable skeleton with
 * everything but letters and digits left out, so "Аnn" (Cyrillic А), "ANN" and
 * "A.n.n" are all Ann.
 */
import type { FrameErrorCode, UserInfo } from '../protocol/frames.js';
import { removeInvisible, skeleton } from './confusables.js';
import { cleanText, codePoints } from './text.js';

export const MAX_NAME_CHARS = 32;
/** Names of signed-in users remembered per room (the oldest are forgotten first). */
const MAX_HELD_NAMES = 50_000;

export type NameVerdict =
  | { ok: true; name: string }
  | { ok: false; code: Extract<FrameErrorCode, 'NAME_INVALID' | 'NAME_TAKEN' | 'NAME_RESERVED'>; message: string };

/** The name as it is shown: controls and invisible characters out, runs of spaces as one. */
export function cleanName(raw: string): string {
  return removeInvisible(cleanText(raw)).replace(/\s+/gu, ' ').trim();
}

/** What two names are compared by. */
export function nameKey(name: string): string {
  return skeleton(name).replace(/[^\p{L}\p{N}]/gu, '');
}

export class NameGuard {
  /** Name key → the user id holding it. */
  private readonly held = new Map<string, string>();
  private readonly reserved: ReadonlyArray<{ word: string; key: string }>;

  constructor(reservedNames: readonly string[]) {
    this.reserved = reservedNames.map((word) => ({ word, key: nameKey(word) })).filter((r) => r.key !== '');
  }

  /** A signed-in user (token) has joined: their name is theirs in this room from now on. */
  hold(user: UserInfo): void {
    if (user.role === 'guest' || user.role === 'anonymous') return;
    const key = nameKey(user.name);
    if (key === '') return;
    this.held.delete(key);
    this.held.set(key, user.id);
    if (this.held.size > MAX_HELD_NAMES) this.held.delete(this.held.keys().next().value!);
  }

  /** Whether a guest may take `raw`; answers the cleaned name or the reason. */
  check(raw: string): NameVerdict {
    const name = cleanName(raw);
    if (!/[\p{L}\p{N}\p{S}\p{P}]/u.test(name))
      return { ok: false, code: 'NAME_INVALID', message: 'The name has nothing visible in it' };
    if (codePoints(name) > MAX_NAME_CHARS)
      return { ok: false, code: 'NAME_INVALID', message: `A guest name must be 1 to ${MAX_NAME_CHARS} characters` };
    const key = nameKey(name);
    const words = skeleton(name)
      .split(/[^\p{L}\p{N}]+/u)
      .filter(Boolean);
    for (const r of this.reserved)
      if (key === r.key || words.includes(r.key))
        return { ok: false, code: 'NAME_RESERVED', message: `"${r.word}" is reserved; choose another name` };
    if (key !== '' && this.held.has(key))
      return {
        ok: false,
        code: 'NAME_TAKEN',
        message: `"${name}" is the name of a signed-in user of this room; choose another name`,
      };
    return { ok: true, name };
  }
}
