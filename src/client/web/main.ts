/**
 * The chat page (served at /app/?room=<name>[&token=<join token>]): finds the room
 * through the public API, joins through the client SDK (as the token's user, as a
 * guest with a typed name, or read-only until then) and renders what the room
 * says. Moderators and hosts also get per-message delete/timeout/ban, slow mode,
 * clear and the users list. Plain DOM code: the page has one screen and needs
 * no framework.
 */
import './styles.css';
import type { WelcomeSettings } from '../../protocol/frames.js';
import { isModerator as roleModerates, mayDelete, mayModerate } from '../../protocol/moderation-rule.js';
import { ChatClient, type ChatMessage, type ErrorFrame, type Identity, type UserInfo } from '../sdk.js';
import { byId, h, waitText } from './dom.js';
import { clock, MessageList } from './message-list.js';
import { ROOM_NAME_RULE, RoomNameError, roomSocketUrl } from './room-url.js';
import { lostWords, RECONNECT_BACKOFF } from './reconnect.js';

const TIMEOUT_SECONDS = 600;

const params = new URLSearchParams(window.location.search);
const roomName = params.get('room')?.trim() ?? '';
const token = params.get('token') ?? '';

const ui = {
  title: byId('room-title'),
  meta: byId('meta'),
  viewers: byId('viewer-count'),
  slowIndicator: byId('slow-indicator'),
  status: byId('status'),
  retry: byId<HTMLButtonElement>('retry'),
  modToggle: byId<HTMLButtonElement>('mod-toggle'),
  roomInput: byId<HTMLInputElement>('room-input'),
  roomForm: byId<HTMLFormElement>('room-form'),
  layout: byId('layout'),
  error: byId('error'),
  joinForm: byId<HTMLFormElement>('join-form'),
  joinName: byId<HTMLInputElement>('join-name'),
  joinHint: byId('join-hint'),
  composer: byId<HTMLFormElement>('composer'),
  input: byId<HTMLInputElement>('message-input'),
  count: byId('char-count'),
  send: byId<HTMLButtonElement>('send-button'),
  modPanel: byId('mod-panel'),
  slowForm: byId<HTMLFormElement>('slow-form'),
  slowInput: byId<HTMLInputElement>('slow-input'),
  clear: byId<HTMLButtonElement>('clear-button'),
  usersButton: byId<HTMLButtonElement>('users-button'),
  users: byId<HTMLUListElement>('users'),
  bannedTitle: byId('banned-title'),
  banned: byId<HTMLUListElement>('banned'),
};

let client: ChatClient | null = null;
let identity: Identity = {};
let me: UserInfo | null = null;
/**
 * The room's rules from its welcome: the message limit and who may moderate whom.
 * The page offers exactly what the room will accept, decided by the same rule
 * (src/protocol/moderation-rule.ts) with the room's own table.
 */
let settings: WelcomeSettings | null = null;
/** Names of users seen in this session, for notices about them. */
const names = new Map<string, string>();
const list = new MessageList(byId<HTMLOListElement>('messages'), byId<HTMLButtonElement>('jump'), renderMessage);

const isModerator = (user: UserInfo | null) =>
  user !== null && settings !== null && roleModerates(user.role, settings.moderationRule);

/** The moderation actions this page's user may take on a line by `author`. */
function actionsOn(author: UserInfo): { delete: boolean; moderate: boolean } {
  if (me === null || settings === null) return { delete: false, moderate: false };
  const own = author.id === me.id;
  const rule = settings.moderationRule;
  return {
    delete: mayDelete(me.role, author.role, own, rule),
    moderate: !own && mayModerate(me.role, author.role, rule),
  };
}

function renderMessage(m: ChatMessage): HTMLLIElement {
  names.set(m.user.id, m.user.name);
  const at = new Date(m.ts);
  const badge = m.user.role === 'viewer' ? '' : m.user.role;
  const line = h(
    'li',
    { 'data-testid': 'message', 'data-id': String(m.id), 'data-user': m.user.id, class: 'msg' },
    h('time', { datetime: at.toISOString() }, clock(at)),
    h('span', { class: 'name' }, m.user.name),
    badge ? h('span', { class: `badge badge-${badge}`, title: `${m.user.role}` }, badge) : '',
    h('span', { class: 'text' }, m.text),
  );
  if (m.user.id === me?.id) line.classList.add('mine');
  const actions = actionsOn(m.user);
  if (actions.delete || actions.moderate) line.append(moderationButtons(m, actions.moderate));
  return line;
}

function moderationButtons(m: ChatMessage, moderate: boolean): HTMLElement {
  const button = (testid: string, text: string, label: string, act: () => void, danger = false) => {
    const b = h(
      'button',
      { type: 'button', class: danger ? 'quiet danger' : 'quiet', 'data-testid': testid, 'aria-label': label },
      text,
    );
    b.addEventListener('click', act);
    return b;
  };
  const who = m.user.name;
  const actions = h(
    'span',
    { class: 'actions' },
    button('delete-button', 'Delete', `Delete this message from ${who}`, () => client?.delete(m.id)),
  );
  if (moderate)
    actions.append(
      button('timeout-button', 'Timeout', `Time out ${who} for 10 minutes`, () =>
        client?.timeout(m.user.id, TIMEOUT_SECONDS),
      ),
      button('ban-button', 'Ban', `Ban ${who} from this room`, () => client?.ban(m.user.id), true),
    );
  return actions;
}

// ── inline errors ───────────────────────────────────────────────────────────────
let errorTimer: ReturnType<typeof setInterval> | undefined;
/** Counts errors shown, so a late ack (sent once stored) does not hide a newer error. */
let errorsShown = 0;

/** Shows an error under the log; with `until`, counts down and goes away when it passes. */
function showError(text: string, until?: number): void {
  clearInterval(errorTimer);
  errorsShown += 1;
  const paint = () => {
    const left = until === undefined ? 0 : until - Date.now();
    if (until !== undefined && left <= 0) return hideError();
    ui.error.textContent = until === undefined ? text : `${text} Try again in ${waitText(left)}.`;
  };
  ui.error.hidden = false;
  paint();
  if (until !== undefined) errorTimer = setInterval(paint, 1000);
}

function hideError(): void {
  clearInterval(errorTimer);
  ui.error.hidden = true;
  ui.error.textContent = '';
}

function roomError(e: ErrorFrame): void {
  if (e.code === 'TIMED_OUT' && e.until !== undefined) return showError('You are timed out.', e.until);
  if (e.retryAfterMs !== undefined) return showError(ensureStop(e.message), Date.now() + e.retryAfterMs);
  showError(ensureStop(e.message));
}

const ensureStop = (text: string) => (/[.!?]$/.test(text) ? text : `${text}.`);

// ── status and controls ─────────────────────────────────────────────────────────
let countdown: ReturnType<typeof setInterval> | undefined;

function setStatus(state: string, text: string): void {
  clearInterval(countdown);
  ui.retry.hidden = true;
  ui.status.dataset.state = state;
  ui.status.textContent = text;
  ui.status.dataset.transport = client?.transport ?? '';
  ui.status.title = client
    ? `Transport: ${client.transport === 'http' ? 'HTTP (Server-Sent Events)' : 'WebSocket'}`
    : '';
}

/** "Can't reach the chat server. Reconnecting in 3 s…", repainted each second until the retry. */
function showReconnecting(words: string, verb: string, delayMs: number): void {
  setStatus('reconnecting', '');
  const at = Date.now() + delayMs;
  const paint = () => {
    const left = at - Date.now();
    ui.status.textContent = left > 0 ? `${words} ${verb} in ${waitText(left)}…` : `${words} ${verb} now…`;
  };
  paint();
  countdown = setInterval(paint, 1000);
  ui.retry.hidden = false;
}

function setCanWrite(open: boolean): void {
  ui.send.disabled = !open || tooLong();
}

const length = () => [...ui.input.value.trim()].length;
/** The room's limit, once it has said it; until then the room alone decides. */
const maxChars = () => settings?.maxMessageChars ?? Infinity;
const tooLong = () => length() > maxChars();

function updateCount(): void {
  ui.count.textContent = settings === null ? `${length()}` : `${length()}/${maxChars()}`;
  ui.count.classList.toggle('over', tooLong());
  ui.send.disabled = client?.state !== 'open' || tooLong();
}

function renderUsers(users: UserInfo[]): void {
  ui.users.replaceChildren(
    ...users
      .slice()
      .sort((a, b) => a.name.localeCompare(b.name))
      .map((u) => {
        names.set(u.id, u.name);
        return h('li', {}, u.name, u.role === 'viewer' ? '' : ` (${u.role})`);
      }),
  );
}

function addBanned(userId: string): void {
  const name = names.get(userId) ?? userId;
  ui.bannedTitle.hidden = false;
  const unban = h('button', { type: 'button', class: 'quiet', 'aria-label': `Unban ${name}` }, 'Unban');
  const item = h('li', {}, `${name} `, unban);
  unban.addEventListener('click', () => {
    if (client?.unban(userId)) item.remove();
  });
  ui.banned.append(item);
}

// ── the connection ──────────────────────────────────────────────────────────────
function start(who: Identity): void {
  const previous = client;
  client = null; // its closing events are no longer this page's business
  previous?.close();
  identity = who;
  me = null;
  settings = null;
  /** Set when the lookup says the room name can never work: the page stops retrying. */
  let finalLookup: string | null = null;
  const c = new ChatClient({
    backoff: RECONNECT_BACKOFF,
    url: () =>
      roomSocketUrl(roomName).catch((error: unknown) => {
        if (error instanceof RoomNameError) finalLookup = error.message;
        throw error;
      }),
  });
  client = c;
  const mine =
    <T>(listener: (payload: T) => void) =>
    (payload: T) => {
      if (client === c) listener(payload);
    };
  let welcomedBefore = false;

  c.on(
    'state',
    mine((s) => {
      if (s.state === 'connecting') setStatus('connecting', s.attempt > 0 ? 'Reconnecting…' : 'Connecting…');
      else if (s.state === 'open')
        setStatus('open', me?.role === 'anonymous' ? 'Connected, reading along' : `Connected as ${me?.name ?? ''}`);
      else if (s.state === 'reconnecting' && finalLookup !== null) {
        const text = finalLookup;
        client = null; // its closing is this page's decision, not a drop
        c.close();
        finalError(text);
      } else if (s.state === 'reconnecting')
        showReconnecting(
          lostWords(s.code, s.reason, s.explanation),
          welcomedBefore ? 'Reconnecting' : 'Trying again',
          s.delayMs,
        );
      else if (s.state === 'closed') closed(s.code, s.explanation);
      setCanWrite(s.state === 'open');
    }),
  );
  c.on(
    'welcome',
    mine((w) => {
      me = w.you;
      settings = w.settings;
      updateCount();
      ui.viewers.textContent = String(w.viewers);
      showSlow(w.settings.slow);
      const anonymous = w.you.role === 'anonymous';
      ui.composer.hidden = anonymous;
      ui.joinForm.hidden = !anonymous;
      ui.modPanel.hidden = !isModerator(w.you);
      ui.modToggle.hidden = !isModerator(w.you);
      if (w.recovered === true) {
        for (const m of w.history) list.addMessage(m);
        if (w.history.length > 0)
          list.addNotice(`Reconnected: ${w.history.length} message${w.history.length === 1 ? '' : 's'} caught up.`);
      } else {
        list.replace(w.history);
        if (welcomedBefore) list.addNotice('Reconnected.');
      }
      welcomedBefore = true;
      setStatus('open', anonymous ? 'Connected, reading along' : `Connected as ${w.you.name}`);
      if (isModerator(w.you)) c.users();
      if (!anonymous && document.activeElement === document.body) ui.input.focus();
    }),
  );
  c.on(
    'message',
    mine((m) => list.addMessage(m)),
  );
  c.on(
    'deleted',
    mine((d) => list.remove(d.id)),
  );
  c.on(
    'cleared',
    mine(() => {
      list.clear();
      list.addNotice('The chat was cleared by a moderator.');
    }),
  );
  c.on(
    'settings',
    mine((s) => {
      showSlow(s.slow);
      list.addNotice(s.slow > 0 ? `Slow mode is on: one message every ${s.slow} s.` : 'Slow mode is off.');
    }),
  );
  c.on(
    'timeout',
    mine((t) => {
      if (t.user === me?.id) showError('A moderator timed you out.', t.until);
      else if (isModerator(me)) list.addNotice(`${names.get(t.user) ?? 'A user'} was timed out.`);
    }),
  );
  c.on(
    'ban',
    mine((b) => {
      list.removeUser(b.user);
      if (isModerator(me)) {
        list.addNotice(`${names.get(b.user) ?? 'A user'} was banned.`);
        addBanned(b.user);
      }
    }),
  );
  c.on(
    'presence',
    mine((p) => {
      ui.viewers.textContent = String(p.viewers);
      if (isModerator(me)) c.users();
    }),
  );
  c.on(
    'users',
    mine((u) => {
      ui.viewers.textContent = String(u.viewers);
      renderUsers(u.users);
    }),
  );
  c.on(
    'system',
    mine((s) => list.addSystem(s.text, s.ts)),
  );
  c.on('error', mine(roomError));
  c.join(who).catch(() => undefined); // a refusal arrives as the 'closed' state too
}

/** An error retrying cannot heal: said once, in the status and under the log, and no more attempts. */
function finalError(text: string): void {
  setStatus('closed', text);
  ui.composer.hidden = true;
  ui.joinForm.hidden = true;
  showError(text);
}

function closed(code: number, explanation: string): void {
  setStatus('closed', explanation);
  ui.composer.hidden = true;
  if (identity.token !== undefined) {
    if (code !== 4001) return;
    // The link's token was refused: say so, and read along (or join with a name) instead.
    showError(`The sign-in link was not accepted (${explanation}). You are reading along; join with a name to write.`);
    ui.joinForm.hidden = false;
    start({});
    return;
  }
  // A guest or anonymous join that was refused: offer (again) to join with a name.
  ui.joinForm.hidden = false;
  if (code === 4001 && identity.name !== undefined) {
    showError(explanation);
    start({});
  } else if (code === 4001) {
    ui.joinHint.textContent = 'This room does not allow reading along without a name.';
  }
}

function showSlow(seconds: number): void {
  ui.slowIndicator.hidden = seconds === 0;
  ui.slowIndicator.textContent = `Slow mode: ${seconds} s`;
  if (document.activeElement !== ui.slowInput) ui.slowInput.value = String(seconds);
}

// ── forms ───────────────────────────────────────────────────────────────────────
ui.composer.addEventListener('submit', (event) => {
  event.preventDefault();
  const text = ui.input.value;
  if (length() === 0) return;
  if (tooLong()) return showError(`A message is at most ${maxChars()} characters.`);
  const c = client;
  if (c === null) return;
  const shownBefore = errorsShown;
  void c.send(text).then((result) => {
    if (result.ok) {
      if (errorsShown === shownBefore) hideError();
      if (ui.input.value === text) ui.input.value = '';
      updateCount();
    } else if (result.error.code === 'NOT_CONNECTED' || result.error.code === 'DISCONNECTED') {
      showError('Not connected: the message was not sent.');
    }
  });
});
ui.input.addEventListener('input', updateCount);

ui.joinForm.addEventListener('submit', (event) => {
  event.preventDefault();
  const name = ui.joinName.value.trim();
  if (name.length === 0) return;
  hideError();
  ui.joinForm.hidden = true;
  start({ name });
});

ui.slowForm.addEventListener('submit', (event) => {
  event.preventDefault();
  const seconds = Number(ui.slowInput.value);
  if (!Number.isInteger(seconds) || seconds < 0 || seconds > 3600)
    return showError('Slow mode takes a whole number of seconds from 0 to 3600.');
  client?.slow(seconds);
});
ui.clear.addEventListener('click', () => client?.clear());
ui.retry.addEventListener('click', () => client?.reconnectNow());
// Coming back online or to the tab: no reason to wait out the delay.
window.addEventListener('online', () => client?.reconnectNow());
document.addEventListener('visibilitychange', () => {
  if (document.visibilityState === 'visible') client?.reconnectNow();
});

/** On narrow screens the moderation tools are a sheet the host opens and closes. */
function setModOpen(open: boolean): void {
  ui.modPanel.classList.toggle('open', open);
  ui.modToggle.setAttribute('aria-expanded', String(open));
}
ui.modToggle.addEventListener('click', () => setModOpen(!ui.modPanel.classList.contains('open')));
ui.modPanel.addEventListener('keydown', (event) => {
  if (event.key !== 'Escape' || !ui.modPanel.classList.contains('open')) return;
  setModOpen(false);
  ui.modToggle.focus();
});

// The browser's own "Please match the requested format." says nothing about what would match.
ui.roomInput.addEventListener('input', () => ui.roomInput.setCustomValidity(''));
ui.roomInput.addEventListener('invalid', () => {
  if (ui.roomInput.validity.patternMismatch) ui.roomInput.setCustomValidity(ROOM_NAME_RULE);
});
ui.usersButton.addEventListener('click', () => client?.users());

// ── boot ────────────────────────────────────────────────────────────────────────
if (roomName === '') {
  ui.roomForm.hidden = false;
  ui.meta.hidden = true;
  setStatus('idle', 'Choose a room to open.');
} else {
  ui.title.textContent = roomName;
  document.title = `${roomName} · Chat`;
  ui.layout.hidden = false;
  if (token) {
    // Keep the token out of the address bar, bookmarks and shared links.
    params.delete('token');
    window.history.replaceState(null, '', `${window.location.pathname}?${params.toString()}`);
    start({ token });
  } else {
    start({});
  }
  updateCount();
}
