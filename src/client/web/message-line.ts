/**
 * One chat line: time, author, role badge, text, and the menu of moderation
 * actions this page's user may take on it. The parts are a list, in reading
 * order, so a feature that shows more on a line adds a part here. User text is
 * `dir="auto"`: a right-to-left line reads right to left whatever the page's
 * direction.
 */
import type { ChatMessage } from '../sdk.js';
import { h } from './dom.js';
import { actionsFor } from './message-actions.js';
import { decorateLine, replyQuote, tipBadge } from './message-extras.js';
import { clock } from './message-list.js';
import { closeMenu, menuButton } from './message-menu.js';
import { permissionsOn, session } from './session.js';

type LinePart = (m: ChatMessage) => Node | string | null;

const LINE_PARTS: LinePart[] = [
  replyQuote,
  (m) => {
    const at = new Date(m.ts);
    return h('time', { datetime: at.toISOString() }, clock(at));
  },
  (m) => h('bdi', { class: 'name', dir: 'auto' }, m.user.name),
  (m) =>
    m.user.role === 'viewer'
      ? null
      : h('span', { class: `badge badge-${m.user.role}`, title: m.user.role }, m.user.role),
  tipBadge,
  (m) => h('span', { class: 'text', dir: 'auto' }, m.text),
  (m) => {
    const actions = actionsFor(permissionsOn(m.user));
    return actions.length === 0 ? null : menuButton(m, actions);
  },
];

export function renderMessage(m: ChatMessage): HTMLLIElement {
  session.names.set(m.user.id, m.user.name);
  const line = h('li', { 'data-testid': 'message', 'data-id': String(m.id), 'data-user': m.user.id, class: 'msg' });
  for (const part of LINE_PARTS) {
    const node = part(m);
    if (node !== null) line.append(node);
  }
  if (m.user.id === session.me?.id) line.classList.add('mine');
  decorateLine(line, m);
  return line;
}

export const DELETED_WORDS = 'message deleted by a moderator';

/**
 * A deleted line stays in its place: its author sees their text struck through,
 * everyone else a placeholder instead of the text. Its menu goes: nothing is left
 * to act on.
 */
export function markDeleted(line: HTMLLIElement): void {
  if (line.dataset.deleted === 'true') return;
  line.dataset.deleted = 'true';
  line.classList.add('deleted');
  if (line.querySelector('.menu') !== null) closeMenu();
  line.querySelector('.menu-button')?.remove();
  const text = line.querySelector('.text');
  if (text === null) return;
  if (line.classList.contains('mine')) {
    text.prepend(h('span', { class: 'visually-hidden' }, 'Deleted: '));
    return;
  }
  text.replaceChildren(DELETED_WORDS);
  text.removeAttribute('dir');
  text.classList.add('placeholder');
}
