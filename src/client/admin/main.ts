/**
 * The operator's console (served at /admin/ on the admin listener): asks for the
 * admin key, then polls the admin API every few seconds and shows the server,
 * its rooms, a room's page (#/room/<name>) and the server-wide lists (#/lists).
 * Server-wide actions are here: broadcast, drain/resume, restart and shutdown,
 * the destructive ones behind a confirmation. Plain DOM code, no framework; text
 * goes in through textContent only.
 */
import './styles.css';
import { byId } from '../web/dom.js';
import { AdminApi, ApiFailure, forgetKey, refusalText, storedKey, storeKey } from './api.js';
import { confirmAction } from './confirm.js';
import { attempt, type ConsoleContext } from './context.js';
import { MessageRates } from './history.js';
import { ListsView } from './lists-view.js';
import { field, onSubmit } from './forms.js';
import { RoomView } from './room-view.js';
import { RoomsTable } from './rooms-view.js';
import { recordTrends, renderState } from './state-view.js';
import type { RoomStats } from './types.js';

const POLL_MS = 3_000;

let api: AdminApi | null = null;
let timer: number | undefined;
let polling = false;
let again = false;

const rates = new MessageRates();
const table = new RoomsTable();

function report(text: string, tone: 'ok' | 'error' = 'ok'): void {
  const line = byId('action-result');
  line.textContent = text;
  line.dataset.tone = tone;
  line.setAttribute('role', tone === 'error' ? 'alert' : 'status');
}

function failed(error: unknown): void {
  if (error instanceof ApiFailure && error.refusesKey) signOut(refusalText(error));
  else report(error instanceof Error ? error.message : String(error), 'error');
}

const ctx: ConsoleContext = {
  api: () => {
    if (api === null) throw new Error('Not signed in');
    return api;
  },
  report,
  failed,
  refresh: () => schedule(0),
};

const roomView = new RoomView(ctx);
const listsView = new ListsView(ctx);

type View = { kind: 'overview' } | { kind: 'room'; name: string } | { kind: 'lists' };

function currentView(): View {
  const hash = window.location.hash;
  const room = /^#\/room\/(.+)$/.exec(hash);
  if (room !== null) return { kind: 'room', name: decodeURIComponent(room[1]!) };
  if (hash === '#/lists') return { kind: 'lists' };
  return { kind: 'overview' };
}

function showView(): void {
  const view = currentView();
  byId('overview-view').hidden = view.kind !== 'overview';
  byId('room-view').hidden = view.kind !== 'room';
  byId('lists-view').hidden = view.kind !== 'lists';
  for (const link of document.querySelectorAll<HTMLAnchorElement>('nav a')) {
    const here = link.getAttribute('href') === (view.kind === 'lists' ? '#/lists' : '#/') && view.kind !== 'room';
    if (here) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  if (view.kind === 'room') roomView.show(view.name);
  schedule(0);
}

/** One poll: the server's state and rooms always, plus what the open view shows. */
async function poll(): Promise<void> {
  if (api === null) return;
  const status = byId('poll-status');
  try {
    const [load, rooms, ready] = await Promise.all([
      api.load(),
      api.get<RoomStats[]>('/rooms'),
      api.ready().catch(() => null),
    ]);
    const now = Date.now();
    rates.update(now, rooms);
    recordTrends(now, load, rooms);
    renderState(load, ready, rooms.length);
    table.render(rooms, rates);
    byId('drain-button').hidden = !load.acceptingConnections;
    byId('resume-button').hidden = load.acceptingConnections;
    const view = currentView();
    if (view.kind === 'room') await roomView.poll();
    if (view.kind === 'lists') await listsView.poll();
    status.textContent = `Updated ${new Date(now).toLocaleTimeString('en-GB')}`;
    status.dataset.state = 'ok';
  } catch (error) {
    if (error instanceof ApiFailure && error.refusesKey) return signOut(refusalText(error));
    status.textContent = error instanceof Error ? error.message : String(error);
    status.dataset.state = 'error';
  }
}

/** Polls after `ms`; one poll at a time, and a poll asked for during one runs right after it. */
function schedule(ms: number): void {
  if (api === null) return;
  window.clearTimeout(timer);
  timer = window.setTimeout(() => {
    if (polling) {
      again = true;
      return;
    }
    polling = true;
    void poll().finally(() => {
      polling = false;
      schedule(again ? 0 : POLL_MS);
      again = false;
    });
  }, ms);
}

function signIn(key: string): void {
  api = new AdminApi(key);
  byId('login').hidden = true;
  byId('console').hidden = false;
  byId('sign-out').hidden = false;
  showView();
}

function signOut(why: string): void {
  forgetKey();
  api = null;
  window.clearTimeout(timer);
  byId('console').hidden = true;
  byId('sign-out').hidden = true;
  byId('login').hidden = false;
  const error = byId('login-error');
  error.textContent = why;
  error.hidden = why === '';
  byId<HTMLInputElement>('key-input').focus();
}

onSubmit('login', async (form) => {
  const key = field(form, 'key');
  const button = byId<HTMLButtonElement>('login-button');
  button.disabled = true;
  try {
    // GET /api/v1/ answers only a right key: the check before anything is shown.
    await new AdminApi(key).get('/');
    storeKey(key);
    form.reset();
    byId('login-error').hidden = true;
    signIn(key);
  } catch (error) {
    const text = error instanceof ApiFailure ? refusalText(error) : String(error);
    const line = byId('login-error');
    line.textContent = text;
    line.hidden = false;
  } finally {
    button.disabled = false;
  }
});

byId('sign-out').addEventListener('click', () => signOut(''));

// ── server-wide actions ───────────────────────────────────────────────────────
onSubmit('broadcast-form', async (form) => {
  const text = field(form, 'text');
  if (await attempt(ctx, () => ctx.api().call('POST', '/broadcast', { text }), 'Sent to every room')) form.reset();
});

function confirmed(id: string, title: string, text: string, label: string, run: () => Promise<unknown>, done: string) {
  byId(id).addEventListener('click', () => {
    void confirmAction(title, text, label).then(async (yes) => {
      if (yes) await attempt(ctx, run, done);
    });
  });
}

confirmed(
  'drain-button',
  'Drain this server?',
  'No new rooms are created here and the balancers stop sending rooms; rooms already open keep running.',
  'Drain',
  () => ctx.api().call('POST', '/drain'),
  'Draining: no new rooms',
);
byId('resume-button').addEventListener('click', () => {
  void attempt(ctx, () => ctx.api().call('POST', '/resume'), 'Accepting new rooms');
});
confirmed(
  'restart-button',
  'Restart the server?',
  'Every room closes (viewers get 1001), queued transcripts are written, and the process exits with code 3 for its process manager to start it again.',
  'Restart',
  () => ctx.api().call('POST', '/restart'),
  'Restarting',
);
confirmed(
  'shutdown-button',
  'Shut the server down?',
  'Every room closes (viewers get 1001), queued transcripts are written, and the process exits with code 0: it stays down.',
  'Shut down',
  () => ctx.api().call('DELETE', '/shutdown'),
  'Shutting down',
);

window.addEventListener('hashchange', showView);

const saved = storedKey();
if (saved === null) signOut('');
else signIn(saved);
