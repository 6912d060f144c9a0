/**
 * One log line per HTTP request: method, path, status, milliseconds and the client's
 * address (from X-Forwarded-For only when the request came through TRUSTED_PROXIES).
 * Routes that serve static files mark their responses quiet (quietRequestLog): a
 * page load fetches several files, and those lines are noise at info level, so they
 * go out at debug unless the server failed them.
 */
import type { RequestHandler, Response } from 'express';
import type { Logger } from '../logger.js';

const QUIET = Symbol('quiet request log');

/** Logs this response's line at debug level (at info when its status is 5xx). */
export function quietRequestLog(res: Response): void {
  (res.locals as Record<symbol, boolean>)[QUIET] = true;
}

export function requestLog(logger: Logger, api: 'public' | 'admin'): RequestHandler {
  return (req, res, next) => {
    const start = process.hrtime.bigint();
    res.on('finish', () => {
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      const quiet = (res.locals as Record<symbol, boolean>)[QUIET] === true && res.statusCode < 500;
      logger[quiet ? 'debug' : 'info'](`${req.method} ${req.originalUrl.split('?')[0]} ${res.statusCode}`, {
        api,
        status: res.statusCode,
        ip: req.ip,
        ms: Math.round(ms * 10) / 10,
      });
    });
    next();
  };
}
