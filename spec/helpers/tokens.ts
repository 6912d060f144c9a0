/** Join tokens for tests, signed like the web app signs them (HS256). */
import { SignJWT } from 'jose';

export const AUTH_SECRET = 'test-auth-secret-that-is-long-enough';

export async function token(
  claims: { sub?: string; name?: string; role?: string; room?: string; followedAt?: number; subscriber?: boolean },
  options: { secret?: string; expiresIn?: string | number } = {},
): Promise<string> {
  const { sub, ...rest } = claims;
  const jwt = new SignJWT(rest).setProtectedHeader({ alg: 'HS256' }).setIssuedAt();
  if (sub !== undefined) jwt.setSubject(sub);
  jwt.setExpirationTime(options.expiresIn ?? '1h');
  return jwt.sign(new TextEncoder().encode(options.secret ?? AUTH_SECRET));
}
