/**
 * Who a joining client is: a signed join token (JWT, HS256), a guest with a
 * chosen name, or an anonymous reader, as the room's access settings allow.
 */
import { randomBytes } from 'node:crypto';
import { errors as joseErrors, jwtVerify } from 'jose';
import type { RoomAccess } from '../config.js';
import type { JoinFrame, Role, UserInfo } from '../protocol/frames.js';
import { cleanText, codePoints } from './text.js';

export type JoinResult = { ok: true; user: UserInfo } | { ok: false; reason: string };

const MAX_NAME_CHARS = 32;
const ROLES: readonly string[] = ['viewer', 'mod', 'host'];

export class IdentityResolver {
  private readonly secret: Uint8Array | null;

  constructor(
    private readonly roomName: string,
    private readonly access: RoomAccess,
  ) {
    this.secret = access.authSecret ? new TextEncoder().encode(access.authSecret) : null;
  }

  async resolve(join: JoinFrame): Promise<JoinResult> {
    if (join.token !== undefined) return this.fromToken(join.token);
    if (join.name !== undefined) {
      if (!this.access.allowGuests) return { ok: false, reason: 'Guests may not join this room; sign in' };
      const name = cleanText(join.name);
      if (name.length === 0 || codePoints(name) > MAX_NAME_CHARS)
        return { ok: false, reason: `A guest name must be 1 to ${MAX_NAME_CHARS} characters` };
      return { ok: true, user: { id: `guest:${randomBytes(9).toString('base64url')}`, name, role: 'guest' } };
    }
    if (!this.access.allowAnonymous) return { ok: false, reason: 'Anonymous readers may not join this room' };
    return { ok: true, user: { id: `anon:${randomBytes(9).toString('base64url')}`, name: '', role: 'anonymous' } };
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
    const { sub, name, role, room } = payload as Record<string, unknown>;
    if (typeof sub !== 'string' || sub.length === 0 || sub.length > 128)
      return { ok: false, reason: 'Token invalid: "sub" must be a user id of 1 to 128 characters' };
    if (typeof name !== 'string' || cleanText(name).length === 0)
      return { ok: false, reason: 'Token invalid: "name" is required' };
    if (room !== undefined && room !== this.roomName) return { ok: false, reason: 'Token is for another room' };
    if (role !== undefined && (typeof role !== 'string' || !ROLES.includes(role)))
      return { ok: false, reason: 'Token invalid: "role" must be viewer, mod or host' };
    // Elevated roles count only in the room the token names; elsewhere a viewer.
    const granted: Role = role === 'mod' || role === 'host' ? (room === this.roomName ? role : 'viewer') : 'viewer';
    return { ok: true, user: { id: sub, name: cleanText(name).slice(0, 64), role: granted } };
  }
}
