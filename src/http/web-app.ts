/**
 * The chat page at /app/ on the public listener: the static files `npm run build`
 * puts in dist/web. The page opens WebSockets to room ports (other origins than
 * the page's), which helmet's default CSP (`default-src 'self'`) forbids; this
 * route's CSP allows ws:/wss: connections and keeps everything else to 'self'.
 * Its requests are logged at debug level: a page load is four static files.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { Router } from 'express';
import helmet from 'helmet';
import { ApiError } from '../errors.js';
import { quietRequestLog } from './request-log.js';

/** dist/web, next to dist/src where this file runs from. */
export const WEB_ROOT = fileURLToPath(new URL('../../web/', import.meta.url));

/** `http://<host>:* https://<host>:*` for the page's own host (only a well-formed host name or address). */
function roomHttpSources(hostHeader: string | undefined): string {
  const host = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+)(:\d+)?$/.exec(hostHeader ?? '')?.[1];
  return host === undefined ? '' : `http://${host}:* https://${host}:*`;
}

export function webApp(root: string = WEB_ROOT): Router {
  const router = Router();
  router.use((_req, res, next) => {
    quietRequestLog(res);
    next();
  });
  router.use(
    helmet.contentSecurityPolicy({
      useDefaults: false,
      directives: {
        'default-src': ["'self'"],
        // Rooms listen on their own ports of this host: WebSockets, and HTTP for their fallback.
        'connect-src': ["'self'", 'ws:', 'wss:', (req) => roomHttpSources(req.headers.host)],
        'script-src': ["'self'"],
        'style-src': ["'self'"],
        'img-src': ["'self'", 'data:'],
        'font-src': ["'self'"],
        'object-src': ["'none'"],
        'base-uri': ["'self'"],
        'form-action': ["'self'"],
        'frame-ancestors': ["'self'"],
      },
    }),
  );
  // No long caching: the file names carry no hash, and the files are small.
  router.use(express.static(root, { index: 'index.html', maxAge: 0 }));
  router.use((_req, _res, next) => {
    if (!existsSync(join(root, 'index.html')))
      next(new ApiError('NOT_FOUND', 'The chat page is not built; run `npm run build`'));
    else next();
  });
  return router;
}
