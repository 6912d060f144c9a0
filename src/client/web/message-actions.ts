/**
 * What a moderator can do to one message line: a list of actions, each saying
 * when it applies and what it does. The line's menu (message-menu.ts) offers the
 * ones that apply; a new action is one more entry here.
 */
import type { ChatMessage } from '../sdk.js';
import { confirmAction } from './confirm-dialog.js';
import { EXTRA_ACTIONS } from './extras-actions.js';
import { type Permissions, session } from './session.js';

export interface MessageAction {
  /** The menu item's data-testid. */
  testid: string;
  /** The menu item's words, naming the author where that helps. */
  text: (m: ChatMessage) => string;
  applies: (may: Permissions) => boolean;
  run: (m: ChatMessage) => void;
  /** More data-* attributes for the item (tests tell the timeouts apart by data-seconds). */
  data?: Record<string, string>;
  danger?: boolean;
}

/** The timeouts a moderator can choose from, shortest first. */
export const TIMEOUT_CHOICES: ReadonlyArray<{ seconds: number; words: string }> = [
  { seconds: 60, words: '1 minute' },
  { seconds: 600, words: '10 minutes' },
  { seconds: 3600, words: '1 hour' },
  { seconds: 86_400, words: '1 day' },
];

export const MESSAGE_ACTIONS: MessageAction[] = [
  {
    testid: 'delete-button',
    text: () => 'Delete message',
    applies: (may) => may.delete,
    run: (m) => session.client?.delete(m.id),
  },
  ...TIMEOUT_CHOICES.map(({ seconds, words }): MessageAction => ({
    testid: 'timeout-button',
    text: (m) => `Time out ${m.user.name} for ${words}`,
    applies: (may) => may.moderate,
    run: (m) => session.client?.timeout(m.user.id, seconds),
    data: { seconds: String(seconds) },
  })),
  // Reply and pin (extras-actions.ts) before the ban, which stays last: the one that asks first.
  ...EXTRA_ACTIONS,
  {
    testid: 'warn-button',
    text: (m) => `Warn ${m.user.name}`,
    applies: (may) => may.moderate,
    // The room tells them; they post again once they acknowledge it.
    run: (m) => session.client?.modes.warn(m.user.id, 'Please keep to the rules of this chat'),
  },
  {
    testid: 'ban-button',
    text: (m) => `Ban ${m.user.name}…`,
    applies: (may) => may.moderate,
    run: (m) =>
      void confirmAction(
        `Ban ${m.user.name} from this room? Their messages disappear and they cannot come back until unbanned.`,
        'Ban',
      ).then((yes) => yes && session.client?.ban(m.user.id)),
    danger: true,
  },
];

export const actionsFor = (may: Permissions): MessageAction[] =>
  MESSAGE_ACTIONS.filter((action) => action.applies(may));
