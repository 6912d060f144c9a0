/**
 * A token bucket per client address for the public API: each address may make
 * `burst` requests at once and `ratePerS` a second after that; beyond it the answer
 * is 429 TOO_MANY_REQUESTS with `Retry-After`, decided before the body is read or
 * any route runs, so a flood costs the master as little as an answer can.
 *
 * The address is Express's `req.ip`, which believes X-Forwarded-For only from
 * TRUSTED_PROXIES (src/http/app.ts sets `trust proxy`). Memory is bounded: a
 * bucket that has filled up again is as good as none and is forgotten, and past
 * `maxAddresses` the least recently seen address is forgotten first.
 */
import type { Request, RequestHandler } from 'express';
import type { Config } from '../config.js';
import { digest, keyMatches } from './api-key.js';
import { errorCodes } from '../errors.js';

export interface TokenBucketOptions {
  ratePerS: number;
  burst: number;
  /** Most addresses remembered at once. */
  maxAddresses?: number;
  now?: () => number;
}

interface Bucket {
  tokens: number;
  at: number;
}

const DEFAULT_MAX_ADDRESSES = 100_000;

export class TokenBuckets {
  /** In order of last use: the first entries are the ones to forget. */
  private readonly buckets = new Map<string, Bucket>();
  private readonly maxAddresses: number;
  private readonly now: () => number;

  constructor(private readonly options: TokenBucketOptions) {
    this.maxAddresses = options.maxAddresses ?? DEFAULT_MAX_ADDRESSES;
    this.now = options.now ?? Date.now;
  }

  get size(): number {
    return this.buckets.size;
  }

  /** Takes one token for `key`: 0 when allowed, else the milliseconds until one is there. */
  take(key: string): number {
    const now = this.now();
    const { ratePerS, burst } = this.options;
    const bucket = this.buckets.get(key);
    let tokens = burst;
    if (bucket !== undefined) {
      tokens = Math.min(burst, bucket.tokens + ((now - bucket.at) * ratePerS) / 1000);
      this.buckets.delete(key); // re-inserted below as the most recently used
    }
    this.forgetFull(now);
    if (tokens < 1) {
      this.buckets.set(key, { tokens, at: now });
      return Math.ceil(((1 - tokens) * 1000) / ratePerS);
    }
    this.buckets.set(key, { tokens: tokens - 1, at: now });
    if (this.buckets.size > this.maxAddresses) this.buckets.delete(this.buckets.keys().next().value!);
    return 0;
  }

  /** Drops a few of the oldest buckets that have filled up again (amortised: two per take). */
  private forgetFull(now: number): void {
    const { ratePerS, burst } = this.options;
    let checked = 0;
    for (const [key, bucket] of this.buckets) {
      if (checked++ >= 2) return;
      if (bucket.tokens + ((now - bucket.at) * ratePerS) / 1000 < burst) return;
      this.buckets.delete(key);
    }
  }
}

/**
 * The middleware: refuses an address over its rate. Requests for which `exempt`
 * answers true (the web app's own keyed calls, health checks) are not counted.
 */
export function rateLimit(buckets: TokenBuckets, exempt: (req: Request) => boolean): RequestHandler {
  const { status } = errorCodes.TOO_MANY_REQUESTS;
  return (req, res, next) => {
    if (exempt(req)) return next();
    const waitMs = buckets.take(req.ip ?? req.socket.remoteAddress ?? '');
    if (waitMs === 0) return next();
    const seconds = Math.max(1, Math.ceil(waitMs / 1000));
    // Answered here, as cheaply as an answer can be (no error object, no stack, no
    // log line), and the connection closes after it: a flooding client must connect
    // again, and a socket that keeps asking no longer takes a turn of the event loop
    // from everyone else's requests.
    res
      .status(status)
      .set({ 'Retry-After': String(seconds), Connection: 'close' })
      .json({
        error: { code: 'TOO_MANY_REQUESTS', message: `Too many requests from this address; retry in ${seconds} s` },
      });
  };
}

/**
 * The public API's limit (PUBLIC_RATE_LIMIT_RPS / _BURST; a rate of 0 is off). The
 * web app's own server, which holds KEY and creates every room, and health checks
 * are not counted: a flood from elsewhere must not lock them out.
 */
export function publicRateLimit(config: Config): RequestHandler {
  const { ratePerS, burst } = config.publicRateLimit;
  if (ratePerS === 0) return (_req, _res, next) => next();
  const buckets = new TokenBuckets({ ratePerS, burst });
  const key = digest(config.key);
  return rateLimit(
    buckets,
    (req) => (req.method === 'GET' && req.path === '/api/v1/health') || keyMatches(req.get('x-api-key'), key),
  );
}
