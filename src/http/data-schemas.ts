/**
 * What the store-backed admin calls take: paging queries, ban and term bodies.
 * A refusal is a 400 whose message names the field, as for every other body.
 */
import { z } from 'zod';
import { ApiError } from '../errors.js';
import { roomName } from './validate.js';

export const MAX_PAGE = 500;

const limit = z
  .string()
  .regex(/^\d+$/, `must be a whole number from 1 to ${MAX_PAGE}`)
  .transform(Number)
  .pipe(z.number().min(1, 'must be at least 1').max(MAX_PAGE, `must be at most ${MAX_PAGE}`))
  .default(100);

export const messagesQuery = z.object({
  limit,
  before: z
    .string()
    .regex(/^[1-9]\d{0,15}$/, 'must be a message id')
    .transform(Number)
    .optional(),
});

export const moderationQuery = z.object({
  limit,
  before: z
    .string()
    .regex(/^[A-Za-z0-9]{1,64}$/, 'must be an entry id from a previous page')
    .optional(),
});

const roomField = z.string().refine(
  (value) => {
    try {
      roomName(value);
      return true;
    } catch {
      return false;
    }
  },
  { message: 'must be a room name (1 to 64 of A-Z a-z 0-9 _ - . not starting with ".")' },
);

export const bansQuery = z.object({ room: roomField.optional() });

export const banBody = z.strictObject({
  user: z.string().trim().min(1, 'must not be empty').max(128, 'must be at most 128 characters'),
  room: roomField.optional(),
  reason: z.string().trim().max(500, 'must be at most 500 characters').optional(),
  until: z
    .union([z.iso.datetime({ offset: true }), z.number().int().positive()], {
      error: 'must be an ISO 8601 date-time or milliseconds since the epoch',
    })
    .transform((value) => (typeof value === 'number' ? value : Date.parse(value)))
    .refine((ms) => ms > Date.now(), 'must be in the future')
    .optional(),
});

export const termsBody = z.strictObject({
  terms: z
    .array(z.string().trim().min(1, 'must not be empty').max(100, 'must be at most 100 characters'))
    .max(10_000, 'must hold at most 10000 terms'),
});

/** Parses a query string with a schema; the error names each wrong parameter. */
export function query<T extends z.ZodType>(schema: T, value: unknown): z.output<T> {
  const result = schema.safeParse(value ?? {});
  if (result.success) return result.data;
  const problems = result.error.issues.map((i) => `"${i.path.join('.')}": ${i.message}`);
  throw new ApiError('BAD_REQUEST', `Invalid query: ${problems.join('; ')}`);
}
