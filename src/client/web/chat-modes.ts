/**
 * The room's chat modes on the page: which are on, for everyone (a line in the
 * header), and for mods and hosts the modes panel (each mode, shield mode in one
 * click with what it turns on) and the review queue with allow and deny.
 */
import type { ChatModes, FrameOf } from '../sdk.js';
import type { ChatModesApi } from '../sdk-modes.js';
import { byId, h } from './dom.js';
import { session } from './session.js';

const indicator = byId('modes-indicator');
const followers = byId<HTMLInputElement>('mode-followers');
const subscribers = byId<HTMLInputElement>('mode-subscribers');
const unique = byId<HTMLInputElement>('mode-unique');
const delay = byId<HTMLSelectElement>('mode-delay');
const review = byId<HTMLSelectElement>('mode-review');
const shield = byId<HTMLButtonElement>('shield-button');
const shieldHint = byId('shield-hint');
const queueTitle = byId('review-title');
const queue = byId<HTMLUListElement>('review-queue');

/** Followers-only as the panel sets it: followers of 10 minutes (the platforms' usual). */
const FOLLOWERS_MINUTES = 10;

/** The modes in force, in words ("" when none is on). */
export function modesWords(m: ChatModes): string {
  const on: string[] = [];
  if (m.shield) on.push('Shield mode');
  if (m.followersOnly !== null)
    on.push(m.followersOnly > 0 ? `Followers only (${m.followersOnly} min)` : 'Followers only');
  if (m.subscribersOnly) on.push('Subscribers only');
  if (m.uniqueChat) on.push('Unique chat');
  if (m.chatDelay > 0) on.push(`Chat delay ${m.chatDelay} s`);
  if (m.review !== false) on.push(m.review === 'guests' ? 'Guests held for review' : 'Review terms held');
  return on.join(' · ');
}

/** Shows the modes to everyone, and sets the panel's controls to them. */
export function showModes(m: ChatModes): void {
  const words = modesWords(m);
  indicator.hidden = words === '';
  indicator.textContent = words;
  followers.checked = m.followersOnly !== null;
  subscribers.checked = m.subscribersOnly;
  unique.checked = m.uniqueChat;
  delay.value = String(m.chatDelay);
  review.value = String(m.review);
  shield.setAttribute('aria-pressed', String(m.shield));
  shield.textContent = m.shield ? 'Turn shield mode off' : 'Shield mode';
  shieldHint.textContent = m.shield
    ? 'On: turning it off restores the modes before it.'
    : 'Turns on slow mode, followers only, unique chat and review of guests in one step.';
}

const set = (modes: Parameters<ChatModesApi['set']>[0]) => session.client?.modes.set(modes);
followers.addEventListener('change', () => set({ followersOnly: followers.checked ? FOLLOWERS_MINUTES : null }));
subscribers.addEventListener('change', () => set({ subscribersOnly: subscribers.checked }));
unique.addEventListener('change', () => set({ uniqueChat: unique.checked }));
delay.addEventListener('change', () => set({ chatDelay: Number(delay.value) }));
review.addEventListener('change', () =>
  set({ review: review.value === 'guests' ? 'guests' : review.value === 'true' }),
);
shield.addEventListener('click', () => session.client?.modes.shield(shield.getAttribute('aria-pressed') !== 'true'));

/** A held message for the mods' queue, with allow and deny. */
export function addHeld(r: FrameOf<'review'>): void {
  if (queue.querySelector(`[data-review-id="${CSS.escape(r.id)}"]`) !== null) return;
  const decide = (allow: boolean) => () => session.client?.modes.review(r.id, allow);
  const allow = h('button', { type: 'button', class: 'quiet', 'data-testid': 'allow-button' }, 'Allow');
  const deny = h('button', { type: 'button', class: 'quiet danger', 'data-testid': 'deny-button' }, 'Deny');
  allow.addEventListener('click', decide(true));
  deny.addEventListener('click', decide(false));
  queue.append(
    h(
      'li',
      { 'data-review-id': r.id, 'data-testid': 'held-message' },
      h('span', { class: 'name' }, r.user.name),
      ' ',
      h('span', { class: 'text', dir: 'auto' }, r.text),
      h('span', { class: 'hint' }, ` (${r.reason}) `),
      allow,
      deny,
    ),
  );
  queueTitle.hidden = false;
}

/** A held message was decided on (here or by another mod) or dropped: it leaves the queue. */
export function removeHeld(id: string): void {
  queue.querySelector(`[data-review-id="${CSS.escape(id)}"]`)?.remove();
  queueTitle.hidden = queue.children.length === 0;
}
