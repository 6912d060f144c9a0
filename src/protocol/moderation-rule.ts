/**
 * Who may moderate whom: the one rule, used by the room to decide and sent to
 * clients in `welcome.settings.moderationRule`, so the page offers exactly the
 * actions the room will accept. Nobody moderates a host; a mod moderates viewers,
 * guests and anonymous readers; a host moderates everyone but hosts. Anyone who may
 * moderate may delete their own messages.
 */
import type { ModerationRule, Role } from './frames.js';

export const MODERATION_RULE: ModerationRule = {
  mod: ['viewer', 'guest', 'anonymous'],
  host: ['mod', 'viewer', 'guest', 'anonymous'],
};

/** Whether the role may moderate at all (delete, timeout, ban, slow, clear). */
export function isModerator(role: Role, rule: ModerationRule = MODERATION_RULE): boolean {
  return rule[role] !== undefined;
}

/**
 * Whether `actor` may act on a user of `target` role (undefined: a user the room
 * has never seen, whom any moderator may act on).
 */
export function mayModerate(actor: Role, target: Role | undefined, rule: ModerationRule = MODERATION_RULE): boolean {
  const targets = rule[actor];
  if (targets === undefined) return false;
  return target === undefined || targets.includes(target);
}

/** Whether `actor` may delete a message by a user of `author` role (`own`: the actor wrote it). */
export function mayDelete(actor: Role, author: Role, own: boolean, rule: ModerationRule = MODERATION_RULE): boolean {
  return own ? isModerator(actor, rule) : mayModerate(actor, author, rule);
}
