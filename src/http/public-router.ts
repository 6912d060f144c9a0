/** The public API (docs/http-api.md): app info, health, create and look up rooms. */
import { Router } from 'express';
import { ApiError } from '../errors.js';
import { NoSlotError } from '../master/rooms.js';
import { requireApiKey } from './api-key.js';
import type { ApiDeps } from './deps.js';
import { noSlot } from './error-handler.js';
import { roomName } from './validate.js';

export function publicRouter({ config, rooms, master }: ApiDeps): Router {
  const router = Router();
  const withPath = (port: number) =>
    config.publicRoomPathPrefix ? { path: `${config.publicRoomPathPrefix}${port}/` } : {};

  const refusal = (error: NoSlotError) =>
    noSlot(error, { maxRooms: config.maxRooms, open: rooms.roomCount, draining: !master.accepting() });

  router.get('/', (_req, res) => {
    res.json({ data: { app: 'chatserver', version: master.version } });
  });

  router.get('/health', (_req, res) => {
    if (master.stopping()) res.status(503).json({ data: { status: 'stopping' } });
    else if (!master.accepting()) res.status(503).json({ data: { status: 'draining' } });
    else res.json({ data: { status: 'ok' } });
  });

  router.post('/room/:name', requireApiKey(config.key), async (req, res) => {
    const name = roomName(req.params.name);
    const existing = rooms.lookup(name);
    if (existing) {
      res.json({ data: { port: existing.port, ...withPath(existing.port), message: `${name} already exists` } });
      return;
    }
    if (!master.accepting()) throw refusal(new NoSlotError('The server is draining'));
    try {
      const { created, port } = await rooms.create(name);
      res
        .status(created ? 201 : 200)
        .json({ data: { port, ...withPath(port), message: created ? 'Room created' : `${name} already exists` } });
    } catch (error) {
      if (error instanceof NoSlotError) throw refusal(error);
      throw new ApiError('INTERNAL', 'The room could not be started', { cause: error });
    }
  });

  router.get('/room/:name', (req, res) => {
    const name = roomName(req.params.name);
    const room = rooms.lookup(name);
    if (room === undefined) throw new ApiError('NOT_FOUND', `No room named ${name}`);
    res.json({ data: { name, port: room.port, ...withPath(room.port), viewers: room.viewers } });
  });

  return router;
}
