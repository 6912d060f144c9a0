/**
 * The room's moderation state and rule: timeouts, slow mode, and the effective
 * ban set; who may act on whom comes from the one rule in
 * src/protocol/moderation-rule.ts (the same the page is sent).
 *
 * Bans have two sources: the master's cache (what the store holds, as of the
 * record sequence number `through`) and this room's own acts. The effective set
 * is the cache's list with this room's ban and unban acts after `through`
 * applied over it, in order: a list built before the master took in a fresh ban
 * never undoes it, even for a moment, and a list that already holds it changes
 * nothing. Callers are told who entered the set, so a `ban` goes out once.
 */
import type { Role } from '../protocol/frames.js';
import { isModerator, mayDelete, mayModerate, MODERATION_RULE } from '../protocol/moderation-rule.js';
import type { Clock } from './clock.js';

/** Ban and unban acts this room keeps until the master's cache has taken them in. */
const MAX_OWN_ACTS = 10_000;

interface BanAct {
  seq: number;
  user: string;
  banned: boolean;
}

export const ONLY_MODERATORS = 'Only moderators and hosts may do this';

/** Why an actor may not do something, as the room tells them. */
export type Refusal = string | null;

export class Moderation {
  readonly rule = MODERATION_RULE;
  private slow = 0;
  private readonly timeouts = new Map<string, number>();
  private cacheThrough = 0;
  private ownActs: BanAct[] = [];
  private effective = new Set<string>();

  constructor(private readonly clock: Clock) {}

  // ── the rule ──────────────────────────────────────────────────────────────────
  /** Null when `actor` may act on a user of `target` role (undefined: unknown or any). */
  refusal(actor: Role, target: Role | undefined): Refusal {
    if (!isModerator(actor, this.rule)) return ONLY_MODERATORS;
    if (!mayModerate(actor, target, this.rule)) return `A ${actor} cannot moderate a ${target}`;
    return null;
  }

  /** Null when `actor` may delete a message by a user of `author` role (`own`: the actor wrote it). */
  deleteRefusal(actor: Role, author: Role, own: boolean): Refusal {
    if (!isModerator(actor, this.rule)) return ONLY_MODERATORS;
    if (!mayDelete(actor, author, own, this.rule)) return `A ${actor} cannot moderate a ${author}`;
    return null;
  }

  isModerator(role: Role): boolean {
    return isModerator(role, this.rule);
  }

  // ── slow mode and timeouts ────────────────────────────────────────────────────
  get slowSeconds(): number {
    return this.slow;
  }

  setSlow(seconds: number): void {
    this.slow = seconds;
  }

  /** Times a user out until `until` (ms since the epoch); a later timeout replaces an earlier one. */
  timeout(user: string, until: number): void {
    this.timeouts.set(user, until);
  }

  /** Until when the user is timed out, or undefined; an expired timeout is forgotten. */
  timedOutUntil(user: string): number | undefined {
    const until = this.timeouts.get(user);
    if (until === undefined) return undefined;
    if (until > this.clock.now()) return until;
    this.timeouts.delete(user);
    return undefined;
  }

  // ── bans ──────────────────────────────────────────────────────────────────────
  isBanned(user: string): boolean {
    return this.effective.has(user);
  }

  /** This room's ban, recorded as `seq`; true when the user was not banned before. */
  ban(user: string, seq: number): boolean {
    this.keep({ seq, user, banned: true });
    if (this.effective.has(user)) return false;
    this.effective.add(user);
    return true;
  }

  /** This room's unban, recorded as `seq`: lifts the ban and the timeout. */
  unban(user: string, seq: number): void {
    this.keep({ seq, user, banned: false });
    this.effective.delete(user);
    this.timeouts.delete(user);
  }

  /**
   * The master's list as of record `through`: acts it has taken in are dropped,
   * later ones applied over it. Returns the users who entered the set.
   */
  applyCache(bans: readonly string[], through: number): string[] {
    if (through >= this.cacheThrough) {
      this.cacheThrough = through;
      this.ownActs = this.ownActs.filter((act) => act.seq > through);
    }
    const next = new Set(bans);
    for (const act of this.ownActs) {
      if (act.banned) next.add(act.user);
      else next.delete(act.user);
    }
    const entered: string[] = [];
    for (const user of next) if (!this.effective.has(user)) entered.push(user);
    this.effective = next;
    return entered;
  }

  private keep(act: BanAct): void {
    this.ownActs.push(act);
    // Only a master that never catches up lets this grow; the oldest acts are the
    // ones it has most likely taken in already.
    if (this.ownActs.length > MAX_OWN_ACTS) this.ownActs.shift();
  }

  /** Forgets timeouts that have run out (the room's periodic upkeep). */
  sweep(): void {
    const now = this.clock.now();
    for (const [user, until] of this.timeouts) if (until <= now) this.timeouts.delete(user);
  }
}
