/**
 * The page's connection to its room: joins through the client SDK (as the token's
 * user, as a guest with a typed name, or read-only), tells the other parts of the
 * page what the room says, and decides what a refusal means: retry, read along,
 * or stop with words that say what to do.
 */
import { ChatClient, type Identity } from '../sdk.js';
import { byId } from './dom.js';
import { focusComposer, setCanWrite, showComposer, updateCount } from './composer.js';
import { roomError, showError } from './inline-error.js';
import { addHeld, removeHeld, showModes } from './chat-modes.js';
import { nameRefused, setJoinHint, showJoinForm } from './join-form.js';
import { forgetGuest, rememberGuest } from './remembered.js';
import { markDeleted, renderMessage } from './message-line.js';
import { mentionsMe } from './message-extras.js';
import { noteMention } from './mention-count.js';
import { showPin, watchLines } from './pinned-bar.js';
import { parentGone } from './reply-draft.js';
import { showTipButton } from './tip-form.js';
import { clock, MessageList } from './message-list.js';
import { addBanned, addTimedOut, liftFor, listLacks, renderUsers, showModTools, showSlow } from './mod-panel.js';
import { lostWords, RECONNECT_BACKOFF } from './reconnect.js';
import { RoomNameError, roomSocketUrl } from './room-url.js';
import { isModerator, nameOf, session } from './session.js';
import { setStatus, setTransport, showReconnecting } from './status-line.js';

const viewers = byId('viewer-count');
const list = new MessageList(
  byId<HTMLOListElement>('messages'),
  byId<HTMLButtonElement>('jump'),
  byId('empty-state'),
  renderMessage,
);
watchLines((id) => list.line(id));

/** The "Undo" on a notice about a timeout or ban: the protocol's unban lifts either. */
const undo = (userId: string, what: string) => ({
  text: 'Undo',
  label: `Undo: ${what}`,
  testid: 'undo-button',
  run: () => liftFor(userId),
});

/** Joins `roomName` as `who`, replacing any connection the page had. */
export function start(roomName: string, who: Identity): void {
  const previous = session.client;
  session.client = null; // its closing events are no longer this page's business
  previous?.close();
  session.identity = who;
  session.me = null;
  session.settings = null;
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
  session.client = c;
  const mine =
    <T>(listener: (payload: T) => void) =>
    (payload: T) => {
      if (session.client === c) listener(payload);
    };
  let welcomedBefore = false;
  const connectedWords = () =>
    session.me?.role === 'anonymous' ? 'Connected, reading along' : `Connected as ${session.me?.name ?? ''}`;

  c.on(
    'state',
    mine((s) => {
      if (s.state === 'connecting') setStatus('connecting', s.attempt > 0 ? 'Reconnecting…' : 'Connecting…');
      else if (s.state === 'open') {
        setStatus('open', connectedWords());
        setTransport(c.transport);
      } else if (s.state === 'reconnecting' && finalLookup !== null) {
        const text = finalLookup;
        session.client = null; // its closing is this page's decision, not a drop
        c.close();
        finalError(text);
      } else if (s.state === 'reconnecting')
        showReconnecting(
          lostWords(s.code, s.reason, s.explanation),
          welcomedBefore ? 'Reconnecting' : 'Trying again',
          s.delayMs,
        );
      else if (s.state === 'closed') closed(roomName, s.code, s.explanation);
      setCanWrite(s.state === 'open');
    }),
  );
  c.on(
    'welcome',
    mine((w) => {
      session.me = w.you;
      session.settings = w.settings;
      updateCount();
      viewers.textContent = String(w.viewers);
      showSlow(w.settings.slow);
      showModes(w.settings);
      if (w.guestToken !== undefined) rememberGuest(w.you.name, w.guestToken);
      const anonymous = w.you.role === 'anonymous';
      showComposer(!anonymous);
      showJoinForm(anonymous);
      showModTools(isModerator(w.you));
      showTipButton(w.you, w.settings.tips);
      if (w.recovered === true) {
        for (const m of w.history) list.addMessage(m);
        if (w.history.length > 0)
          list.addNotice(`Reconnected: ${w.history.length} message${w.history.length === 1 ? '' : 's'} caught up.`);
      } else {
        list.replace(w.history);
        if (welcomedBefore) list.addNotice('Reconnected.');
      }
      showPin(w.pinned ?? null);
      welcomedBefore = true;
      setStatus('open', connectedWords());
      setTransport(c.transport);
      if (isModerator(w.you)) c.users();
      if (!anonymous) focusComposer();
    }),
  );
  c.on(
    'message',
    mine((m) => {
      list.addMessage(m);
      const line = list.line(m.id);
      if (line !== undefined && mentionsMe(m)) noteMention(line);
      if (isModerator(session.me) && listLacks(m.user.id)) c.users();
    }),
  );
  c.on(
    'deleted',
    mine((d) => {
      const line = list.line(d.id);
      if (line !== undefined) markDeleted(line);
      parentGone(d.id);
    }),
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
      const slowChanged = s.slow !== session.settings?.slow;
      if (session.settings !== null) session.settings = { ...session.settings, ...s };
      showSlow(s.slow);
      showModes(s);
      if (slowChanged)
        list.addNotice(s.slow > 0 ? `Slow mode is on: one message every ${s.slow} s.` : 'Slow mode is off.');
    }),
  );
  c.on(
    'timeout',
    mine((t) => {
      if (t.user === session.me?.id) showError('A moderator timed you out.', t.until);
      else if (isModerator(session.me)) {
        const what = `${nameOf(t.user)} was timed out until ${clock(new Date(t.until))}.`;
        list.addNotice(what, undo(t.user, what));
        addTimedOut(t.user, t.until);
      }
    }),
  );
  c.on(
    'ban',
    mine((b) => {
      list.removeUser(b.user);
      if (isModerator(session.me)) {
        const what = `${nameOf(b.user)} was banned.`;
        list.addNotice(what, undo(b.user, what));
        addBanned(b.user);
      }
    }),
  );
  c.on(
    'presence',
    mine((p) => {
      viewers.textContent = String(p.viewers);
      if (isModerator(session.me)) c.users();
    }),
  );
  c.on(
    'users',
    mine((u) => {
      viewers.textContent = String(u.viewers);
      renderUsers(u.users);
    }),
  );
  c.on(
    'system',
    mine((s) => list.addSystem(s.text, s.ts)),
  );
  c.on(
    'pinned',
    mine((p) => showPin(p)),
  );
  c.on(
    'unpinned',
    mine(() => showPin(null)),
  );
  c.on(
    'error',
    mine((e) => {
      // A refused guest name: said beside the name field; the next name goes on this connection (rename).
      if (e.code.startsWith('NAME_')) return nameRefused(e.message);
      roomError(e);
    }),
  );
  c.on(
    'held',
    mine(() => list.addNotice('Your message is held for a moderator to review.')),
  );
  c.on('review', mine(addHeld));
  c.on(
    'reviewed',
    mine((r) => removeHeld(r.id)),
  );
  c.on(
    'warned',
    mine((w) => {
      const what = `A moderator warned you${w.reason ? `: ${w.reason}` : ''}.`;
      list.addNotice(what, {
        text: 'I understand',
        label: 'Acknowledge the warning',
        testid: 'acknowledge-button',
        run: () => c.modes.acknowledge(),
      });
    }),
  );
  c.join(who).catch(() => undefined); // a refusal arrives as the 'closed' state too
}

/** An error retrying cannot heal: said once, in the status and under the log, and no more attempts. */
function finalError(text: string): void {
  setStatus('closed', text);
  showComposer(false);
  showJoinForm(false);
  showError(text);
}

function closed(roomName: string, code: number, explanation: string): void {
  setStatus('closed', explanation);
  showComposer(false);
  if (session.identity.token !== undefined) {
    if (code !== 4001) return;
    // The link's token was refused: say so, and read along (or join with a name) instead.
    showError(`The sign-in link was not accepted (${explanation}). You are reading along; join with a name to write.`);
    showJoinForm(true);
    start(roomName, {});
    return;
  }
  // A guest or anonymous join that was refused: offer (again) to join with a name.
  showJoinForm(true);
  if (code === 4001 && session.identity.guestToken !== undefined) forgetGuest();
  if (code === 4001 && session.identity.name !== undefined) {
    showError(explanation);
    start(roomName, {});
  } else if (code === 4001) {
    setJoinHint('This room does not allow reading along without a name.');
  }
}
