/**
 * One log line per HTTP request: method, path, status, milliseconds and the client's
 * address (from X-Forwarded-For only when the request came through TRUSTED_PROXIES).
 */
import type { RequestHandler } from 'express';
import type { Logger } from '../logger.js';

export function requestLog(logger: Logger, api: 'public' | 'admin'): RequestHandler {
  return (req, res, next) => {
    const start = process.hrtime.bigint();
    res.on('finish', () => {
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      logger.info(`${req.method} ${req.originalUrl.split('?')[0]} ${res.statusCode}`, {
        api,
        status: res.statusCode,
        ip: req.ip,
        ms: Math.round(ms * 10) / 10,
      });
    });
    next();
  };
}
