/**
 * Who is in the room: every attached connection, the joined ones by user, the
 * joined count, the roles of mods and hosts who have left (so they stay
 * protected while away), the encoded `users` answer, and the presence throttle.
 */
import type { Role, UserInfo } from '../protocol/frames.js';
import { isModerator } from '../protocol/moderation-rule.js';
import type { Client } from './client.js';
import type { Clock, Timer } from './clock.js';
import type { UsersList } from './engine.js';
import { type EncodedFrame, encode } from './outbox.js';

/** The most users a `users` answer lists (and a copy tells the others of). */
export const MAX_USERS_LISTED = 500;

export class Members {
  /** Every attached connection, joined or not. */
  readonly clients = new Set<Client>();
  private readonly byUser = new Map<string, Set<Client>>();
  /** The role each mod or host had when last seen here. */
  private readonly knownRoles = new Map<string, Role>();
  private joinedCount = 0;
  /** The encoded `users` answer while membership is unchanged (see usersFrame). */
  private users: EncodedFrame | null = null;
  private usersViewers = -1;
  private usersElsewhere = 0;
  /** Bumped whenever the set of identified users here changes. */
  private usersVersion = 0;
  private presenceSent = 0;
  private presenceTimer: Timer | undefined;
  private stopped = false;

  constructor(
    private readonly clock: Clock,
    private readonly presenceIntervalMs: number,
    /** Called at most once per interval, when the room's joined count has changed since the last call. */
    private readonly onPresence: (viewers: number) => void,
    /** Joined connections on the room's other copies (a cluster), counted into presence. */
    private readonly elsewhere: () => number = () => 0,
  ) {}

  /** Joined connections (anonymous readers included). */
  get viewers(): number {
    return this.joinedCount;
  }

  /** Distinct identified users joined. */
  get chatters(): number {
    return this.byUser.size;
  }

  add(client: Client): void {
    this.clients.add(client);
  }

  /** A client has joined as `user` (already set on the client). */
  joined(client: Client, user: UserInfo): void {
    if (isModerator(user.role)) this.knownRoles.set(user.id, user.role);
    else this.knownRoles.delete(user.id);
    this.joinedCount += 1;
    if (user.role !== 'anonymous') {
      let same = this.byUser.get(user.id);
      if (same === undefined) {
        this.byUser.set(user.id, (same = new Set()));
        this.usersChanged();
      }
      same.add(client);
    }
    this.presenceChanged();
  }

  /** Forgets a connection that has ended; false if it was not here. */
  remove(client: Client): boolean {
    if (!this.clients.delete(client)) return false;
    const user = client.user;
    if (user === null) return true;
    this.joinedCount -= 1;
    const same = this.byUser.get(user.id);
    if (same !== undefined && same.delete(client) && same.size === 0) {
      this.byUser.delete(user.id);
      this.usersChanged();
    }
    this.presenceChanged();
    return true;
  }

  isPresent(userId: string): boolean {
    return this.byUser.has(userId);
  }

  /** The user's role if they are here, or the role they had as a mod or host when last here. */
  roleOf(userId: string): Role | undefined {
    const same = this.byUser.get(userId);
    return same?.values().next().value?.user?.role ?? this.knownRoles.get(userId);
  }

  /** Each identified user joined here, once. */
  *presentUsers(): Iterable<UserInfo> {
    for (const same of this.byUser.values()) {
      const user = same.values().next().value?.user;
      if (user) yield user;
    }
  }

  /** The user's joined connections (a copy: closing them changes the set). */
  connectionsOf(userId: string): Client[] {
    return [...(this.byUser.get(userId) ?? [])];
  }

  private usersChanged(): void {
    this.users = null;
    this.usersVersion += 1;
  }

  /** This copy's identified users, one entry per id, at most MAX_USERS_LISTED. */
  usersHere(): UsersList {
    const users: UserInfo[] = [];
    for (const same of this.byUser.values()) {
      const first = same.values().next().value?.user;
      if (first) users.push(first);
      if (users.length >= MAX_USERS_LISTED) break;
    }
    return { version: this.usersVersion, users };
  }

  /**
   * The users list is encoded once and kept until someone arrives or leaves (here
   * or, in a cluster, on another copy: `elsewhere`), so clients asking for it over
   * and over cost the room a push each, not a rebuild. `viewers` is the whole room's.
   */
  usersFrame(elsewhere: UsersList, viewersElsewhere: number): EncodedFrame {
    const viewers = this.joinedCount + viewersElsewhere;
    if (this.users === null || this.usersViewers !== viewers || this.usersElsewhere !== elsewhere.version) {
      const users = [...this.usersHere().users];
      const listed = new Set(users.map((u) => u.id));
      for (const user of elsewhere.users) {
        if (users.length >= MAX_USERS_LISTED) break;
        if (listed.has(user.id)) continue;
        users.push(user);
        listed.add(user.id);
      }
      this.users = encode({ type: 'users', viewers, users });
      this.usersViewers = viewers;
      this.usersElsewhere = elsewhere.version;
    }
    return this.users;
  }

  /**
   * Presence goes out at most once per interval and only when the count changed,
   * so a thousand joins in one second cost each viewer one frame, not a thousand.
   */
  presenceChanged(): void {
    if (this.presenceTimer !== undefined || this.stopped) return;
    this.presenceTimer = this.clock.setTimeout(() => {
      this.presenceTimer = undefined;
      const total = this.joinedCount + this.elsewhere();
      if (total === this.presenceSent) return;
      this.presenceSent = total;
      this.onPresence(this.joinedCount);
    }, this.presenceIntervalMs);
  }

  stop(): void {
    this.stopped = true;
    this.clock.clearTimeout(this.presenceTimer);
    this.presenceTimer = undefined;
  }
}
