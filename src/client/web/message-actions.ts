/**
 * What a moderator can do to one message line: a list of actions, each saying
 * when it applies and what it does. The line renderer offers the ones that apply;
 * a new action is one more entry here.
 */
import type { ChatMessage } from '../sdk.js';
import { h } from './dom.js';
import { type Permissions, session } from './session.js';

const TIMEOUT_SECONDS = 600;

export interface MessageAction {
  /** The control's data-testid. */
  testid: string;
  text: string;
  /** The accessible name, naming the author. */
  label: (m: ChatMessage) => string;
  applies: (may: Permissions) => boolean;
  run: (m: ChatMessage) => void;
  danger?: boolean;
}

export const MESSAGE_ACTIONS: MessageAction[] = [
  {
    testid: 'delete-button',
    text: 'Delete',
    label: (m) => `Delete this message from ${m.user.name}`,
    applies: (may) => may.delete,
    run: (m) => session.client?.delete(m.id),
  },
  {
    testid: 'timeout-button',
    text: 'Timeout',
    label: (m) => `Time out ${m.user.name} for 10 minutes`,
    applies: (may) => may.moderate,
    run: (m) => session.client?.timeout(m.user.id, TIMEOUT_SECONDS),
  },
  {
    testid: 'ban-button',
    text: 'Ban',
    label: (m) => `Ban ${m.user.name} from this room`,
    applies: (may) => may.moderate,
    run: (m) => session.client?.ban(m.user.id),
    danger: true,
  },
];

/** The actions that apply to `m`, as buttons; null when none does. */
export function actionControls(m: ChatMessage, may: Permissions): HTMLElement | null {
  const offered = MESSAGE_ACTIONS.filter((action) => action.applies(may));
  if (offered.length === 0) return null;
  return h(
    'span',
    { class: 'actions' },
    ...offered.map((action) => {
      const b = h(
        'button',
        {
          type: 'button',
          class: action.danger === true ? 'quiet danger' : 'quiet',
          'data-testid': action.testid,
          'aria-label': action.label(m),
        },
        action.text,
      );
      b.addEventListener('click', () => action.run(m));
      return b;
    }),
  );
}
