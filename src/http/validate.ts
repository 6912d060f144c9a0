/**
 * Validation of what the HTTP APIs take: room names, JSON bodies, percent-encoding
 * in paths and query strings. A refusal is
 * a 400 whose message names the field and what it must be.
 */
import { z } from 'zod';
import { ApiError } from '../errors.js';
import { type ModesPatch, parseModesPatch } from '../room/chat-modes.js';

/** 1 to 64 of A-Z a-z 0-9 _ - . and not starting with "." (no "..", no hidden names). */
const ROOM_NAME = /^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,63}$/;

export function roomName(value: unknown): string {
  if (typeof value !== 'string' || !ROOM_NAME.test(value))
    throw new ApiError(
      'BAD_REQUEST',
      'Room name must be 1 to 64 characters of A-Z a-z 0-9 _ - . and must not start with "."',
    );
  return value;
}

/** Parses a body with a schema; the error names each wrong field. */
export function body<T extends z.ZodType>(schema: T, value: unknown): z.output<T> {
  const result = schema.safeParse(value ?? {});
  if (result.success) return result.data;
  const problems = result.error.issues.map((i) =>
    i.path.length > 0 ? `"${i.path.join('.')}": ${i.message}` : i.message,
  );
  throw new ApiError('BAD_REQUEST', `Invalid body: ${problems.join('; ')}`);
}

const text = (max: number) =>
  z.string().trim().min(1, 'must not be empty').max(max, `must be at most ${max} characters`);

/** PATCH /room/:name/settings: any subset of the chat modes (src/room/chat-modes.ts), and `shield` on or off. */
export function settingsBody(value: unknown): { patch: ModesPatch; shield?: boolean } {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new ApiError('BAD_REQUEST', 'Invalid body: must be a JSON object of chat modes');
  const fields = value as Record<string, unknown>;
  if (fields.shield !== undefined && typeof fields.shield !== 'boolean')
    throw new ApiError('BAD_REQUEST', 'Invalid body: "shield" must be true or false');
  const patch = parseModesPatch(fields, ['shield']);
  if (patch instanceof Error) throw new ApiError('BAD_REQUEST', `Invalid body: ${patch.message}`);
  if (Object.keys(patch).length === 0 && fields.shield === undefined)
    throw new ApiError('BAD_REQUEST', 'Invalid body: name at least one setting to change');
  return fields.shield === undefined ? { patch } : { patch, shield: fields.shield as boolean };
}

export const broadcastBody = z.strictObject({
  text: text(2000),
  rooms: z.array(z.string().regex(ROOM_NAME, 'must be a room name')).max(10_000).optional(),
});

export const kickBody = z.strictObject({
  user: text(128),
  reason: z.string().trim().max(500, 'must be at most 500 characters').optional(),
});

/** At most this much of a malformed value is echoed back in an error message. */
const ECHO_MAX = 80;

/** `value` shortened for an error message. */
export function echo(value: string): string {
  return value.length <= ECHO_MAX ? value : `${value.slice(0, ECHO_MAX)}…`;
}

/** Whether `value` is not valid percent-encoding (a lone "%", "%zz", an incomplete UTF-8 sequence). */
export function badPercentEncoding(value: string): boolean {
  if (!value.includes('%')) return false;
  try {
    decodeURIComponent(value);
    return false;
  } catch {
    return true;
  }
}

/** As node:querystring: at most this many parameters are read. */
const MAX_QUERY_KEYS = 1_000;

function decodeQueryPart(part: string): string {
  const spaced = part.replace(/\+/g, ' ');
  try {
    return decodeURIComponent(spaced);
  } catch {
    throw new ApiError('BAD_REQUEST', `Malformed percent-encoding in the query string: "${echo(part)}"`);
  }
}

/**
 * The query-string parser of both APIs (Express's "query parser"): the decoding
 * of Express's default (node:querystring: "+" is a space, a repeated name gives
 * an array), except that a name or value that is not valid percent-encoding is
 * refused with a 400 naming it, where the default would pass it on undecoded.
 * Express parses the query when a route first reads `req.query`, so the refusal
 * reaches the error middleware like any other.
 */
export function parseQuery(raw: string | null | undefined): Record<string, string | string[]> {
  const query = Object.create(null) as Record<string, string | string[]>;
  // Express passes what the URL has: nothing at all when it has no "?".
  if (typeof raw !== 'string' || raw === '') return query;
  for (const pair of raw.split('&').slice(0, MAX_QUERY_KEYS)) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const name = decodeQueryPart(eq < 0 ? pair : pair.slice(0, eq));
    const value = eq < 0 ? '' : decodeQueryPart(pair.slice(eq + 1));
    const seen = query[name];
    query[name] = seen === undefined ? value : Array.isArray(seen) ? [...seen, value] : [seen, value];
  }
  return query;
}
