/**
 * The store-backed admin calls (docs/http-api.md): a room's transcript and
 * moderation log and paid messages (newest first, paged with `before`), bans, blocked terms and a
 * cache refresh. Mounted by the admin router, behind its key check. A store that
 * does not answer is a 503 that says so; bans and terms are changed in the store
 * first and then pushed to running rooms, so what a room enforces is what is kept.
 * A ban and its moderation log entry are one write: both or neither (a global
 * ban's entry is in the moderation log of room "*").
 * Reads lay what is still queued for the store over what it returns, so they
 * see every record without waiting for a write.
 */
import { Router } from 'express';
import { ApiError } from '../errors.js';
import { withDeadline } from '../lifecycle.js';
import { STORE_CALL_TIMEOUT_MS } from '../master/cache.js';
import { type Ban, GLOBAL_ROOM } from '../store/store.js';
import { banBody, bansQuery, messagesQuery, moderationQuery, query, termsBody } from './data-schemas.js';
import type { ApiDeps } from './deps.js';
import { body, roomName } from './validate.js';

async function fromStore<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof ApiError) throw error;
    throw new ApiError('UNAVAILABLE', `The store is not answering: ${(error as Error).message}`, { cause: error });
  }
}

export function adminDataRouter({ data, rooms }: ApiDeps): Router {
  const router = Router();
  const { cache, reads } = data;

  router.get('/room/:name/messages', async (req, res) => {
    const room = roomName(req.params.name);
    const { limit, before } = query(messagesQuery, req.query);
    const rows = await fromStore(() => reads.messages(room, { limit, before }));
    const messages = rows.map(({ room: _room, ...m }) => m);
    res.json({ data: { room, messages, next: rows.length === limit ? (rows.at(-1)?.id ?? null) : null } });
  });

  router.get('/room/:name/moderation', async (req, res) => {
    // "*": the log of acts on every room (global bans).
    const room = req.params.name === GLOBAL_ROOM ? GLOBAL_ROOM : roomName(req.params.name);
    const { limit, before } = query(moderationQuery, req.query);
    const rows = await fromStore(() => reads.moderation(room, { limit, before }));
    const entries = rows.map(({ room: _room, ...e }) => e);
    res.json({ data: { room, entries, next: rows.length === limit ? (rows.at(-1)?.id ?? null) : null } });
  });

  router.get('/room/:name/tips', async (req, res) => {
    const room = roomName(req.params.name);
    const { limit, before } = query(moderationQuery, req.query);
    const rows = await fromStore(() =>
      withDeadline(data.store.tips(room, { limit, before }), STORE_CALL_TIMEOUT_MS, 'reading tips'),
    );
    const tips = rows.map(({ room: _room, ...t }) => t);
    res.json({ data: { room, tips, next: rows.length === limit ? (rows.at(-1)?.id ?? null) : null } });
  });

  router.get('/bans', async (req, res) => {
    const { room } = query(bansQuery, req.query);
    const bans = await fromStore(() => reads.bans());
    const shown = room === undefined ? bans : bans.filter((b) => b.room === null || b.room === room);
    res.json({ data: { bans: shown } });
  });

  router.post('/bans', async (req, res) => {
    const input = body(banBody, req.body);
    const ban: Ban = {
      user: input.user,
      room: input.room ?? null,
      reason: input.reason ?? '',
      by: 'admin',
      at: Date.now(),
      until: input.until ?? null,
    };
    await fromStore(() => data.ban(ban));
    res.status(201).json({ data: { ban } });
  });

  router.delete('/bans/:user', async (req, res) => {
    const user = req.params.user;
    const { room } = query(bansQuery, req.query);
    const removed = await fromStore(() => data.unban(user, room ?? null));
    const where = room === undefined ? 'globally' : `in room ${room}`;
    if (!removed) throw new ApiError('NOT_FOUND', `${user} is not banned ${where}`);
    res.json({ data: { user, room: room ?? null, removed: true } });
  });

  router.get('/blocked-terms', (_req, res) => {
    res.json({ data: { terms: cache.blockedTerms() } });
  });

  router.put('/blocked-terms', async (req, res) => {
    const { terms } = body(termsBody, req.body);
    const unique = [...new Set(terms)];
    await fromStore(() => cache.setBlockedTerms(unique));
    res.json({ data: { terms: unique } });
  });

  router.get('/review-terms', (_req, res) => {
    res.json({ data: { terms: cache.reviewTermList() } });
  });

  router.put('/review-terms', async (req, res) => {
    const { terms } = body(termsBody, req.body);
    const unique = [...new Set(terms)];
    await fromStore(() => cache.setReviewTerms(unique));
    res.json({ data: { terms: unique } });
  });

  router.post('/cache/refresh', async (_req, res) => {
    if (!(await cache.refresh()))
      throw new ApiError('UNAVAILABLE', 'The store is not answering; rooms keep the last good copy');
    res.json({ data: { refreshed: true, rooms: rooms.names().length, ...cache.status() } });
  });

  return router;
}
