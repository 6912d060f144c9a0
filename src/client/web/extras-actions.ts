/**
 * The actions on a line beyond moderation: reply (anyone who may write) and pin
 * (mods and hosts). They join the line's menu (message-actions.ts).
 */
import type { MessageAction } from './message-actions.js';
import { startReply } from './reply-draft.js';
import { isModerator, session } from './session.js';

const mayWrite = () => session.me !== null && session.me.role !== 'anonymous';

export const EXTRA_ACTIONS: MessageAction[] = [
  {
    testid: 'reply-button',
    text: (m) => `Reply to ${m.user.name}`,
    applies: () => mayWrite(),
    run: (m) => startReply(m),
  },
  {
    testid: 'pin-button',
    text: () => 'Pin message',
    applies: () => isModerator(session.me),
    run: (m) => session.client?.pin(m.id),
  },
];
