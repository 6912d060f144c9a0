/**
 * The moderation panel for mods and hosts: slow mode, clear, the users list, and
 * the users banned or timed out while the page was open, each with its undo. On
 * narrow screens it is a sheet the header's "Moderation" button opens and closes.
 */
import type { UserInfo } from '../sdk.js';
import { confirmAction } from './confirm-dialog.js';
import { byId, h } from './dom.js';
import { showError } from './inline-error.js';
import { clock } from './message-list.js';
import { nameOf, session } from './session.js';

const panel = byId('mod-panel');
const toggle = byId<HTMLButtonElement>('mod-toggle');
const slowIndicator = byId('slow-indicator');
const slowForm = byId<HTMLFormElement>('slow-form');
const slowInput = byId<HTMLInputElement>('slow-input');
const clearButton = byId<HTMLButtonElement>('clear-button');
const usersButton = byId<HTMLButtonElement>('users-button');
const users = byId<HTMLUListElement>('users');

export function showModTools(visible: boolean): void {
  panel.hidden = !visible;
  toggle.hidden = !visible;
}

export function showSlow(seconds: number): void {
  slowIndicator.hidden = seconds === 0;
  slowIndicator.textContent = `Slow mode: ${seconds} s`;
  if (document.activeElement !== slowInput) slowInput.value = String(seconds);
}

/** Who the last users list held, and who was asked about since (once each). */
const listed = new Set<string>();
const askedAbout = new Set<string>();

export function renderUsers(list: UserInfo[]): void {
  listed.clear();
  for (const u of list) listed.add(u.id);
  users.replaceChildren(
    ...list
      .slice()
      .sort((a, b) => a.name.localeCompare(b.name))
      .map((u) => {
        session.names.set(u.id, u.name);
        return h('li', {}, h('bdi', { dir: 'auto' }, u.name), u.role === 'viewer' ? '' : ` (${u.role})`);
      }),
  );
}

/**
 * Whether the users list should be asked for again because `userId` wrote but is
 * not on it: a reader who joins with a name replaces their own reading
 * connection, which can leave the viewer count, and so the presence, unchanged.
 */
export function listLacks(userId: string): boolean {
  if (listed.has(userId) || askedAbout.has(userId)) return false;
  askedAbout.add(userId);
  return true;
}

/**
 * A list of users with one undo each: the banned (Unban) and the timed out (Lift).
 * The protocol's unban lifts a ban and a timeout alike.
 */
class UndoList {
  private readonly items = new Map<string, HTMLLIElement>();

  constructor(
    private readonly title: HTMLElement,
    private readonly list: HTMLUListElement,
    private readonly undoText: string,
  ) {}

  add(userId: string, note = ''): void {
    this.items.get(userId)?.remove();
    const name = nameOf(userId, userId);
    const undo = h(
      'button',
      { type: 'button', class: 'quiet', 'aria-label': `${this.undoText} ${name}` },
      this.undoText,
    );
    const item = h('li', {}, h('bdi', { dir: 'auto' }, name), `${note} `, undo);
    undo.addEventListener('click', () => liftFor(userId));
    this.items.set(userId, item);
    this.list.append(item);
    this.title.hidden = false;
  }

  remove(userId: string): void {
    this.items.get(userId)?.remove();
    this.items.delete(userId);
    this.title.hidden = this.items.size === 0;
  }
}

const banned = new UndoList(byId('banned-title'), byId<HTMLUListElement>('banned'), 'Unban');
const timedOut = new UndoList(byId('timed-out-title'), byId<HTMLUListElement>('timed-out'), 'Lift timeout');
const timeoutEnds = new Map<string, ReturnType<typeof setTimeout>>();

export function addBanned(userId: string): void {
  timedOut.remove(userId);
  banned.add(userId);
}

export function addTimedOut(userId: string, until: number): void {
  timedOut.add(userId, ` until ${clock(new Date(until))}`);
  clearTimeout(timeoutEnds.get(userId));
  timeoutEnds.set(
    userId,
    setTimeout(() => timedOut.remove(userId), Math.max(0, until - Date.now())),
  );
}

/** Unbans `userId` (which lifts a timeout too); false when the page is not connected. */
export function liftFor(userId: string): boolean {
  if (session.client?.unban(userId) !== true) return false;
  banned.remove(userId);
  timedOut.remove(userId);
  clearTimeout(timeoutEnds.get(userId));
  return true;
}

slowForm.addEventListener('submit', (event) => {
  event.preventDefault();
  const seconds = Number(slowInput.value);
  if (!Number.isInteger(seconds) || seconds < 0 || seconds > 3600)
    return showError('Slow mode takes a whole number of seconds from 0 to 3600.');
  session.client?.slow(seconds);
});
clearButton.addEventListener('click', () => {
  void confirmAction(
    'Clear the chat for everyone? Every message so far disappears from all screens.',
    'Clear chat',
  ).then((yes) => yes && session.client?.clear());
});
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
