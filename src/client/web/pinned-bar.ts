/**
 * The pinned message, in a bar above the log: its author and text (and the paid
 * amount of a paid message), until it is unpinned or its time is up. Mods and
 * hosts get an Unpin button. While a message is pinned its line in the log is
 * marked too, so a paid message stands out for as long as it is pinned.
 */
import type { ChatMessage } from '../sdk.js';
import { byId } from './dom.js';
import { isModerator, session } from './session.js';

const bar = byId('pinned-bar');
const text = byId('pinned-text');
const unpin = byId<HTMLButtonElement>('unpin-button');
let pinnedId: number | null = null;
let timer: ReturnType<typeof setTimeout> | undefined;
/** The log's line of a message, while the log holds it. */
let lineOf: (id: number) => HTMLLIElement | undefined = () => undefined;

export function watchLines(lookup: (id: number) => HTMLLIElement | undefined): void {
  lineOf = lookup;
}

/** Whether message `id` is pinned now (a line rendered later is marked from this). */
export const isPinned = (id: number): boolean => pinnedId === id;

/** Shows the pin in force, or none (null). */
export function showPin(pin: { message: ChatMessage; until: number | null } | null): void {
  clearTimeout(timer);
  if (pinnedId !== null) lineOf(pinnedId)?.classList.remove('pinned');
  pinnedId = null;
  if (pin === null || (pin.until !== null && pin.until <= Date.now())) {
    bar.hidden = true;
    text.textContent = '';
    return;
  }
  const { message, until } = pin;
  pinnedId = message.id;
  const paid = message.tip === undefined ? '' : ` (${message.tip.amount} credits)`;
  text.textContent = `${message.user.name}${paid}: ${message.text}`;
  bar.dataset.id = String(message.id);
  bar.classList.toggle('paid', message.tip !== undefined);
  unpin.hidden = !isModerator(session.me);
  bar.hidden = false;
  lineOf(message.id)?.classList.add('pinned');
  // The room says when the pin ends; the page does not wait to be told again.
  if (until !== null) timer = setTimeout(() => showPin(null), until - Date.now());
}

unpin.addEventListener('click', () => session.client?.unpin());
