/**
 * The message being written: a reply shows its parent above the message box
 * until it is sent or cancelled, and `/me waves` becomes an action line. The
 * composer asks for the frame's options here when it sends.
 */
import type { ChatMessage, MessageOptions } from '../sdk.js';
import { byId } from './dom.js';

const bar = byId('reply-draft');
const quote = byId('reply-draft-text');
const cancel = byId<HTMLButtonElement>('reply-cancel');
const input = byId<HTMLInputElement>('message-input');
let parent: ChatMessage | null = null;

/** Starts a reply to `m`: its quote above the box, the cursor in it. */
export function startReply(m: ChatMessage): void {
  parent = m;
  const text = [...m.text].slice(0, 100).join('');
  quote.textContent = `Replying to ${m.user.name}: ${text}`;
  bar.hidden = false;
  input.focus();
}

export function endReply(): void {
  parent = null;
  bar.hidden = true;
  quote.textContent = '';
}

/** The text to send and its options: the reply's parent, and `/me …` as an action. */
export function draftOf(text: string): { text: string; options: MessageOptions } {
  const options: MessageOptions = {};
  if (parent !== null) options.replyTo = parent.id;
  const action = /^\/me\s+(\S[\s\S]*)$/.exec(text.trim());
  if (action !== null) {
    options.action = true;
    return { text: action[1]!, options };
  }
  return { text, options };
}

/** The reply's parent went away (deleted): the reply can no longer be sent. */
export function parentGone(id: number): void {
  if (parent?.id === id) endReply();
}

cancel.addEventListener('click', () => {
  endReply();
  input.focus();
});
input.addEventListener('keydown', (event) => {
  if (event.key === 'Escape' && parent !== null) endReply();
});
