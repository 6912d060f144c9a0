/**
 * The message being written: a reply shows its parent above the message box
 * until it is sent or cancelled, `/me waves` becomes an action line, and a mod's
 * or host's `/announce …` an announcement (Twitch's commands: `/announce` in the
 * room's primary colour, `/announceblue`, `/announcegreen`, `/announceorange`,
 * `/announcepurple`; the room refuses anyone else). The composer asks for the
 * frame's options here when it sends.
 */
import { type AnnouncementColor, announcementColors } from '../../protocol/frames.js';
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

/** What the composer sends: a message with its options, or an announcement in a colour. */
export type Draft =
  { text: string; options: MessageOptions; announce?: undefined } | { text: string; announce: AnnouncementColor };

const ANNOUNCE = /^\/announce([a-z]*)\s+(\S[\s\S]*)$/i;

/** `/announce…` with a colour the room knows ('' for the primary one), else undefined. */
function announceColor(suffix: string): AnnouncementColor | undefined {
  if (suffix === '') return 'primary';
  return (announcementColors as readonly string[]).includes(suffix) && suffix !== 'primary'
    ? (suffix as AnnouncementColor)
    : undefined;
}

/** The text to send and its options: the reply's parent, and `/me …` as an action; or an announcement. */
export function draftOf(text: string): Draft {
  const announce = ANNOUNCE.exec(text.trim());
  const color = announce === null ? undefined : announceColor(announce[1]!.toLowerCase());
  if (color !== undefined) return { text: announce![2]!, announce: color };
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
