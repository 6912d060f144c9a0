/**
 * Mentions of the reader that arrived while they were scrolled up: counted on a
 * button beside "new messages", which takes them to the first one; the count
 * goes once they are back at the end of the log.
 */
import { byId } from './dom.js';

const log = byId<HTMLOListElement>('messages');
const button = byId<HTMLButtonElement>('mention-jump');
/** Within this many pixels of the end counts as "at the end" (as for the log's own jump). */
const STICKY_PX = 48;
let unseen: HTMLLIElement[] = [];

const atEnd = () => log.scrollHeight - log.scrollTop - log.clientHeight <= STICKY_PX;

/** A line mentioning the reader was added; counted when the reader is not at the end to see it. */
export function noteMention(line: HTMLLIElement): void {
  if (atEnd()) return;
  unseen.push(line);
  button.textContent = `${unseen.length} mention${unseen.length === 1 ? '' : 's'} of you ↑`;
  button.hidden = false;
}

function reset(): void {
  unseen = [];
  button.hidden = true;
}

log.addEventListener('scroll', () => {
  if (atEnd()) reset();
});
button.addEventListener('click', () => {
  const first = unseen.find((line) => line.isConnected);
  reset();
  if (first === undefined) return;
  first.scrollIntoView({ block: 'center' });
  first.focus();
});
