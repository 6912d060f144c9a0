/**
 * The message box: counts characters against the room's limit, sends through the
 * current connection, and keeps the text until the room has stored it.
 */
import { byId } from './dom.js';
import { errorsShown, hideError, showError } from './inline-error.js';
import { draftOf, endReply } from './reply-draft.js';
import { session } from './session.js';

const form = byId<HTMLFormElement>('composer');
const input = byId<HTMLInputElement>('message-input');
const count = byId('char-count');
const send = byId<HTMLButtonElement>('send-button');

const length = () => [...input.value.trim()].length;
/** The room's limit, once it has said it; until then the room alone decides. */
const maxChars = () => session.settings?.maxMessageChars ?? Infinity;
const tooLong = () => length() > maxChars();

export function showComposer(visible: boolean): void {
  form.hidden = !visible;
}

export function setCanWrite(open: boolean): void {
  send.disabled = !open || tooLong();
}

export function updateCount(): void {
  count.textContent = session.settings === null ? `${length()}` : `${length()}/${maxChars()}`;
  count.classList.toggle('over', tooLong());
  send.disabled = session.client?.state !== 'open' || tooLong();
}

/** Puts the cursor in the message box unless the user is already somewhere else. */
export function focusComposer(): void {
  if (document.activeElement === document.body) input.focus();
}

form.addEventListener('submit', (event) => {
  event.preventDefault();
  const text = input.value;
  if (length() === 0) return;
  if (tooLong()) return showError(`A message is at most ${maxChars()} characters.`);
  const c = session.client;
  if (c === null) return;
  const shownBefore = errorsShown();
  const draft = draftOf(text);
  const sent =
    draft.announce === undefined
      ? c.send(draft.text, undefined, draft.options)
      : c.announce(draft.text, draft.announce);
  void sent.then((result) => {
    if (result.ok) {
      if (errorsShown() === shownBefore) hideError();
      if (input.value === text) input.value = '';
      if (draft.announce === undefined) endReply(); // an announcement is not the reply being written
      updateCount();
    } else if (result.error.code === 'NOT_CONNECTED' || result.error.code === 'DISCONNECTED') {
      showError('Not connected: the message was not sent.');
    }
  });
});
input.addEventListener('input', updateCount);
