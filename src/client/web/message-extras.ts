/**
 * What a chat line shows of a message's extras (docs/protocol.md, "Replies,
 * mentions, announcements and pins"): the quoted parent above a reply, the paid
 * amount, and the line's look: an action line (`/me`), an announcement in its
 * colour, a paid message, a line that mentions the reader.
 */
import type { ChatMessage } from '../sdk.js';
import { h } from './dom.js';
import { session } from './session.js';

/** The parent a reply quotes, above the reply's own text; null for a line that answers nothing. */
export function replyQuote(m: ChatMessage): Node | null {
  if (m.reply === undefined) return null;
  return h(
    'blockquote',
    { class: 'reply-quote', 'data-testid': 'reply-quote', 'data-reply-to': String(m.reply.id) },
    h('span', { class: 'visually-hidden' }, 'In reply to '),
    h('bdi', { class: 'name', dir: 'auto' }, m.reply.user.name),
    ': ',
    h('span', { dir: 'auto' }, m.reply.text),
  );
}

/** The paid amount, before the text of a paid message. */
export function tipBadge(m: ChatMessage): Node | null {
  if (m.tip === undefined) return null;
  const credits = `${m.tip.amount} credit${m.tip.amount === 1 ? '' : 's'}`;
  return h('span', { class: 'tip-badge', 'data-testid': 'tip-badge' }, credits);
}

/** Whether the line mentions the reader. */
export const mentionsMe = (m: ChatMessage): boolean =>
  session.me !== null && m.mentions?.includes(session.me.id) === true;

/** The classes and words that set a line apart by what it carries. */
export function decorateLine(line: HTMLLIElement, m: ChatMessage): void {
  if (m.action === true) line.classList.add('action');
  if (m.announcement !== undefined) {
    line.classList.add('announcement', `announcement-${m.announcement}`);
    line.dataset.announcement = m.announcement;
    line.prepend(h('span', { class: 'visually-hidden' }, 'Announcement: '));
  }
  if (m.tip !== undefined) line.classList.add('paid');
  if (mentionsMe(m)) {
    line.classList.add('mention');
    line.dataset.mention = 'true';
  }
}
