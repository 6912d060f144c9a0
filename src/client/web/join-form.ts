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

/** The room refused the name: the reason beside the field, which is offered again with the name to change. */
export function nameRefused(reason: string): void {
  form.hidden = false;
  hint.textContent = reason;
  hint.classList.add('refused');
  nameInput.setAttribute('aria-invalid', 'true');
  nameInput.setAttribute('aria-describedby', 'join-hint');
  nameInput.focus();
  nameInput.select();
}

/** The name the page joins with, filled in for a returning guest. */
export function fillName(name: string): void {
  if (nameInput.value === '') nameInput.value = name;
}

export function onJoin(join: (name: string) => void): void {
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const name = nameInput.value.trim();
    if (name.length === 0) return;
    hideError();
    hint.classList.remove('refused');
    nameInput.removeAttribute('aria-invalid');
    form.hidden = true;
    join(name);
  });
}
