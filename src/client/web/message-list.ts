/**
 * The chat log: message lines in id order, system messages and local notices set
 * apart, and "smart" scrolling: a reader at the bottom follows new lines, a
 * reader who scrolled up to older lines stays put and gets a "new messages"
 * button instead. The log keeps a bounded number of lines so a long session
 * does not grow the page without end.
 */
import type { ChatMessage } from '../sdk.js';
import { h } from './dom.js';

const MAX_LINES = 500;
/** Within this many pixels of the end counts as "at the bottom". */
const STICKY_PX = 48;

export class MessageList {
  private readonly lines = new Map<number, HTMLLIElement>();
  private unread = 0;

  constructor(
    private readonly list: HTMLOListElement,
    private readonly jump: HTMLButtonElement,
    private readonly render: (message: ChatMessage) => HTMLLIElement,
  ) {
    list.addEventListener('scroll', () => {
      if (this.atBottom()) this.hideJump();
    });
    jump.addEventListener('click', () => {
      this.scrollToEnd();
      list.focus();
    });
  }

  has(id: number): boolean {
    return this.lines.has(id);
  }

  addMessage(message: ChatMessage): void {
    if (this.lines.has(message.id)) return;
    const line = this.render(message);
    this.lines.set(message.id, line);
    this.append(line, true);
  }

  /** Replaces every line with `messages` (a join without recovery). */
  replace(messages: ChatMessage[]): void {
    this.lines.clear();
    this.list.replaceChildren();
    for (const message of messages) {
      const line = this.render(message);
      this.lines.set(message.id, line);
      this.list.append(line);
    }
    this.scrollToEnd();
  }

  addSystem(text: string, ts: number): void {
    const at = new Date(ts);
    this.append(
      h(
        'li',
        { class: 'system', 'data-testid': 'system-message' },
        h('time', { datetime: at.toISOString() }, clock(at)),
        h('span', { class: 'visually-hidden' }, 'Announcement: '),
        text,
      ),
      true,
    );
  }

  /** A note from the page itself (reconnected, cleared, slow mode), not from a person. */
  addNotice(text: string): void {
    this.append(h('li', { class: 'notice', 'data-testid': 'notice' }, text), false);
  }

  remove(id: number): void {
    this.lines.get(id)?.remove();
    this.lines.delete(id);
  }

  removeUser(userId: string): void {
    for (const [id, line] of this.lines)
      if (line.dataset.user === userId) {
        line.remove();
        this.lines.delete(id);
      }
  }

  clear(): void {
    this.lines.clear();
    this.list.replaceChildren();
    this.hideJump();
  }

  private append(line: HTMLLIElement, counts: boolean): void {
    const follow = this.atBottom();
    this.list.append(line);
    while (this.list.childElementCount > MAX_LINES) {
      const first = this.list.firstElementChild as HTMLLIElement;
      if (first.dataset.id !== undefined) this.lines.delete(Number(first.dataset.id));
      first.remove();
    }
    if (follow) this.scrollToEnd();
    else if (counts) {
      this.unread += 1;
      this.jump.textContent = `${this.unread} new message${this.unread === 1 ? '' : 's'} ↓`;
      this.jump.hidden = false;
    }
  }

  private atBottom(): boolean {
    const l = this.list;
    return l.scrollHeight - l.scrollTop - l.clientHeight <= STICKY_PX;
  }

  private scrollToEnd(): void {
    this.list.scrollTop = this.list.scrollHeight;
    this.hideJump();
  }

  private hideJump(): void {
    this.unread = 0;
    this.jump.hidden = true;
  }
}

export function clock(at: Date): string {
  return at.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
}
