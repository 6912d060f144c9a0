/**
 * The operator's console at /admin/ on the admin listener: the static files
 * `npm run build` puts in dist/admin. They are served without the admin key (the
 * page asks for it and sends it as X-API-Key on every API call; it is kept in
 * sessionStorage, never in a cookie, so a cross-site request carries nothing),
 * but only to addresses ADMIN_ALLOWED_IPS lets in, like the API itself. The CSP
 * keeps everything to this origin: the page talks only to /api/v1 beside it.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { Router } from 'express';
import helmet from 'helmet';
import { ApiError } from '../errors.js';
import { allowedAddresses } from './admin-access.js';

/** Where the console is served on the admin listener. */
export const ADMIN_CONSOLE_PATH = '/admin';

/** dist/admin, next to dist/src where this file runs from. */
export const ADMIN_CONSOLE_ROOT = fileURLToPath(new URL('../../admin/', import.meta.url));

export function adminConsole(allowedIps: readonly string[], root: string = ADMIN_CONSOLE_ROOT): Router {
  const router = Router();
  router.use(allowedAddresses(allowedIps));
  router.use(
    helmet.contentSecurityPolicy({
      useDefaults: false,
      directives: {
        'default-src': ["'self'"],
        'connect-src': ["'self'"],
        'script-src': ["'self'"],
        'style-src': ["'self'"],
        'img-src': ["'self'", 'data:'],
        'font-src': ["'self'"],
        'object-src': ["'none'"],
        'base-uri': ["'self'"],
        'form-action': ["'self'"],
        'frame-ancestors': ["'none'"],
      },
    }),
  );
  // The page holds the key for its tab; nothing of it should stay in a shared cache.
  router.use((_req, res, next) => {
    res.set('Cache-Control', 'no-store');
    next();
  });
  router.use(express.static(root, { index: 'index.html', maxAge: 0 }));
  router.use((_req, _res, next) => {
    if (!existsSync(join(root, 'index.html')))
      next(new ApiError('NOT_FOUND', "The operator's console is not built; run `npm run build`"));
    else next();
  });
  return router;
}
