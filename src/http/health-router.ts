/**
 * The probes on the admin listener, for systemd, NGINX and Kubernetes:
 *
 * - GET /api/v1/health/live: the process answers (200).
 * - GET /api/v1/health/ready: 200 when the server accepts rooms and every
 *   readiness check passes (src/master/readiness.ts); 503 UNAVAILABLE naming the
 *   failing checks otherwise.
 *
 * A prober rarely holds the admin key, so these two need none from loopback or
 * from an address ADMIN_ALLOWED_IPS allows. Any other caller needs the key, with
 * the same lock-out as the rest of the admin API; with ADMIN_ALLOWED_IPS set, an
 * address outside it gets 403 as everywhere on the admin API.
 */
import { isIP } from 'node:net';
import { type RequestHandler, Router } from 'express';
import { ApiError } from '../errors.js';
import type { Readiness } from '../master/readiness.js';
import { allowListOf, plainAddress } from './admin-access.js';

const LOOPBACK = allowListOf(['127.0.0.0/8', '::1']);

/** Loopback or ADMIN_ALLOWED_IPS: no key; outside a set ADMIN_ALLOWED_IPS: 403; otherwise `requireKey`. */
function probeAccess(allowedIps: readonly string[], requireKey: RequestHandler): RequestHandler {
  const allowed = allowedIps.length > 0 ? allowListOf(allowedIps) : null;
  return (req, res, next) => {
    const address = plainAddress(req.ip ?? '');
    const family = isIP(address) === 6 ? 'ipv6' : 'ipv4';
    const known = isIP(address) !== 0;
    if (known && LOOPBACK.check(address, family)) next();
    else if (allowed === null) requireKey(req, res, next);
    else if (known && allowed.check(address, family)) next();
    else next(new ApiError('FORBIDDEN', `${address || 'This address'} may not use the admin API (ADMIN_ALLOWED_IPS)`));
  };
}

export interface HealthOptions {
  readiness: Readiness;
  adminAllowedIps: readonly string[];
  /** The admin key check (with its lock-out) for callers that need one. */
  requireKey: RequestHandler;
}

export function healthRouter({ readiness, adminAllowedIps, requireKey }: HealthOptions): Router {
  const router = Router();
  const access = probeAccess(adminAllowedIps, requireKey);
  // Probes are polled: never cached by a proxy between the prober and the server.
  const noStore: RequestHandler = (_req, res, next) => {
    res.set('Cache-Control', 'no-store');
    next();
  };

  router.get('/health/live', access, noStore, (_req, res) => {
    res.json({ data: { status: 'live' } });
  });

  router.get('/health/ready', access, noStore, async (_req, res) => {
    const { ok, checks } = await readiness.report();
    if (ok) {
      res.json({ data: { status: 'ready', checks } });
      return;
    }
    const failing = checks.filter((c) => !c.ok).map((c) => (c.detail ? `${c.name}: ${c.detail}` : c.name));
    // The project's error shape, with the checks beside the message so a prober's log shows which failed.
    res.status(503).json({
      error: { code: 'UNAVAILABLE', message: `Not ready: ${failing.join('; ')}`, checks },
    });
  });

  return router;
}
