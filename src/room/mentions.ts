/**
 * Which users a message mentions: `@name` of a user present in the room. Names
 * are matched without regard to case; a name may contain spaces, so the text
 * after each `@` is compared with the present names, longest first.
 */
import type { UserInfo } from '../protocol/frames.js';

/** The most users one message lists as mentioned. */
export const MAX_MENTIONS = 20;

/** The ids of the present users the text mentions, in the order first mentioned; [] when none. */
export function mentionsIn(text: string, present: () => Iterable<UserInfo>): string[] {
  if (!text.includes('@')) return []; // the common case costs one scan
  const byName = new Map<string, string>();
  for (const user of present()) if (user.name !== '') byName.set(user.name.toLowerCase(), user.id);
  if (byName.size === 0) return [];
  const names = [...byName.keys()].sort((a, b) => b.length - a.length);
  const lower = text.toLowerCase();
  const found: string[] = [];
  for (let at = lower.indexOf('@'); at !== -1 && found.length < MAX_MENTIONS; at = lower.indexOf('@', at + 1)) {
    if (at > 0 && /[\p{L}\p{N}_]/u.test(lower[at - 1]!)) continue; // an e-mail address, not a mention
    const rest = lower.slice(at + 1);
    const name = names.find((n) => rest.startsWith(n) && !/^[\p{L}\p{N}_]/u.test(rest.slice(n.length)));
    const id = name === undefined ? undefined : byName.get(name);
    if (id !== undefined && !found.includes(id)) found.push(id);
  }
  return found;
}
