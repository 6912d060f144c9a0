/**
 * Validation of what the HTTP APIs take: room names and JSON bodies. A refusal is
 * a 400 whose message names the field and what it must be.
 */
import { z } from 'zod';
import { ApiError } from '../errors.js';

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

export const broadcastBody = z.strictObject({
  text: text(2000),
  rooms: z.array(z.string().regex(ROOM_NAME, 'must be a room name')).max(10_000).optional(),
});

export const kickBody = z.strictObject({
  user: text(128),
  reason: z.string().trim().max(500, 'must be at most 500 characters').optional(),
});
