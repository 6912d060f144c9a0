/**
 * The master's copy of the store's shared data — bans and blocked terms — and
 * the only way rooms get it: loaded at start, refreshed every CACHE_REFRESH_S and
 * on demand; whenever it changes, `onChange` names the rooms concerned (undefined:
 * every open room) and the data layer sends them their lists.
 *
 * The cache follows what was written (or is queued to be written): a room's
 * in-band ban or unban is applied at once, in the order received (`apply`); an
 * admin change is applied once its batch is stored (`change`); a refresh reads the
 * store and lays over it every ban change still in the transcript writer's queue,
 * so a refresh never undoes a ban the store has not taken yet.
 *
 * Admin changes and refreshes run one at a time, in order, so a refresh that
 * started before a change can never be the last word after it. When the store
 * does not answer, the last good copy stays in force (and is what new rooms get).
 *
 * The blocked-term list is seeded from config/blocked-terms.txt the first time
 * the store has none; after that the store's list is the one that counts.
 */
import { readFileSync } from 'node:fs';
import type { Logger } from '../logger.js';
import type { RoomCache } from '../protocol/room-messages.js';
import { type Ban, type BanChange, inForce, isTimeout, type Store } from '../store/store.js';
import { withDeadline } from '../lifecycle.js';
import type { StoreHealth } from './store-health.js';

/** How long one store call may take before the cache treats the store as down. */
export const STORE_CALL_TIMEOUT_MS = 5_000;

export const DEFAULT_TERMS_FILE = new URL('../../../config/blocked-terms.txt', import.meta.url);

export interface DataCacheOptions {
  store: Store;
  health: StoreHealth;
  logger: Logger;
  refreshS: number;
  termsFile?: URL | string;
  /** Ban changes not yet in the store (the transcript writer's queue), oldest first. */
  queuedBans(): BanChange[];
  /** The lists changed for these rooms (undefined: every room). */
  onChange(rooms: string[] | undefined): void;
}

/** One term per line; blank lines and lines starting with # are skipped. */
export function readTermsFile(file: URL | string): string[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
}

/** Bans after `changes`, in order (a ban replaces one of the same user and room). */
export function applyBanChanges(bans: readonly Ban[], changes: readonly BanChange[]): Ban[] {
  let out = [...bans];
  for (const c of changes) {
    const user = c.op === 'add' ? c.ban.user : c.user;
    const room = c.op === 'add' ? c.ban.room : c.room;
    out = out.filter((b) => !(b.user === user && b.room === room));
    if (c.op === 'add') out.push(c.ban);
  }
  return out;
}

export class DataCache {
  private bans: Ban[] = [];
  private terms: string[] = [];
  private reviewTerms: string[] = [];
  private lastRefreshAt: number | null = null;
  private chain: Promise<unknown> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  private expiryTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly log: Logger;

  constructor(private readonly options: DataCacheOptions) {
    this.log = options.logger.child({ component: 'cache' });
  }

  /** Loads the cache (or, with the store down, the term file) and starts the periodic refresh. */
  async start(): Promise<void> {
    if (!(await this.refresh())) {
      this.terms = this.fileTerms();
      this.log.warn('Store not answering at start; using the blocked-term file until it does');
    }
    this.timer = setInterval(() => void this.refresh(), this.options.refreshS * 1000);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    clearTimeout(this.expiryTimer);
    this.expiryTimer = undefined;
    this.stopped = true;
  }

  status(): { lastRefreshAt: string | null; bans: number; terms: number } {
    return {
      lastRefreshAt: this.lastRefreshAt === null ? null : new Date(this.lastRefreshAt).toISOString(),
      bans: this.bans.length,
      terms: this.terms.length,
    };
  }

  blockedTerms(): string[] {
    return [...this.terms];
  }

  /** Bans in force, as the cache holds them (timeouts are kept beside them, and left out). */
  allBans(now = Date.now()): Ban[] {
    return this.bans.filter((b) => inForce(b, now) && !isTimeout(b));
  }

  /**
   * What one room applies: users banned from that room or globally and the
   * client addresses of banned guests, timeouts, all still in force, and the terms.
   */
  forRoom(room: string, now = Date.now()): Omit<RoomCache, 'through'> {
    const users = new Set<string>();
    const addressBans: NonNullable<RoomCache['addressBans']> = [];
    const timeouts: NonNullable<RoomCache['timeouts']> = [];
    for (const ban of this.bans) {
      if (!inForce(ban, now) || (ban.room !== null && ban.room !== room)) continue;
      if (isTimeout(ban)) {
        const timeout: (typeof timeouts)[number] = { user: ban.user, until: ban.until ?? 0 };
        if (ban.address !== undefined) timeout.address = ban.address;
        timeouts.push(timeout);
        continue;
      }
      users.add(ban.user);
      if (ban.address !== undefined) addressBans.push({ user: ban.user, address: ban.address });
    }
    return { bans: [...users], addressBans, timeouts, terms: [...this.terms], reviewTerms: [...this.reviewTerms] };
  }

  /** Runs admin changes and refreshes one at a time, in the order asked. */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.chain.then(fn, fn);
    this.chain = run.catch(() => undefined);
    return run;
  }

  /** Reloads from the store and pushes to every room; false (cache kept) when the store did not answer. */
  refresh(): Promise<boolean> {
    return this.serial(async () => {
      const { store, queuedBans } = this.options;
      // What is queued when the read starts may be stored while it runs, or not: laying
      // it over again is harmless (changes are idempotent), and leaving it out is not.
      const before = queuedBans();
      try {
        const [bans, stored, review] = await this.guard(
          Promise.all([store.bans(Date.now()), store.blockedTerms(), store.reviewTerms()]),
          'cache refresh',
        );
        let terms = stored;
        if (terms === null) {
          terms = this.fileTerms();
          await this.guard(store.setBlockedTerms(terms), 'seeding blocked terms');
          this.log.info('Blocked terms seeded from the term file', { terms: terms.length });
        }
        const after = queuedBans();
        const seen = new Set(before);
        this.bans = applyBanChanges(bans, [...before, ...after.filter((c) => !seen.has(c))]);
        this.terms = terms;
        this.reviewTerms = review;
        this.lastRefreshAt = Date.now();
      } catch {
        return false;
      }
      this.changed(undefined);
      return true;
    });
  }

  /**
   * A ban change, in force at once. A room's own change (already queued for the
   * store) is not pushed back to it (`notify` false): the room has applied it,
   * and the lists it is sent later carry `through`, so none of them undoes it.
   */
  apply(change: BanChange, notify = true): void {
    this.bans = applyBanChanges(this.bans, [change]);
    const room = change.op === 'add' ? change.ban.room : change.room;
    if (notify) this.changed(room === null ? undefined : [room]);
    else this.scheduleExpiry();
  }

  /** An admin ban change: `write` stores it (throws if the store fails); only then is it applied. */
  change(change: BanChange, write: () => Promise<void>): Promise<void> {
    return this.serial(async () => {
      await this.guard(write(), 'ban change');
      this.apply(change);
    });
  }

  reviewTermList(): string[] {
    return [...this.reviewTerms];
  }

  setReviewTerms(terms: string[]): Promise<void> {
    return this.serial(async () => {
      await this.guard(this.options.store.setReviewTerms(terms), 'review terms');
      this.reviewTerms = [...terms];
      this.changed(undefined);
    });
  }

  setBlockedTerms(terms: string[]): Promise<void> {
    return this.serial(async () => {
      await this.guard(this.options.store.setBlockedTerms(terms), 'blocked terms');
      this.terms = [...terms];
      this.changed(undefined);
    });
  }

  private changed(rooms: string[] | undefined): void {
    this.options.onChange(rooms);
    this.scheduleExpiry();
  }

  /** When the next ban runs out, rooms get their lists again, so it ends on time rather than at the next refresh. */
  private scheduleExpiry(): void {
    clearTimeout(this.expiryTimer);
    this.expiryTimer = undefined;
    const now = Date.now();
    const next = Math.min(...this.bans.map((b) => (b.until !== null && b.until > now ? b.until : Infinity)));
    if (this.stopped || next === Infinity) return;
    this.expiryTimer = setTimeout(
      () => {
        this.expiryTimer = undefined;
        void this.serial(async () => {
          const at = Date.now();
          this.bans = this.bans.filter((b) => inForce(b, at));
          this.changed(undefined);
        });
      },
      Math.min(next - now + 10, 2 ** 31 - 1),
    );
    this.expiryTimer.unref();
  }

  /**
   * One store call, bounded: a store that hangs counts as failed after
   * STORE_CALL_TIMEOUT_MS, so the changes queued behind it (serial) go on.
   */
  private async guard<T>(call: Promise<T>, what: string): Promise<T> {
    try {
      const result = await withDeadline(call, STORE_CALL_TIMEOUT_MS, what);
      this.options.health.ok();
      return result;
    } catch (error) {
      this.options.health.failed(error);
      throw error;
    }
  }

  private fileTerms(): string[] {
    const file = this.options.termsFile ?? DEFAULT_TERMS_FILE;
    try {
      return readTermsFile(file);
    } catch (error) {
      this.log.warn('Blocked-term file not readable; starting with no blocked terms', {
        file: String(file),
        error: (error as Error).message,
      });
      return [];
    }
  }
}
