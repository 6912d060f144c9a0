/**
 * Who this page is in the room: the current connection, the identity it joined
 * with, the user the room welcomed and the room's rules. The connection module
 * (connection.ts) writes these; the other parts of the page read them. `names` is
 * the one shared notebook: whatever shows a user (a line, the users list) notes
 * their name for the notices that only carry an id.
 */
import type { WelcomeSettings } from '../../protocol/frames.js';
import { isModerator as roleModerates, mayDelete, mayModerate } from '../../protocol/moderation-rule.js';
import type { ChatClient, Identity, UserInfo } from '../sdk.js';

export const session = {
  client: null as ChatClient | null,
  identity: {} as Identity,
  me: null as UserInfo | null,
  /**
   * The room's rules from its welcome: the message limit and who may moderate whom.
   * The page offers exactly what the room will accept, decided by the same rule
   * (src/protocol/moderation-rule.ts) with the room's own table.
   */
  settings: null as WelcomeSettings | null,
  /** Names of users seen since the page opened, for notices about them. */
  names: new Map<string, string>(),
};

export const isModerator = (user: UserInfo | null): boolean =>
  user !== null && session.settings !== null && roleModerates(user.role, session.settings.moderationRule);

/** A user's name as last seen, or `fallback` for one this page never saw. */
export const nameOf = (userId: string, fallback = 'A user'): string => session.names.get(userId) ?? fallback;

/** What this page's user may do to a line by `author`: delete it, or act on its author. */
export interface Permissions {
  delete: boolean;
  moderate: boolean;
}

export function permissionsOn(author: UserInfo): Permissions {
  const { me, settings } = session;
  if (me === null || settings === null) return { delete: false, moderate: false };
  const own = author.id === me.id;
  const rule = settings.moderationRule;
  return {
    delete: mayDelete(me.role, author.role, own, rule),
    moderate: !own && mayModerate(me.role, author.role, rule),
  };
}
