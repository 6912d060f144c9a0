/**
 * Who may join, beyond the token: the identity (src/room/identity.ts, with the
 * guest name rules of name-guard.ts), then bans and timeouts, by user id and,
 * for guests under GUEST_BANS_BY_ADDRESS, by client address too, so a guest who
 * drops its guest token is still out or still timed out. A signed-in user's name
 * becomes theirs in this room (no guest may take it).
 */
import type { RoomAccess } from '../config.js';
import type { JoinFrame, UserInfo } from '../protocol/frames.js';
import type { Client } from './client.js';
import { IdentityResolver, type JoinResult } from './identity.js';
import type { Members } from './members.js';
import type { Moderation } from './moderation.js';
import { NameGuard } from './name-guard.js';

export type JoinVerdict =
  | Extract<JoinResult, { ok: true }>
  /** Final: close with 4001 (`reason`) or, banned, 4003. */
  | { ok: false; close: 'unauthorized' | 'banned'; reason: string }
  /** The name cannot be had: the client may try another on the same connection. */
  | Exclude<Extract<JoinResult, { ok: false }>, { reason: string }>;

export class JoinIdentity {
  private readonly identity: IdentityResolver;
  private readonly names: NameGuard;
  /** GUEST_BANS_BY_ADDRESS: guest bans and timeouts also hold the guest's client address. */
  private readonly byAddress: boolean;

  constructor(
    roomName: string,
    access: RoomAccess,
    private readonly moderation: Moderation,
    private readonly members: Members,
  ) {
    this.names = new NameGuard(access.reservedNames);
    this.identity = new IdentityResolver(roomName, access, this.names);
    this.byAddress = access.guestBansByAddress;
  }

  async admit(client: Client, frame: JoinFrame): Promise<JoinVerdict> {
    const result = await this.identity.resolve(frame);
    if (!result.ok) return 'reason' in result ? { ok: false, close: 'unauthorized', reason: result.reason } : result;
    const { user } = result;
    const mod = this.moderation;
    const address = user.role === 'guest' && this.byAddress ? client.address : '';
    if (mod.isBanned(user.id) || mod.isAddressBanned(address))
      return { ok: false, close: 'banned', reason: 'Banned from this room' };
    const addressTimeout = address === '' ? undefined : mod.addressTimedOutUntil(address);
    if (addressTimeout !== undefined && (mod.timedOutUntil(user.id) ?? 0) < addressTimeout)
      mod.timeout(user.id, addressTimeout);
    return result;
  }

  /** The user has joined. */
  joined(user: UserInfo): void {
    this.names.hold(user);
  }

  /** The client address a ban or timeout of this user also holds: a guest's, when GUEST_BANS_BY_ADDRESS is on. */
  addressFor(userId: string): string | undefined {
    return this.byAddress ? this.members.guestAddressOf(userId) : undefined;
  }
}
