/**
 * The load-balancer service's HTTP API, exactly as docs/loadbalancer-protocol.md
 * describes it: JSON `{"status","message"}` answers, `X-API-Key` on every call but
 * the liveness `GET /`, and a wrong or missing key answered 400 "Not allowed" (the
 * status the balancers in the field use). Errors go through the project's error
 * table (src/errors.ts) and leave in the contract's shape.
 */
import { createHash } from 'node:crypto';
import express, { type ErrorRequestHandler, type Express, type RequestHandler } from 'express';
import helmet from 'helmet';
import { ApiError, errorCodes } from '../errors.js';
import { keyMatches } from '../http/api-key.js';
import { describeError, type Logger } from '../logger.js';
import { infoHtml } from './info-html.js';
import type { Registry } from './registry.js';

export interface LbAppOptions {
  key: string;
  version: string;
  registry: Registry;
  logger: Logger;
}

const COUNT = /^\d{1,9}$/;

function count(value: string, what: string): number {
  if (!COUNT.test(value)) throw new ApiError('BAD_REQUEST', `${what} must be a whole number, got "${value}"`);
  return Number(value);
}

function text(value: string, what: string, max: number): string {
  if (value.length === 0 || value.length > max)
    throw new ApiError('BAD_REQUEST', `${what} must be 1 to ${max} characters`);
  return value;
}

export function createLbApp({ key, version, registry, logger }: LbAppOptions): Express {
  const log = logger.child({ component: 'loadbalancer' });
  const app = express();
  app.disable('x-powered-by');
  app.use(helmet());
  app.use((req, res, next) => {
    res.on('finish', () => log.debug(`${req.method} ${req.path} ${res.statusCode}`));
    next();
  });

  app.get('/', (_req, res) => {
    res.type('text/plain').send(`loadbalancer ${version}`);
  });

  const expected = createHash('sha256').update(key).digest(); // the form keyMatches compares
  const requireKey: RequestHandler = (req, _res, next) => {
    if (keyMatches(req.get('x-api-key'), expected)) next();
    else next(new ApiError('BAD_REQUEST', 'Not allowed'));
  };
  app.use(requireKey);

  app.put('/register/:name/:cpus/:rooms/:version', (req, res) => {
    const name = text(req.params.name, 'name', 2048);
    const cpus = count(req.params.cpus, 'cpus');
    const rooms = count(req.params.rooms, 'rooms');
    const serverVersion = text(req.params.version, 'version', 64);
    if (registry.register(name, cpus, rooms, serverVersion))
      log.info('Chat server registered', { server: name, cpus, rooms, version: serverVersion });
    res.json({ status: 'ok', message: `Registered ${name}` });
  });

  app.delete('/register/:name', (req, res) => {
    const name = req.params.name;
    if (registry.unregister(name)) log.info('Chat server unregistered', { server: name });
    res.json({ status: 'ok', message: `Unregistered ${name}` });
  });

  app.get('/find/:version', (req, res) => {
    res.json({ status: 'ok', message: registry.find(req.params.version) });
  });

  app.get('/info/json', (_req, res) => {
    res.json({ status: 'ok', message: registry.all() });
  });

  app.get('/info/html', (_req, res) => {
    res.type('html').send(infoHtml(Object.values(registry.all()), version, new Date()));
  });

  app.use((req, _res, next) => next(new ApiError('NOT_FOUND', `No such path: ${req.method} ${req.path}`)));
  app.use(errorHandler(log));
  return app;
}

function errorHandler(log: Logger): ErrorRequestHandler {
  return (error: unknown, req, res, next) => {
    if (res.headersSent) {
      next(error);
      return;
    }
    if (error instanceof ApiError) {
      res.status(error.status).json({ status: 'error', message: error.message });
      return;
    }
    // A malformed percent-encoding in a path segment is the client's mistake.
    const status = (error as { status?: unknown }).status;
    const { BAD_REQUEST, INTERNAL } = errorCodes;
    if (status === BAD_REQUEST.status) {
      res.status(BAD_REQUEST.status).json({ status: 'error', message: BAD_REQUEST.message });
      return;
    }
    log.error('Request failed', { method: req.method, path: req.path, ...describeError(error) });
    res.status(INTERNAL.status).json({ status: 'error', message: INTERNAL.message });
  };
}
