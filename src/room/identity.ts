/**
 * Who a joining client is: a signed join token (JWT, HS256), a guest with a
 * chosen name (and, from an earlier welcome, a guest token: the same guest id
 * again), or an anonymous reader, as the room's access settings allow.
 */
import { randomBytes } from 'node:crypto';
import { errors as joseErrors, jwtVerify } from 'jose';
import type { RoomAccess } from '../config.js';
import type { JoinFrame, Role, UserInfo } from '../protocol/frames.js';
import { GuestTokens } from './guest-token.js';
import type { NameGuard, NameVerdict } from './name-guard.js';
import { cleanText } from './text.js';

/** What a join token says of its user beyond who they are, for followers-only and subscribers-only. */
export interface Standing {
  /** When they followed the channel (ms since the epoch); undefined: not a follower. */
  followedAt?: number;
  subscriber?: boolean;
}

export type JoinResult =
  | { ok: true; user: UserInfo; standing: Standing; guestToken?: string }
  /** Final: the connection is closed with 4001 and this reason. */
  | { ok: false; reason: string }
  /** The name cannot be had: the client may send another join on the same connection. */
  | Extract<NameVerdict, { ok: false }>;

const ROLES: readonly string[] = ['viewer', 'mod', 'host'];

export class IdentityResolver {
  private readonly secret: Uint8Array | null;
  private readonly guests: GuestTokens;

  constructor(
    private readonly roomName: string,
    private readonly access: RoomAccess,
    private readonly names: NameGuard,
  ) {
    this.secret = access.authSecret ? new TextEncoder().encode(access.authSecret) : null;
    this.guests = new GuestTokens(access.guestSecret);
  }

  async resolve(join: JoinFrame): Promise<JoinResult> {
    if (join.token !== undefined) return this.fromToken(join.token);
    if (join.name !== undefined) {
      if (!this.access.allowGuests) return { ok: false, reason: 'Guests may not join this room; sign in' };
      // A returning guest (every rejoin of a storm) needs no fresh random id.
      const id = join.guestToken === undefined ? GuestTokens.newId() : this.guests.verify(join.guestToken);
      if (id === null) return { ok: false, reason: 'Guest token invalid' };
      const verdict = this.names.check(join.name);
      if (!verdict.ok) return verdict;
      return {
        ok: true,
        user: { id, name: verdict.name, role: 'guest' },
        standing: {},
        // A token that verified is the one issue(id) gives: no second signature for a returning guest.
        guestToken: join.guestToken ?? this.guests.issue(id),
      };
    }
    if (!this.access.allowAnonymous) return { ok: false, reason: 'Anonymous readers may not join this room' };
    return {
      ok: true,
      user: { id: `anon:${randomBytes(9).toString('base64url')}`, name: '', role: 'anonymous' },
      standing: {},
    };
  }

  private async fromToken(token: string): Promise<JoinResult> {
    if (this.secret === null) return { ok: false, reason: 'This server does not accept tokens (no AUTH_SECRET)' };
    let payload;
    try {
      ({ payload } = await jwtVerify(token, this.secret, { algorithms: ['HS256'], requiredClaims: ['sub', 'exp'] }));
    } catch (error) {
      if (error instanceof joseErrors.JWTExpired) return { ok: false, reason: 'Token expired' };
      return { ok: false, reason: 'Token invalid' };
    }
    const { sub, name, role, room, followedAt, subscriber } = payload as Record<string, unknown>;
    if (typeof sub !== 'string' || sub.length === 0 || sub.length > 128)
      return { ok: false, reason: 'Token invalid: "sub" must be a user id of 1 to 128 characters' };
    if (typeof name !== 'string' || cleanText(name).length === 0)
      return { ok: false, reason: 'Token invalid: "name" is required' };
    if (room !== undefined && room !== this.roomName) return { ok: false, reason: 'Token is for another room' };
    if (role !== undefined && (typeof role !== 'string' || !ROLES.includes(role)))
      return { ok: false, reason: 'Token invalid: "role" must be viewer, mod or host' };
    // Elevated roles count only in the room the token names; elsewhere a viewer.
    const granted: Role = role === 'mod' || role === 'host' ? (room === this.roomName ? role : 'viewer') : 'viewer';
    if (followedAt !== undefined && (typeof followedAt !== 'number' || !Number.isFinite(followedAt)))
      return { ok: false, reason: 'Token invalid: "followedAt" must be seconds since the epoch' };
    if (subscriber !== undefined && typeof subscriber !== 'boolean')
      return { ok: false, reason: 'Token invalid: "subscriber" must be true or false' };
    const standing: Standing = {};
    if (followedAt !== undefined) standing.followedAt = followedAt * 1000;
    if (subscriber === true) standing.subscriber = true;
    return { ok: true, user: { id: sub, name: cleanText(name).slice(0, 64), role: granted }, standing };
  }
}
