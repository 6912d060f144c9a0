/**
 * Asking before an act that cannot be taken back from the page (ban, clear): a
 * modal <dialog>, so focus stays in it and Escape cancels. Cancel is the default.
 */
import { byId } from './dom.js';

const dialog = byId<HTMLDialogElement>('confirm-dialog');
const text = byId('confirm-text');
const ok = byId<HTMLButtonElement>('confirm-ok');
const cancel = byId<HTMLButtonElement>('confirm-cancel');

/** Resolves true when the user chose `okText`, false on Cancel or Escape. */
export function confirmAction(question: string, okText: string): Promise<boolean> {
  const before = document.activeElement instanceof HTMLElement ? document.activeElement : null;
  text.textContent = question;
  ok.textContent = okText;
  dialog.returnValue = '';
  dialog.showModal();
  cancel.focus();
  return new Promise((resolve) => {
    dialog.addEventListener(
      'close',
      () => {
        // The element asked from may be gone (a banned user's line): then the log takes focus.
        (before?.isConnected === true ? before : byId('messages')).focus();
        resolve(dialog.returnValue === 'ok');
      },
      { once: true },
    );
  });
}

ok.addEventListener('click', () => dialog.close('ok'));
cancel.addEventListener('click', () => dialog.close('cancel'));
