/**
 * The optional fields of a chat message (reply, mentions, action, announcement,
 * tip) as one unit, so every place that copies a message between shapes (the
 * cluster's log, the transcript queue, the store's rows) carries all of them,
 * and a message without any stays as small as before.
 */
import { announcementColors, type ChatMessage, type MessageExtras } from './frames.js';

/** The extras present on `source`, and nothing else. */
export function extrasOf(source: MessageExtras): MessageExtras {
  const extras: MessageExtras = {};
  if (source.reply !== undefined) extras.reply = source.reply;
  if (source.mentions !== undefined && source.mentions.length > 0) extras.mentions = source.mentions;
  if (source.action === true) extras.action = true;
  if (source.announcement !== undefined) extras.announcement = source.announcement;
  if (source.tip !== undefined) extras.tip = source.tip;
  return extras;
}

/** A chat message from its stored parts. */
export function chatMessage(parts: Pick<ChatMessage, 'id' | 'ts' | 'user' | 'text'> & MessageExtras): ChatMessage {
  return { type: 'message', id: parts.id, ts: parts.ts, user: parts.user, text: parts.text, ...extrasOf(parts) };
}

/** The extras as one JSON text for a store column; null when there are none. */
export function encodeExtras(source: MessageExtras): string | null {
  const extras = extrasOf(source);
  return Object.keys(extras).length === 0 ? null : JSON.stringify(extras);
}

/** Reads what encodeExtras wrote; anything unreadable is no extras rather than a failed read. */
export function decodeExtras(json: string | null | undefined): MessageExtras {
  if (json === null || json === undefined || json === '') return {};
  try {
    const parsed = JSON.parse(json) as MessageExtras;
    if (parsed.announcement !== undefined && !announcementColors.includes(parsed.announcement))
      delete parsed.announcement;
    return extrasOf(parsed);
  } catch {
    return {};
  }
}
