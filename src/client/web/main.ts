/**
 * The chat page (served at /app/?room=<name>[&token=<join token>]): finds the room
 * through the public API, joins through the client SDK (as the token's user, as a
 * guest with a typed name, or read-only until then) and renders what the room
 * says. Moderators and hosts also get per-message actions, slow mode, clear and
 * the users list. Plain DOM code: the page has one screen and needs no framework.
 *
 * This module is the wiring: it reads the address, opens the room or the room
 * form, and retries at once when retrying has a reason to work.
 */
import './styles.css';
import './moderation.css';
import './extras.css';
import { updateCount } from './composer.js';
import { start } from './connection.js';
import { byId } from './dom.js';
import { fillName, onJoin } from './join-form.js';
import { rememberedGuest, rememberedToken, rememberToken } from './remembered.js';
import { ROOM_NAME_RULE } from './room-url.js';
import { session } from './session.js';
import { onRetry, setStatus } from './status-line.js';
import { followVisualViewport } from './viewport.js';

const params = new URLSearchParams(window.location.search);
const roomName = params.get('room')?.trim() ?? '';
const token = params.get('token') ?? '';

followVisualViewport();

const retryNow = () => session.client?.reconnectNow();
onRetry(retryNow);
// Coming back online or to the tab: no reason to wait out the delay.
window.addEventListener('online', retryNow);
document.addEventListener('visibilitychange', () => {
  if (document.visibilityState === 'visible') retryNow();
});
onJoin((name) => {
  // After a refused name the room waits for another on the same connection.
  if (session.client?.rename(name)) return;
  // The same name as last time is the same guest (its token); another name is someone new.
  const guest = rememberedGuest();
  start(roomName, guest?.name === name ? { name, guestToken: guest.guestToken } : { name });
});

// The browser's own "Please match the requested format." says nothing about what would match.
const roomInput = byId<HTMLInputElement>('room-input');
roomInput.addEventListener('input', () => roomInput.setCustomValidity(''));
roomInput.addEventListener('invalid', () => {
  if (roomInput.validity.patternMismatch) roomInput.setCustomValidity(ROOM_NAME_RULE);
});

if (roomName === '') {
  byId('room-form').hidden = false;
  byId('meta').hidden = true;
  setStatus('idle', 'Choose a room to open.');
} else {
  byId('room-title').textContent = roomName;
  document.title = `${roomName} · Chat`;
  byId('layout').hidden = false;
  const guest = rememberedGuest();
  if (token) {
    // Keep the token out of the address bar, bookmarks and shared links; this tab keeps it for its reloads.
    params.delete('token');
    window.history.replaceState(null, '', `${window.location.pathname}?${params.toString()}`);
    rememberToken(roomName, token);
    start(roomName, { token });
  } else if (rememberedToken(roomName) !== null) {
    start(roomName, { token: rememberedToken(roomName)! });
  } else {
    // Reading along until "Join chat", with the name filled in: joining is then the same guest again.
    if (guest !== null) fillName(guest.name);
    start(roomName, {});
  }
  updateCount();
}
