/**
 * The moderation panel for mods and hosts: slow mode, clear, the users list and
 * the users banned while the page was open. On narrow screens it is a sheet the
 * header's "Moderation" button opens and closes.
 */
import type { UserInfo } from '../sdk.js';
import { byId, h } from './dom.js';
import { showError } from './inline-error.js';
import { nameOf, session } from './session.js';

const panel = byId('mod-panel');
const toggle = byId<HTMLButtonElement>('mod-toggle');
const slowIndicator = byId('slow-indicator');
const slowForm = byId<HTMLFormElement>('slow-form');
const slowInput = byId<HTMLInputElement>('slow-input');
const clearButton = byId<HTMLButtonElement>('clear-button');
const usersButton = byId<HTMLButtonElement>('users-button');
const users = byId<HTMLUListElement>('users');
const bannedTitle = byId('banned-title');
const banned = byId<HTMLUListElement>('banned');

export function showModTools(visible: boolean): void {
  panel.hidden = !visible;
  toggle.hidden = !visible;
}

export function showSlow(seconds: number): void {
  slowIndicator.hidden = seconds === 0;
  slowIndicator.textContent = `Slow mode: ${seconds} s`;
  if (document.activeElement !== slowInput) slowInput.value = String(seconds);
}

export function renderUsers(list: UserInfo[]): void {
  users.replaceChildren(
    ...list
      .slice()
      .sort((a, b) => a.name.localeCompare(b.name))
      .map((u) => {
        session.names.set(u.id, u.name);
        return h('li', {}, u.name, u.role === 'viewer' ? '' : ` (${u.role})`);
      }),
  );
}

export function addBanned(userId: string): void {
  const name = nameOf(userId, userId);
  bannedTitle.hidden = false;
  const unban = h('button', { type: 'button', class: 'quiet', 'aria-label': `Unban ${name}` }, 'Unban');
  const item = h('li', {}, `${name} `, unban);
  unban.addEventListener('click', () => {
    if (session.client?.unban(userId)) item.remove();
  });
  banned.append(item);
}

slowForm.addEventListener('submit', (event) => {
  event.preventDefault();
  const seconds = Number(slowInput.value);
  if (!Number.isInteger(seconds) || seconds < 0 || seconds > 3600)
    return showError('Slow mode takes a whole number of seconds from 0 to 3600.');
  session.client?.slow(seconds);
});
clearButton.addEventListener('click', () => session.client?.clear());
usersButton.addEventListener('click', () => session.client?.users());

/** On narrow screens the moderation tools are a sheet the host opens and closes. */
function setSheetOpen(open: boolean): void {
  panel.classList.toggle('open', open);
  toggle.setAttribute('aria-expanded', String(open));
}
toggle.addEventListener('click', () => setSheetOpen(!panel.classList.contains('open')));
panel.addEventListener('keydown', (event) => {
  if (event.key !== 'Escape' || !panel.classList.contains('open')) return;
  setSheetOpen(false);
  toggle.focus();
});
