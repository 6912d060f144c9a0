/**
 * The chat log: message lines in id order, system messages and local notices set
 * apart, and "smart" scrolling: a reader at the bottom follows new lines, a
 * reader who scrolled up to older lines stays put and gets a "new messages"
 * button instead. The log keeps a bounded number of lines so a long session
 * does not grow the page without end, but drops old lines only while following:
 * the lines a scrolled-up reader is reading stay under their eyes. An empty log
 * says the room is quiet.
 */
import type { ChatMessage } from '../sdk.js';
import { h } from './dom.js';

const MAX_LINES = 500;
/** Within this many pixels of the end counts as "at the bottom". */
const STICKY_PX = 48;

/** A button on a notice, such as "Undo" after a timeout. */
export interface NoticeAction {
  text: string;
  label: string;
  testid: string;
  /** Runs on click; the button goes away when it answers true. */
  run: () => boolean;
}

export class MessageList {
  private readonly lines = new Map<number, HTMLLIElement>();
  private unread = 0;

  constructor(
    private readonly list: HTMLOListElement,
    private readonly jump: HTMLButtonElement,
    private readonly empty: HTMLElement,
    private readonly render: (message: ChatMessage) => HTMLLIElement,
  ) {
    // Back at the end by the reader's own scrolling: following again (without pulling the view).
    list.addEventListener('scroll', () => {
      if (!this.atBottom()) return;
      this.trim();
      this.hideJump();
    });
    jump.addEventListener('click', () => {
      this.scrollToEnd();
      list.focus();
    });
  }

  /** The line of message `id`, while the log holds it. */
  line(id: number): HTMLLIElement | undefined {
    return this.lines.get(id);
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
    this.showEmpty();
  }

  addSystem(text: string, ts: number): void {
    const at = new Date(ts);
    this.append(
      h(
        'li',
        { class: 'system', 'data-testid': 'system-message' },
        h('time', { datetime: at.toISOString() }, clock(at)),
        h('span', { class: 'visually-hidden' }, 'Announcement: '),
        h('span', { dir: 'auto' }, text),
      ),
      true,
    );
  }

  /** A note from the page itself (reconnected, cleared, slow mode), not from a person. */
  addNotice(text: string, action?: NoticeAction): void {
    const notice = h('li', { class: 'notice', 'data-testid': 'notice' }, text);
    if (action !== undefined) {
      const button = h(
        'button',
        { type: 'button', class: 'quiet', 'data-testid': action.testid, 'aria-label': action.label },
        action.text,
      );
      button.addEventListener('click', () => {
        if (action.run()) button.remove();
      });
      notice.append(' ', button);
    }
    this.append(notice, false);
  }

  removeUser(userId: string): void {
    for (const [id, line] of this.lines)
      if (line.dataset.user === userId) {
        line.remove();
        this.lines.delete(id);
      }
    this.showEmpty();
  }

  clear(): void {
    this.lines.clear();
    this.list.replaceChildren();
    this.hideJump();
    this.showEmpty();
  }

  private append(line: HTMLLIElement, counts: boolean): void {
    const follow = this.atBottom();
    this.list.append(line);
    this.showEmpty();
    if (follow) this.scrollToEnd();
    else if (counts) {
      this.unread += 1;
      this.jump.textContent = `${this.unread} new message${this.unread === 1 ? '' : 's'} ↓`;
      this.jump.hidden = false;
    }
  }

  /** Drops the oldest lines past MAX_LINES; only called while following the end. */
  private trim(): void {
    while (this.list.childElementCount > MAX_LINES) {
      const first = this.list.firstElementChild as HTMLLIElement;
      if (first.dataset.id !== undefined) this.lines.delete(Number(first.dataset.id));
      first.remove();
    }
  }

  /** "It's quiet here" while no person or announcement has said anything. */
  private showEmpty(): void {
    this.empty.hidden = this.list.querySelector('.msg, .system') !== null;
  }

  private atBottom(): boolean {
    const l = this.list;
    return l.scrollHeight - l.scrollTop - l.clientHeight <= STICKY_PX;
  }

  private scrollToEnd(): void {
    this.trim();
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
