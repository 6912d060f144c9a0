/**
 * The master's copy of the store's shared data — bans and blocked terms — and
 * the only way rooms get it: loaded at start, refreshed every CACHE_REFRESH_S and
 * on demand, and pushed to every room whenever it changes, so rooms never touch
 * the store and a thousand rooms cost the store one read per refresh.
 *
 * Changes and refreshes run one at a time, in order, so a refresh that started
 * before a change can never be the last word after it. When the store does not
 * answer, the last good copy stays in force (and is what new rooms get).
 *
 * The blocked-term list is seeded from config/blocked-terms.txt the first time
 * the store has none; after that the store's list is the one that counts.
 */
import { readFileSync } from 'node:fs';
import type { Logger } from '../logger.js';
import type { RoomCache } from '../protocol/room-messages.js';
import type { Ban, Store } from '../store/store.js';
import type { StoreHealth } from './store-health.js';
import type { LegacySupervisor as Supervisor } from './legacy-data.js';

/** How long one store call may take before the cache treats the store as down. */
const STORE_CALL_TIMEOUT_MS = 5_000;

export const DEFAULT_TERMS_FILE = new URL('../../../config/blocked-terms.txt', import.meta.url);

export interface DataCacheOptions {
  store: Store;
  health: StoreHealth;
  supervisor: Supervisor;
  logger: Logger;
  refreshS: number;
  termsFile?: URL | string;
}

/** One term per line; blank lines and lines starting with # are skipped. */
export function readTermsFile(file: URL | string): string[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
}

export class DataCache {
  private bans: Ban[] = [];
  private terms: string[] = [];
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

  /** What one room applies: bans of that room and global ones still in force, and the terms. */
  forRoom(room: string, now = Date.now()): RoomCache {
    const users = new Set<string>();
    for (const ban of this.bans)
      if ((ban.room === null || ban.room === room) && (ban.until === null || ban.until > now)) users.add(ban.user);
    return { bans: [...users], terms: [...this.terms], through: 0 };
  }

  /** Runs changes and refreshes one at a time, in the order asked. */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.chain.then(fn, fn);
    this.chain = run.catch(() => undefined);
    return run;
  }

  /** Reloads from the store and pushes to every room; false (cache kept) when the store did not answer. */
  refresh(): Promise<boolean> {
    return this.serial(async () => {
      const { store, health } = this.options;
      try {
        const [bans, stored] = await Promise.all([store.bans(Date.now()), store.blockedTerms()]);
        let terms = stored;
        if (terms === null) {
          terms = this.fileTerms();
          await store.setBlockedTerms(terms);
          this.log.info('Blocked terms seeded from the term file', { terms: terms.length });
        }
        this.bans = bans;
        this.terms = terms;
        this.lastRefreshAt = Date.now();
        health.ok();
      } catch (error) {
        health.failed(error);
        return false;
      }
      await this.push(undefined);
      return true;
    });
  }

  /** Stores a ban (throws if the store fails) and applies it in the rooms it concerns at once. */
  addBan(ban: Ban): Promise<void> {
    return this.serial(async () => {
      await this.guard(() => this.options.store.addBan(ban));
      this.bans = [...this.bans.filter((b) => !(b.user === ban.user && b.room === ban.room)), ban];
      await this.push(ban.room === null ? undefined : [ban.room]);
    });
  }

  /** Lifts a ban; false if there was none. */
  removeBan(user: string, room: string | null): Promise<boolean> {
    return this.serial(async () => {
      const removed = await this.guard(() => this.options.store.removeBan(user, room));
      this.bans = this.bans.filter((b) => !(b.user === user && b.room === room));
      await this.push(room === null ? undefined : [room]);
      return removed;
    });
  }

  setBlockedTerms(terms: string[]): Promise<void> {
    return this.serial(async () => {
      await this.guard(() => this.options.store.setBlockedTerms(terms));
      this.terms = [...terms];
      await this.push(undefined);
    });
  }

  /**
   * A moderator banned or unbanned someone in a room: the room has already acted;
   * this keeps it (best effort: a ban the store did not take lasts until the next
   * refresh that reaches the store) and re-sends that room its list, in case a
   * refresh that began before the change has just sent an older one.
   */
  roomModeration(room: string, action: 'ban' | 'unban', user: string, by: string, reason: string): Promise<void> {
    return this.serial(async () => {
      const { store, health } = this.options;
      const ban: Ban = { user, room, reason, by, at: Date.now(), until: null };
      this.bans = this.bans.filter((b) => !(b.user === user && b.room === room));
      if (action === 'ban') this.bans.push(ban);
      try {
        if (action === 'ban') await store.addBan(ban);
        else await store.removeBan(user, room);
        health.ok();
      } catch (error) {
        health.failed(error);
        this.log.warn('Room ban not stored', { room, user, action, error: (error as Error).message });
      }
      await this.push([room]);
    });
  }

  /** Sends one room the cache (a room that opened while a change was on its way). */
  pushTo(room: string): Promise<void> {
    return this.serial(() => this.push([room]));
  }

  private async push(rooms: string[] | undefined): Promise<void> {
    const { supervisor } = this.options;
    await supervisor.each(rooms, async (h) => h.notify({ type: 'cache', ...this.forRoom(h.name) }));
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
          this.bans = this.bans.filter((b) => b.until === null || b.until > at);
          await this.push(undefined);
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
  private async guard<T>(call: () => Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(
        () => reject(new Error(`The store did not answer within ${STORE_CALL_TIMEOUT_MS} ms`)),
        STORE_CALL_TIMEOUT_MS,
      );
    });
    try {
      const result = await Promise.race([call(), timeout]);
      this.options.health.ok();
      return result;
    } catch (error) {
      this.options.health.failed(error);
      throw error;
    } finally {
      clearTimeout(timer);
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
