/**
 * One Express application serving two listeners: the public API on PORT and the
 * admin API on ADMIN_PORT. Which router answers is decided by the listener a
 * request arrived on (a socket the admin server accepted), never by anything
 * the client sends.
 */
import express, { type Express, type RequestHandler } from 'express';
import helmet from 'helmet';
import type { Logger } from '../logger.js';
import { adminRouter } from './admin-router.js';
import type { ApiDeps } from './deps.js';
import { errorHandler, notFound } from './error-handler.js';
import { publicRouter } from './public-router.js';
import { requestLog } from './request-log.js';
import { webApp } from './web-app.js';

export const JSON_BODY_LIMIT = '100kb';

export interface AppOptions extends ApiDeps {
  logger: Logger;
  /** True for a socket accepted by the admin listener. */
  isAdminSocket(socket: object): boolean;
}

export function createApp(options: AppOptions): Express {
  const { logger, isAdminSocket, master } = options;
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', options.config.trustedProxies.length > 0 ? options.config.trustedProxies : false);
  app.use(helmet());

  // While stopping: answer 503 and close the connection, so clients go elsewhere.
  const refuseWhileStopping: RequestHandler = (_req, res, next) => {
    if (!master.stopping()) return next();
    res
      .set('Connection', 'close')
      .status(503)
      .json({ error: { code: 'UNAVAILABLE', message: 'The server is stopping' } });
  };

  const api = (kind: 'public' | 'admin') => {
    const router = express.Router();
    router.use(requestLog(logger.child({ component: `${kind}-api` }), kind));
    router.use(refuseWhileStopping);
    router.use(express.json({ limit: JSON_BODY_LIMIT }));
    router.use('/api/v1', kind === 'admin' ? adminRouter(options) : publicRouter(options));
    // The chat page, for browsers: public listener only.
    if (kind === 'public') router.use('/app', webApp());
    router.use(notFound());
    return router;
  };
  const publicApi = api('public');
  const adminApi = api('admin');
  app.use((req, res, next) => (isAdminSocket(req.socket) ? adminApi : publicApi)(req, res, next));
  app.use(errorHandler(logger.child({ component: 'http' })));
  return app;
}
