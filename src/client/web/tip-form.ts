/**
 * Paid messages: a Tip button for signed-in users opens a small form with the
 * amount and the text. A tip keeps its ref until the room has answered it for
 * good, so sending again after "try again" (UNAVAILABLE) is the same debit and
 * can never charge twice. The room's refusal is shown by the error line.
 */
import type { UserInfo } from '../sdk.js';
import { byId } from './dom.js';
import { hideError } from './inline-error.js';
import { session } from './session.js';

const toggle = byId<HTMLButtonElement>('tip-button');
const form = byId<HTMLFormElement>('tip-form');
const amount = byId<HTMLInputElement>('tip-amount');
const text = byId<HTMLInputElement>('tip-text');
const send = byId<HTMLButtonElement>('tip-send');
/** The ref of the tip being sent and what it was for: the same tip again reuses it. */
let pending: { ref: string; key: string } | null = null;

/** Only a signed-in user (a join token) may tip, and only where the room takes tips (`settings.tips`). */
export function showTipButton(me: UserInfo | null, tips: { min: number; max: number } | undefined): void {
  const signedIn = me !== null && (me.role === 'viewer' || me.role === 'mod' || me.role === 'host');
  const offered = signedIn && tips !== undefined;
  toggle.hidden = !offered;
  if (!offered) form.hidden = true;
  if (tips === undefined) return;
  amount.min = String(tips.min);
  amount.max = String(tips.max);
  if (Number(amount.value) < tips.min || Number(amount.value) > tips.max) amount.value = String(tips.min);
}

toggle.addEventListener('click', () => {
  form.hidden = !form.hidden;
  toggle.setAttribute('aria-expanded', String(!form.hidden));
  if (!form.hidden) amount.focus();
});

form.addEventListener('submit', (event) => {
  event.preventDefault();
  const c = session.client;
  const credits = Number(amount.value);
  if (c === null || !Number.isInteger(credits) || credits < 1 || text.value.trim() === '') return;
  const key = `${credits}\n${text.value}`;
  if (pending?.key !== key) pending = { ref: `tip-${Date.now().toString(36)}`, key };
  const { ref } = pending;
  send.disabled = true;
  void c.tip(credits, text.value, ref).then((result) => {
    send.disabled = false;
    if (!result.ok && result.error.code === 'UNAVAILABLE') return; // the same ref next time
    if (!result.ok && (result.error.code === 'NOT_CONNECTED' || result.error.code === 'DISCONNECTED')) return;
    pending = null;
    if (!result.ok) return;
    hideError();
    text.value = '';
    form.hidden = true;
    toggle.setAttribute('aria-expanded', 'false');
  });
});
