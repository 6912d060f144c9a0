/** Signs join tokens (HS256) for tests that need users with stable ids and roles. */
import { SignJWT } from 'jose';

export const AUTH_SECRET = 'test-auth-secret-with-enough-length';

export function joinToken(
  sub: string,
  name: string,
  role: 'viewer' | 'mod' | 'host' = 'viewer',
  room?: string,
): Promise<string> {
  const claims: Record<string, unknown> = { name, role };
  if (room !== undefined) claims.room = room;
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(sub)
    .setExpirationTime('1h')
    .sign(new TextEncoder().encode(AUTH_SECRET));
}
