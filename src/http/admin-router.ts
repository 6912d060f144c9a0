/**
 * The admin API (docs/http-api.md), every call behind ADMIN_KEY but the health
 * probes (src/http/health-router.ts). Listens on ADMIN_BIND (127.0.0.1 by
 * default): it is for operators, not the internet.
 */
import os from 'node:os';
import { Router } from 'express';
import { ApiError } from '../errors.js';
import type { RoomStats } from '../protocol/room-messages.js';
import { adminDataRouter } from './admin-data-router.js';
import type { Logger } from '../logger.js';
import { adminKeyWithLockout, allowedAddresses } from './admin-access.js';
import { healthRouter } from './health-router.js';
import { KeyLockout } from './key-lockout.js';
import type { ApiDeps } from './deps.js';
import { body, broadcastBody, kickBody, roomName, settingsBody } from './validate.js';

export function adminRouter(deps: ApiDeps & { logger: Logger }): Router {
  const { config, rooms, master } = deps;
  const router = Router();
  // One lock-out for the probes and the rest: wrong keys count the same wherever they are sent.
  const requireKey = adminKeyWithLockout(
    config.adminKey,
    deps.logger.child({ component: 'admin-access' }),
    new KeyLockout(),
  );
  // Before the address and key checks: the probes answer loopback and ADMIN_ALLOWED_IPS without a key.
  router.use(healthRouter({ readiness: deps.readiness, adminAllowedIps: config.adminAllowedIps, requireKey }));
  router.use(allowedAddresses(config.adminAllowedIps));
  router.use(requireKey);
  router.use(adminDataRouter(deps));

  const statsOf = async (name: string): Promise<RoomStats> => {
    let stats: RoomStats | undefined;
    try {
      stats = await rooms.stats(name);
    } catch (error) {
      throw new ApiError('UNAVAILABLE', `Room ${name} did not answer`, { cause: error });
    }
    if (stats === undefined) throw new ApiError('NOT_FOUND', `No room named ${name}`);
    return stats;
  };

  router.get('/', (_req, res) => {
    res.json({ data: { app: 'Admin chatserver', version: master.version } });
  });

  router.get('/load', (_req, res) => {
    const total = os.totalmem();
    const free = os.freemem();
    const names = rooms.names();
    res.json({
      data: {
        loadAvg: os.loadavg(),
        totalMemory: total,
        freeMemory: free,
        percentage: Math.round(((total - free) / total) * 1000) / 10,
        cpus: rooms.slots,
        rooms: names.join(','),
        capacity: rooms.slots - rooms.roomCount,
        osUpTime: os.uptime(),
        upTime: process.uptime(),
        acceptingConnections: master.accepting(),
        connections: master.connections(),
        ...master.dependencies(),
      },
    });
  });

  router.get('/rooms', async (_req, res) => {
    res.json({ data: await rooms.allStats() });
  });

  router.get('/room/:name', async (req, res) => {
    res.json({ data: await statsOf(roomName(req.params.name)) });
  });

  router.delete('/room/:name/shutdown', async (req, res) => {
    const name = roomName(req.params.name);
    if (rooms.lookup(name) === undefined) {
      res.json({ data: { name, message: "Either shutdown already or doesn't exist" } });
      return;
    }
    res.status(202).json({ data: { name, message: 'Shutting down' } });
    await rooms.close(name, 'Room closed by an administrator');
  });

  router.post('/broadcast', async (req, res) => {
    const { text, rooms: names } = body(broadcastBody, req.body);
    res.json({ data: await rooms.broadcast(text, names) });
  });

  router.post('/room/:name/kick', async (req, res) => {
    const name = roomName(req.params.name);
    const { user, reason } = body(kickBody, req.body);
    const kicked = await rooms.kick(name, user, reason ?? 'Kicked by an administrator');
    if (kicked === undefined) throw new ApiError('NOT_FOUND', `No room named ${name}`);
    const { closed } = kicked;
    deps.data.logAdmin(name, 'kick', user, reason ?? '');
    res.json({ data: { name, user, closed } });
  });

  router.patch('/room/:name/settings', async (req, res) => {
    const name = roomName(req.params.name);
    const changed = await rooms.settings(name, settingsBody(req.body));
    if (changed === undefined) throw new ApiError('NOT_FOUND', `No room named ${name}`);
    res.json({ data: { name, settings: changed.settings } });
  });

  router.post('/drain', async (_req, res) => {
    await master.drain();
    res.json({ data: { acceptingConnections: false, message: 'Draining: no new rooms; existing rooms keep running' } });
  });

  router.post('/resume', async (_req, res) => {
    await master.resume();
    res.json({ data: { acceptingConnections: true, message: 'Accepting new rooms' } });
  });

  router.post('/restart', (_req, res) => {
    res.status(202).json({ data: { message: 'Restarting: graceful stop, then exit code 3' } });
    master.requestExit(3, 'restart requested by an administrator');
  });

  router.get('/metrics', async (_req, res) => {
    const text = await deps.metrics.scrape();
    res.type(deps.metrics.contentType).send(text);
  });

  router.delete('/shutdown', (_req, res) => {
    res.status(202).json({ data: { message: 'Shutting down: graceful stop, then exit code 0' } });
    master.requestExit(0, 'shutdown requested by an administrator');
  });

  return router;
}
