/**
 * What a reply carries of its parent: id, author and the first characters of the
 * text, copied into the reply when it is sent, so the reply reads the same in
 * history, in the store and on every copy of the room, whatever happens to the
 * parent later.
 */
import type { ReplyParent } from '../protocol/frames.js';
import type { History } from './history.js';

/** The most code points of the parent a reply quotes. */
export const REPLY_QUOTE_CHARS = 100;

/** The parent of a reply, or undefined when message `id` is not in the room's window or was deleted. */
export function replyParent(history: History, id: number): ReplyParent | undefined {
  const entry = history.find(id);
  if (entry === undefined || entry.deleted) return undefined;
  const { message } = entry;
  const chars = [...message.text];
  const text = chars.length > REPLY_QUOTE_CHARS ? chars.slice(0, REPLY_QUOTE_CHARS).join('') : message.text;
  return { id: message.id, user: message.user, text };
}
