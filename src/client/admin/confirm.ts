/**
 * The one confirmation for destructive actions (drain, restart, shutdown, a
 * room's shutdown): the page's <dialog>, opened modal, answering true only for
 * its confirm button. Escape and Cancel answer false.
 */
import { byId } from '../web/dom.js';

export function confirmAction(title: string, text: string, confirmLabel: string): Promise<boolean> {
  const dialog = byId<HTMLDialogElement>('confirm');
  byId('confirm-title').textContent = title;
  byId('confirm-text').textContent = text;
  const ok = byId<HTMLButtonElement>('confirm-ok');
  ok.textContent = confirmLabel;
  const cancel = byId<HTMLButtonElement>('confirm-cancel');
  return new Promise((resolve) => {
    const done = () => {
      dialog.removeEventListener('close', done);
      resolve(dialog.returnValue === 'ok');
    };
    dialog.returnValue = '';
    dialog.addEventListener('close', done);
    ok.onclick = () => dialog.close('ok');
    cancel.onclick = () => dialog.close('cancel');
    dialog.showModal();
    cancel.focus();
  });
}
