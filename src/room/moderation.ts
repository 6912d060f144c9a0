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
import { ChatModesState } from './chat-modes.js';
import type { Clock } from './clock.js';

/** Ban and unban acts this room keeps until the master's cache has taken them in. */
const MAX_OWN_ACTS = 10_000;

interface BanAct {
  seq: number;
  user: string;
  banned: boolean;
  /** A guest's client address the ban also holds (GUEST_BANS_BY_ADDRESS). */
  address?: string | undefined;
}

/** A ban or timeout as the master's cache hands it to the room (RoomCache). */
export interface HeldBy {
  user: string;
  address?: string | undefined;
}

export const ONLY_MODERATORS = 'Only moderators and hosts may do this';

/** Why an actor may not do something, as the room tells them. */
export type Refusal = string | null;

export class Moderation {
  readonly rule = MODERATION_RULE;
  /** The room's chat modes (slow mode among them). */
  readonly modes = new ChatModesState();
  private readonly timeouts = new Map<string, number>();
  /** Guest timeouts by client address: a guest joining from there is timed out too. */
  private readonly addressTimeouts = new Map<string, number>();
  /** The client address each timed-out guest had. */
  private readonly timeoutAddress = new Map<string, string>();
  private cacheThrough = 0;
  private ownActs: BanAct[] = [];
  private effective = new Set<string>();
  /** Users warned and not yet acknowledged, with the reason. */
  private readonly warnings = new Map<string, string>();
  /** The client address each banned guest had; an address is banned while one of its users is. */
  private readonly banAddress = new Map<string, string>();
  private bannedAddresses = new Set<string>();

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
    return this.modes.current.slow;
  }

  /** Times a user out until `until` (ms since the epoch); a later timeout replaces an earlier one. */
  timeout(user: string, until: number, address?: string): void {
    this.timeouts.set(user, until);
    if (!address) return;
    this.addressTimeouts.set(address, until);
    this.timeoutAddress.set(user, address);
  }

  /** Until when a guest joining from `address` is timed out, or undefined. */
  addressTimedOutUntil(address: string): number | undefined {
    const until = this.addressTimeouts.get(address);
    if (until === undefined) return undefined;
    if (until > this.clock.now()) return until;
    this.addressTimeouts.delete(address);
    return undefined;
  }

  /** The store's timeouts (RoomCache): each holds unless one at least as long is known already. */
  applyTimeouts(timeouts: ReadonlyArray<HeldBy & { until: number }>): void {
    for (const t of timeouts) {
      if ((this.timeouts.get(t.user) ?? 0) < t.until) this.timeouts.set(t.user, t.until);
      if (!t.address) continue;
      this.timeoutAddress.set(t.user, t.address);
      if ((this.addressTimeouts.get(t.address) ?? 0) < t.until) this.addressTimeouts.set(t.address, t.until);
    }
  }

  /** Until when the user is timed out, or undefined; an expired timeout is forgotten. */
  timedOutUntil(user: string): number | undefined {
    const until = this.timeouts.get(user);
    if (until === undefined) return undefined;
    if (until > this.clock.now()) return until;
    this.timeouts.delete(user);
    return undefined;
  }

  // ── warnings ──────────────────────────────────────────────────────────────────
  warn(user: string, reason: string): void {
    this.warnings.set(user, reason);
  }

  /** The reason the user was warned, while they have not acknowledged it. */
  warning(user: string): string | undefined {
    return this.warnings.get(user);
  }

  /** The user read the warning; false when there was none. */
  acknowledge(user: string): boolean {
    return this.warnings.delete(user);
  }

  // ── bans ──────────────────────────────────────────────────────────────────────
  isBanned(user: string): boolean {
    return this.effective.has(user);
  }

  /** Whether a guest ban holds the client address `address`. */
  isAddressBanned(address: string): boolean {
    return address !== '' && this.bannedAddresses.has(address);
  }

  /** This room's ban, recorded as `seq`; true when the user was not banned before. */
  ban(user: string, seq: number, address?: string): boolean {
    this.keep({ seq, user, banned: true, address });
    if (address) this.banAddress.set(user, address);
    const fresh = !this.effective.has(user);
    this.effective.add(user);
    this.indexAddresses();
    return fresh;
  }

  /** This room's unban, recorded as `seq`: lifts the ban and the timeout (and what they held by address). */
  unban(user: string, seq: number): void {
    this.keep({ seq, user, banned: false });
    this.effective.delete(user);
    const address = this.timeoutAddress.get(user);
    if (address !== undefined) this.addressTimeouts.delete(address);
    this.timeoutAddress.delete(user);
    this.banAddress.delete(user);
    this.timeouts.delete(user);
    this.indexAddresses();
  }

  private indexAddresses(): void {
    const next = new Set<string>();
    for (const [user, address] of this.banAddress) if (this.effective.has(user)) next.add(address);
    this.bannedAddresses = next;
  }

  /**
   * The master's list as of record `through`: acts it has taken in are dropped,
   * later ones applied over it. Returns the users who entered the set.
   */
  applyCache(bans: readonly string[], through: number, addresses: readonly HeldBy[] = []): string[] {
    if (through >= this.cacheThrough) {
      this.cacheThrough = through;
      this.ownActs = this.ownActs.filter((act) => act.seq > through);
    }
    const next = new Set(bans);
    for (const held of addresses) if (held.address) this.banAddress.set(held.user, held.address);
    for (const act of this.ownActs) {
      if (act.banned) next.add(act.user);
      else next.delete(act.user);
    }
    const entered: string[] = [];
    for (const user of next) if (!this.effective.has(user)) entered.push(user);
    this.effective = next;
    for (const user of this.banAddress.keys()) if (!next.has(user)) this.banAddress.delete(user);
    this.indexAddresses();
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
    for (const [user, until] of this.timeouts)
      if (until <= now) {
        this.timeouts.delete(user);
        this.timeoutAddress.delete(user);
      }
    for (const [address, until] of this.addressTimeouts) if (until <= now) this.addressTimeouts.delete(address);
  }
}
