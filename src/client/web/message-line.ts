/**
 * One chat line: time, author, role badge, text, and the moderation actions this
 * page's user may take on it. The parts are a list, in reading order, so a
 * feature that shows more on a line adds a part here.
 */
import type { ChatMessage } from '../sdk.js';
import { h } from './dom.js';
import { actionControls } from './message-actions.js';
import { clock } from './message-list.js';
import { permissionsOn, session } from './session.js';

type LinePart = (m: ChatMessage) => Node | string | null;

const LINE_PARTS: LinePart[] = [
  (m) => {
    const at = new Date(m.ts);
    return h('time', { datetime: at.toISOString() }, clock(at));
  },
  (m) => h('span', { class: 'name' }, m.user.name),
  (m) =>
    m.user.role === 'viewer'
      ? null
      : h('span', { class: `badge badge-${m.user.role}`, title: m.user.role }, m.user.role),
  (m) => h('span', { class: 'text' }, m.text),
  (m) => actionControls(m, permissionsOn(m.user)),
];

export function renderMessage(m: ChatMessage): HTMLLIElement {
  session.names.set(m.user.id, m.user.name);
  const line = h('li', { 'data-testid': 'message', 'data-id': String(m.id), 'data-user': m.user.id, class: 'msg' });
  for (const part of LINE_PARTS) {
    const node = part(m);
    if (node !== null) line.append(node);
  }
  if (m.user.id === session.me?.id) line.classList.add('mine');
  return line;
}
