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
/** Guests' client addresses remembered after they leave, so a ban after they left still holds the address. */
const MAX_GUEST_ADDRESSES = 10_000;

export class Members {
  /** Every attached connection, joined or not. */
  readonly clients = new Set<Client>();
  /**
   * Each identified user's joined connections: the client itself while there is one
   * (nearly always), a set from the second on. A set per user would cost each idle
   * joined connection about 130 bytes more.
   */
  private readonly byUser = new Map<string, Client | Set<Client>>();
  /** The role each mod or host had when last seen here. */
  private readonly knownRoles = new Map<string, Role>();
  /** The client address each guest last joined from. */
  private readonly guestAddresses = new Map<string, string>();
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
    if (user.role === 'guest' && client.address !== '') {
      this.guestAddresses.delete(user.id);
      this.guestAddresses.set(user.id, client.address);
      if (this.guestAddresses.size > MAX_GUEST_ADDRESSES)
        this.guestAddresses.delete(this.guestAddresses.keys().next().value!);
    }
    this.joinedCount += 1;
    if (user.role !== 'anonymous') {
      const same = this.byUser.get(user.id);
      if (same === undefined) {
        this.byUser.set(user.id, client);
        this.usersChanged();
      } else if (same instanceof Set) same.add(client);
      else if (same !== client) this.byUser.set(user.id, new Set([same, client]));
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
    if (same === client || (same instanceof Set && same.delete(client) && same.size === 0)) {
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
    return (same === undefined ? undefined : firstOf(same).user?.role) ?? this.knownRoles.get(userId);
  }

  /** The client address a guest last joined from (undefined for others, or unknown). */
  guestAddressOf(userId: string): string | undefined {
    return this.guestAddresses.get(userId);
  }

  /** Each identified user joined here, once. */
  *presentUsers(): Iterable<UserInfo> {
    for (const same of this.byUser.values()) {
      const user = firstOf(same).user;
      if (user) yield user;
    }
  }

  /** The user's joined connections (a copy: closing them changes the set). */
  connectionsOf(userId: string): Client[] {
    const same = this.byUser.get(userId);
    return same === undefined ? [] : same instanceof Set ? [...same] : [same];
  }

  private usersChanged(): void {
    this.users = null;
    this.usersVersion += 1;
  }

  /** This copy's identified users, one entry per id, at most MAX_USERS_LISTED. */
  usersHere(): UsersList {
    const users: UserInfo[] = [];
    for (const same of this.byUser.values()) {
      const first = firstOf(same).user;
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

/** The first of a user's connections (a user's set is never left empty). */
function firstOf(same: Client | Set<Client>): Client {
  return same instanceof Set ? same.values().next().value! : same;
}
