/**
 * Prints a join token (docs/protocol.md, "Identity") signed with AUTH_SECRET, the
 * way a site's web app would sign one for its user: for trying the chat page as a
 * host or mod, and for tests.
 *
 *   npm run -s token -- --sub u1 --name Ann --role host --room testroom [--ttl 2h] [--followed 30m] [--subscriber]
 *
 * AUTH_SECRET comes from the environment or from .env. Exit codes: 0 printed,
 * 2 bad arguments or no secret.
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { SignJWT } from 'jose';
import { readEnvFile } from '../src/config.js';

const ROLES = ['viewer', 'mod', 'host'] as const;
type TokenRole = (typeof ROLES)[number];
/** Same rule as the API's room names (src/http/validate.ts). */
const ROOM_NAME = /^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,63}$/;
const MAX_TTL_S = 30 * 24 * 3600;

const USAGE = `Usage: npm run -s token -- --sub <user id> --name <display name> [--role viewer|mod|host] [--room <room>] [--ttl <30m|2h|1d|seconds>]
Signs a join token with AUTH_SECRET (from the environment or .env).
  --sub   user id, 1 to 128 characters (required)
  --name  display name, 1 to 64 characters (required)
  --role  viewer (default), mod or host; mod and host count only in --room
  --room  the room the token is for (required for mod and host)
  --ttl   lifetime, default 1h, at most 30d
  --followed    followed the channel this long ago (followedAt, for followers-only), e.g. 30m
  --subscriber  a subscriber (for subscribers-only)`;

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export interface TokenRequest {
  sub: string;
  name: string;
  role: TokenRole;
  room?: string;
  ttlSeconds: number;
  /** How long ago the user followed (the followedAt claim), in seconds. */
  followedSecondsAgo?: number;
  subscriber?: boolean;
}

/** "90", "30m", "2h", "1d" → seconds. */
function parseTtl(value: string): number {
  const match = /^(\d+)([smhd]?)$/.exec(value.trim());
  if (match === null) throw new UsageError(`--ttl "${value}": use seconds or a number with s, m, h or d (e.g. 2h)`);
  const seconds = Number(match[1]) * { '': 1, s: 1, m: 60, h: 3600, d: 86_400 }[match[2] as '' | 's' | 'm' | 'h' | 'd'];
  if (seconds < 1 || seconds > MAX_TTL_S) throw new UsageError(`--ttl "${value}": must be from 1 s to 30 d`);
  return seconds;
}

export function parseTokenArgs(args: string[]): TokenRequest {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      strict: true,
      allowPositionals: false,
      options: {
        sub: { type: 'string' },
        name: { type: 'string' },
        role: { type: 'string', default: 'viewer' },
        room: { type: 'string' },
        ttl: { type: 'string', default: '1h' },
        followed: { type: 'string' },
        subscriber: { type: 'boolean' },
      },
    }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const problems: string[] = [];
  const sub = values.sub?.trim() ?? '';
  const name = values.name?.trim() ?? '';
  if (sub.length === 0 || sub.length > 128) problems.push('--sub: a user id of 1 to 128 characters is required');
  if (name.length === 0 || name.length > 64) problems.push('--name: a display name of 1 to 64 characters is required');
  const role = values.role as TokenRole;
  if (!ROLES.includes(role)) problems.push(`--role "${values.role}": must be viewer, mod or host`);
  const room = values.room?.trim();
  if (room !== undefined && !ROOM_NAME.test(room))
    problems.push(`--room "${room}": 1 to 64 characters of A-Z a-z 0-9 _ - . not starting with "."`);
  if ((role === 'mod' || role === 'host') && room === undefined)
    problems.push(`--room: required for --role ${role} (a ${role} counts only in the room the token names)`);
  let ttlSeconds = 3600;
  try {
    ttlSeconds = parseTtl(values.ttl ?? '1h');
  } catch (error) {
    problems.push((error as Error).message);
  }
  let followedSecondsAgo: number | undefined;
  if (values.followed !== undefined) {
    const match = /^(\d+)([smhd]?)$/.exec(values.followed.trim());
    if (match === null)
      problems.push(`--followed "${values.followed}": use seconds or a number with s, m, h or d (e.g. 30m)`);
    else
      followedSecondsAgo =
        Number(match[1]) * { '': 1, s: 1, m: 60, h: 3600, d: 86_400 }[match[2] as '' | 's' | 'm' | 'h' | 'd'];
  }
  if (problems.length > 0) throw new UsageError(problems.join('\n'));
  const request: TokenRequest =
    room === undefined ? { sub, name, role, ttlSeconds } : { sub, name, role, room, ttlSeconds };
  if (followedSecondsAgo !== undefined) request.followedSecondsAgo = followedSecondsAgo;
  if (values.subscriber === true) request.subscriber = true;
  return request;
}

export function signJoinToken(request: TokenRequest, secret: string, now = Date.now()): Promise<string> {
  const { sub, name, role, room, ttlSeconds, followedSecondsAgo, subscriber } = request;
  const iat = Math.floor(now / 1000);
  const claims: Record<string, unknown> = room === undefined ? { name, role } : { name, role, room };
  if (followedSecondsAgo !== undefined) claims.followedAt = iat - followedSecondsAgo;
  if (subscriber === true) claims.subscriber = true;
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(sub)
    .setIssuedAt(iat)
    .setExpirationTime(iat + ttlSeconds)
    .sign(new TextEncoder().encode(secret));
}

async function main(): Promise<number> {
  let request: TokenRequest;
  try {
    request = parseTokenArgs(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`token: ${error.message}\n\n${USAGE}`);
    return 2;
  }
  const secret = process.env.AUTH_SECRET?.trim() || readEnvFile(resolve('.env')).values.AUTH_SECRET?.trim() || '';
  if (secret === '') {
    console.error('token: AUTH_SECRET is not set (in the environment or .env); the server would refuse the token');
    return 2;
  }
  console.log(await signJoinToken(request, secret));
  return 0;
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === new URL(import.meta.url).pathname) {
  process.exitCode = await main();
}
