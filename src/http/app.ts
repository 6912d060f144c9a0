/**
 * One Express application serving two listeners: the public API on PORT and the
 * admin API on ADMIN_PORT. Which router answers is decided by the listener a
 * request arrived on (a socket the admin server accepted), never by anything
 * the client sends.
 */
import express, { type Express, type RequestHandler } from 'express';
import helmet from 'helmet';
import { ApiError } from '../errors.js';
import type { Logger } from '../logger.js';
import { ADMIN_CONSOLE_PATH, adminConsole } from './admin-console.js';
import { adminRouter } from './admin-router.js';
import type { ApiDeps } from './deps.js';
import { errorHandler, notFound } from './error-handler.js';
import { publicRouter } from './public-router.js';
import { publicRateLimit } from './rate-limit.js';
import { requestLog } from './request-log.js';
import { type RouteInfo, routesOf } from './routes.js';
import { parseQuery } from './validate.js';
import { webApp } from './web-app.js';

export const JSON_BODY_LIMIT = '100kb';

export interface AppOptions extends ApiDeps {
  logger: Logger;
  /** True for a socket accepted by the admin listener. */
  isAdminSocket(socket: object): boolean;
}

/** Where the chat page is served on the public listener. */
export const WEB_APP_PATH = '/app';

/** Every route each listener registers (app.locals.routes), for checking the API description. */
export interface RouteTable {
  public: RouteInfo[];
  admin: RouteInfo[];
}

export function createApp(options: AppOptions): Express {
  const { logger, isAdminSocket, master } = options;
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', options.config.trustedProxies.length > 0 ? options.config.trustedProxies : false);
  app.set('query parser', parseQuery);
  // Parsed on every request, read or not: a malformed query string is a 400 wherever it is sent.
  app.use((req, _res, next) => {
    void req.query;
    next();
  });
  // First of all, before the security headers, the request log or the body: a flood
  // of refused requests costs the master as little as an answer can, and writes no
  // log line per request (the public listener only).
  const limit = publicRateLimit(options.config);
  app.use((req, res, next) => (isAdminSocket(req.socket) ? next() : limit(req, res, next)));
  app.use(helmet());

  // While stopping: answer 503 and close the connection, so clients go elsewhere.
  const refuseWhileStopping: RequestHandler = (_req, _res, next) => {
    if (!master.stopping()) return next();
    next(new ApiError('UNAVAILABLE', 'The server is stopping', { headers: { Connection: 'close' } }));
  };

  const routers = { public: publicRouter(options), admin: adminRouter(options) };
  const routes: RouteTable = {
    public: [...routesOf(routers.public, '/api/v1'), { method: 'GET', path: `${WEB_APP_PATH}/` }],
    admin: [...routesOf(routers.admin, '/api/v1'), { method: 'GET', path: `${ADMIN_CONSOLE_PATH}/` }],
  };
  app.locals.routes = routes;

  const api = (kind: 'public' | 'admin') => {
    const router = express.Router();
    router.use(requestLog(logger.child({ component: `${kind}-api` }), kind));
    router.use(refuseWhileStopping);
    router.use(express.json({ limit: JSON_BODY_LIMIT }));
    router.use('/api/v1', routers[kind]);
    // The chat page, for browsers: public listener only.
    if (kind === 'public') router.use(WEB_APP_PATH, webApp());
    // The operator's console, for browsers: admin listener only (src/http/admin-console.ts).
    if (kind === 'admin') router.use(ADMIN_CONSOLE_PATH, adminConsole(options.config.adminAllowedIps));
    router.use(notFound());
    return router;
  };
  const publicApi = api('public');
  const adminApi = api('admin');
  app.use((req, res, next) => (isAdminSocket(req.socket) ? adminApi : publicApi)(req, res, next));
  app.use(errorHandler(logger.child({ component: 'http' })));
  return app;
}
