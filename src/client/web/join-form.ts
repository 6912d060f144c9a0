/** The "Your name" form for reading viewers who want to write. */
import { byId } from './dom.js';
import { hideError } from './inline-error.js';

const form = byId<HTMLFormElement>('join-form');
const nameInput = byId<HTMLInputElement>('join-name');
const hint = byId('join-hint');

export function showJoinForm(visible: boolean): void {
  form.hidden = !visible;
}

export function setJoinHint(text: string): void {
  hint.textContent = text;
}

export function onJoin(join: (name: string) => void): void {
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const name = nameInput.value.trim();
    if (name.length === 0) return;
    hideError();
    form.hidden = true;
    join(name);
  });
}
