/**
 * Validates one client frame, once, at the edge of the room. Hand-written rather
 * than schema-driven because it runs for every inbound frame; each refusal names
 * the field that is wrong.
 */
import type { ClientFrame } from '../protocol/frames.js';
import { parseModesPatch } from './chat-modes.js';
import { messageExtras, parseExtraFrame } from './parse-extras.js';

export type ParseResult = { ok: true; frame: ClientFrame } | { ok: false; message: string; ref?: string };

const MAX_REF_CHARS = 64;
const MAX_ID_CHARS = 128;
const MAX_REASON_CHARS = 500;
const MAX_TOKEN_CHARS = 8192;
const MAX_TIMEOUT_SECONDS = 14 * 24 * 3600;
const MAX_SLOW_SECONDS = 3600;

type Fields = Record<string, unknown>;

function optionalString(f: Fields, key: string, max: number): string | undefined | Error {
  const value = f[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') return new Error(`"${key}" must be a string`);
  if (value.length > max) return new Error(`"${key}" must be at most ${max} characters`);
  return value;
}

function requiredString(f: Fields, key: string, max: number): string | Error {
  const value = optionalString(f, key, max);
  if (value === undefined) return new Error(`"${key}" is required`);
  if (value instanceof Error) return value;
  if (value.length === 0) return new Error(`"${key}" must not be empty`);
  return value;
}

function integer(f: Fields, key: string, min: number, max: number, required: boolean): number | undefined | Error {
  const value = f[key];
  if (value === undefined) return required ? new Error(`"${key}" is required`) : undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max)
    return new Error(`"${key}" must be a whole number from ${min} to ${max}`);
  return value;
}

/** Returns the first Error among values, or undefined. */
function firstError(...values: unknown[]): Error | undefined {
  return values.find((v): v is Error => v instanceof Error);
}

export function parseFrame(data: string): ParseResult {
  let parsed: unknown;
  try {
    parsed = JSON.parse(data);
  } catch {
    return { ok: false, message: 'A frame must be one JSON object' };
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    return { ok: false, message: 'A frame must be a JSON object' };
  const f = parsed as Fields;
  const refValue = typeof f.ref === 'string' && f.ref.length <= MAX_REF_CHARS ? f.ref : undefined;
  const fail = (error: Error): ParseResult =>
    refValue === undefined
      ? { ok: false, message: error.message }
      : { ok: false, message: error.message, ref: refValue };
  if (typeof f.type !== 'string') return fail(new Error('"type" must be a string'));

  switch (f.type) {
    case 'join': {
      const token = optionalString(f, 'token', MAX_TOKEN_CHARS);
      const name = optionalString(f, 'name', 200);
      const guestToken = optionalString(f, 'guestToken', MAX_TOKEN_CHARS);
      const since = integer(f, 'since', 0, Number.MAX_SAFE_INTEGER, false);
      const error = firstError(token, name, guestToken, since);
      if (error) return fail(error);
      const frame: ClientFrame = { type: 'join' };
      if (token !== undefined) frame.token = token as string;
      if (name !== undefined) frame.name = name as string;
      if (guestToken !== undefined) frame.guestToken = guestToken as string;
      if (since !== undefined) frame.since = since as number;
      return { ok: true, frame };
    }
    case 'message': {
      const text = f.text;
      const ref = optionalString(f, 'ref', MAX_REF_CHARS);
      if (ref instanceof Error) return fail(ref);
      if (typeof text !== 'string') return fail(new Error('"text" must be a string'));
      const frame = messageExtras(f, ref === undefined ? { type: 'message', text } : { type: 'message', text, ref });
      if (frame instanceof Error) return fail(frame);
      return { ok: true, frame };
    }
    case 'delete': {
      const id = integer(f, 'id', 1, Number.MAX_SAFE_INTEGER, true);
      if (id instanceof Error) return fail(id);
      return { ok: true, frame: { type: 'delete', id: id as number } };
    }
    case 'timeout': {
      const user = requiredString(f, 'user', MAX_ID_CHARS);
      const seconds = integer(f, 'seconds', 1, MAX_TIMEOUT_SECONDS, true);
      const reason = optionalString(f, 'reason', MAX_REASON_CHARS);
      const error = firstError(user, seconds, reason);
      if (error) return fail(error);
      const frame: ClientFrame = { type: 'timeout', user: user as string, seconds: seconds as number };
      if (reason !== undefined) frame.reason = reason as string;
      return { ok: true, frame };
    }
    case 'ban': {
      const user = requiredString(f, 'user', MAX_ID_CHARS);
      const reason = optionalString(f, 'reason', MAX_REASON_CHARS);
      const error = firstError(user, reason);
      if (error) return fail(error);
      const frame: ClientFrame = { type: 'ban', user: user as string };
      if (reason !== undefined) frame.reason = reason as string;
      return { ok: true, frame };
    }
    case 'unban': {
      const user = requiredString(f, 'user', MAX_ID_CHARS);
      if (user instanceof Error) return fail(user);
      return { ok: true, frame: { type: 'unban', user } };
    }
    case 'slow': {
      const seconds = integer(f, 'seconds', 0, MAX_SLOW_SECONDS, true);
      if (seconds instanceof Error) return fail(seconds);
      return { ok: true, frame: { type: 'slow', seconds: seconds as number } };
    }
    case 'clear':
      return { ok: true, frame: { type: 'clear' } };
    case 'settings': {
      const patch = parseModesPatch(f, ['type', 'ref']);
      if (patch instanceof Error) return fail(patch);
      return { ok: true, frame: { type: 'settings', ...patch } };
    }
    case 'shield':
      if (typeof f.on !== 'boolean') return fail(new Error('"on" must be true or false'));
      return { ok: true, frame: { type: 'shield', on: f.on } };
    case 'warn': {
      const user = requiredString(f, 'user', MAX_ID_CHARS);
      const reason = optionalString(f, 'reason', MAX_REASON_CHARS);
      const error = firstError(user, reason);
      if (error) return fail(error);
      const frame: ClientFrame = { type: 'warn', user: user as string };
      if (reason !== undefined) frame.reason = reason as string;
      return { ok: true, frame };
    }
    case 'acknowledge':
      return { ok: true, frame: { type: 'acknowledge' } };
    case 'allow':
    case 'deny': {
      const id = requiredString(f, 'id', MAX_REF_CHARS);
      if (id instanceof Error) return fail(id);
      return { ok: true, frame: { type: f.type, id } };
    }
    case 'users':
      return { ok: true, frame: { type: 'users' } };
    default: {
      const extra = parseExtraFrame(f as Fields & { type: string });
      if (extra instanceof Error) return fail(extra);
      if (extra !== undefined) return { ok: true, frame: extra };
      return fail(new Error(`Unknown frame type "${f.type.slice(0, 40)}"`));
    }
  }
}
