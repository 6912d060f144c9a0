/**
 * Who may use the admin API, checked before any handler runs, in this order:
 *
 * 1. ADMIN_ALLOWED_IPS (when set): other addresses get 403 FORBIDDEN. The address
 *    is Express's req.ip, which believes X-Forwarded-For only from TRUSTED_PROXIES
 *    ('trust proxy' is set from it in app.ts).
 * 2. The wrong-key lock-out (key-lockout.ts): a blocked address gets 429
 *    TOO_MANY_REQUESTS with Retry-After, logged once per block.
 * 3. The key itself: 401 UNAUTHORIZED, compared in constant time (api-key.ts).
 */
import { BlockList, isIP } from 'node:net';
import type { RequestHandler } from 'express';
import { ApiError } from '../errors.js';
import type { Logger } from '../logger.js';
import { digest, keyMatches } from './api-key.js';
import { KeyLockout } from './key-lockout.js';

/** `::ffff:127.0.0.1` (an IPv4 client on a dual-stack socket) is 127.0.0.1. */
export function plainAddress(address: string): string {
  return address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
}

/** An allow list of addresses and CIDR ranges (`10.0.0.0/8`, `fd00::/8`). */
export function allowListOf(entries: readonly string[]): BlockList {
  const list = new BlockList();
  for (const entry of entries) {
    const [address = '', prefix] = entry.split('/');
    const family = isIP(address) === 6 ? 'ipv6' : 'ipv4';
    if (prefix === undefined) list.addAddress(address, family);
    else list.addSubnet(address, Number(prefix), family);
  }
  return list;
}

export function allowedAddresses(entries: readonly string[]): RequestHandler {
  if (entries.length === 0) return (_req, _res, next) => next();
  const list = allowListOf(entries);
  return (req, _res, next) => {
    const address = plainAddress(req.ip ?? '');
    const family = isIP(address) === 6 ? 'ipv6' : 'ipv4';
    if (isIP(address) !== 0 && list.check(address, family)) next();
    else next(new ApiError('FORBIDDEN', `${address || 'This address'} may not use the admin API (ADMIN_ALLOWED_IPS)`));
  };
}

export function adminKeyWithLockout(key: string, logger: Logger, lockout = new KeyLockout()): RequestHandler {
  const expected = digest(key);
  const refuse = (ms: number) => {
    const seconds = Math.max(1, Math.ceil(ms / 1000));
    return new ApiError('TOO_MANY_REQUESTS', `Too many wrong keys from this address; retry in ${seconds} s`, {
      headers: { 'Retry-After': String(seconds) },
    });
  };
  return (req, _res, next) => {
    const address = plainAddress(req.ip ?? '');
    const blocked = lockout.blockedFor(address);
    if (blocked > 0) return next(refuse(blocked));
    if (keyMatches(req.get('x-api-key'), expected)) {
      lockout.succeeded(address);
      return next();
    }
    const blockMs = lockout.failed(address);
    if (blockMs > 0) {
      logger.warn('Admin API: address blocked after too many wrong keys', {
        ip: address,
        blockedForS: blockMs / 1000,
      });
      return next(refuse(blockMs));
    }
    next(new ApiError('UNAUTHORIZED'));
  };
}
