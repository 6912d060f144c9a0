/**
 * `X-API-Key` checking. Keys are compared as SHA-256 digests with
 * timingSafeEqual: equal-length inputs (timingSafeEqual throws on different
 * lengths) and no timing signal about how much of a guess was right.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import { ApiError } from '../errors.js';

export const digest = (value: string): Buffer => createHash('sha256').update(value).digest();

export function keyMatches(given: string | undefined, expectedDigest: Buffer): boolean {
  return given !== undefined && timingSafeEqual(digest(given), expectedDigest);
}

/** Refuses the request with 401 unless it carries the key; a refusal never reaches the handler. */
export function requireApiKey(key: string): RequestHandler {
  const expected = digest(key);
  return (req, _res, next) => {
    if (keyMatches(req.get('x-api-key'), expected)) next();
    else next(new ApiError('UNAUTHORIZED'));
  };
}
