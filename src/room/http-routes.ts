/**
 * The HTTP fallback's four routes on a room's port, for members whose network
 * breaks the WebSocket upgrade (docs/protocol.md, "HTTP fallback"):
 *
 *   POST   /http/join                 a join frame → 201 {session, welcome}, or the refusal as a 4xx
 *   GET    /http/events?session=<id>  the session's frames as Server-Sent Events
 *   POST   /http/send?session=<id>    one client frame → 202; its answers arrive on the stream
 *   DELETE /http/session?session=<id> leaves
 *
 * Sessions and their streams are src/room/http-session.ts; this file turns
 * requests into the room's calls and answers. Origins are checked as for
 * upgrades (ALLOWED_ORIGINS); CORS answers exactly what a page of an allowed
 * origin needs: these methods, Content-Type and Last-Event-ID, no credentials.
 */
import type { Admission } from './join-admission.js';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RoomAccess, RoomLimits } from '../config.js';
import { CloseCode } from '../protocol/frames.js';
import type { Client } from './client.js';
import type { HttpSession, HttpSessions } from './http-session.js';
import type { Room } from './room.js';

/** The routes and the one method each takes. */
const ROUTES: Record<string, string> = {
  '/http/join': 'POST',
  '/http/events': 'GET',
  '/http/send': 'POST',
  '/http/session': 'DELETE',
};
const RETRY_AFTER_S = '5';
const NO_SESSION = 'No such session in this room: unknown, expired or ended; join again';

export interface HttpRoutesOptions {
  room: Room;
  limits: RoomLimits;
  access: RoomAccess;
  sessions: HttpSessions;
  /** A room member over a new session (the room server's Client options). */
  member(session: HttpSession): Client;
  /** True once the room is closing: joins are refused with 503. */
  closing(): boolean;
  /** The room's join rate, shared with WebSocket upgrades (src/room/join-admission.ts). */
  admit(): Admission;
}

type Headers = Record<string, string>;

export class HttpRoutes {
  constructor(private readonly o: HttpRoutesOptions) {}

  /** Whether `path` is one of the fallback's (the room server hands those here). */
  static owns(path: string): boolean {
    return path.startsWith('/http/');
  }

  handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://room');
    const origin = req.headers.origin;
    const headers: Headers = { 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' };
    if (origin !== undefined) {
      if (!this.originAllowed(origin)) return json(res, 403, headers, error('FORBIDDEN', 'Origin not allowed'));
      headers['Access-Control-Allow-Origin'] = origin;
      headers.Vary = 'Origin';
    }
    const method = ROUTES[url.pathname];
    if (method === undefined) return json(res, 404, headers, error('NOT_FOUND', 'No such path'));
    if (req.method === 'OPTIONS') {
      res.writeHead(204, {
        ...headers,
        'Access-Control-Allow-Methods': method,
        'Access-Control-Allow-Headers': 'Content-Type, Last-Event-ID',
        'Access-Control-Max-Age': '600',
      });
      return void res.end();
    }
    if (req.method !== method)
      return json(res, 405, { ...headers, Allow: method }, error('BAD_REQUEST', `Use ${method} on ${url.pathname}`));
    const session = url.searchParams.get('session');
    switch (url.pathname) {
      case '/http/join':
        return void this.join(req, res, headers);
      case '/http/events':
        return this.events(req, res, headers, session, url.searchParams.get('lastEventId'));
      case '/http/send':
        return void this.send(req, res, headers, session);
      default:
        return this.leave(res, headers, session);
    }
  }

  private originAllowed(origin: string): boolean {
    const allowed = this.o.access.allowedOrigins;
    return allowed.length === 0 || allowed.includes(origin);
  }

  private async join(req: IncomingMessage, res: ServerResponse, headers: Headers): Promise<void> {
    const { room, limits } = this.o;
    if (this.o.closing() || room.clients.size >= limits.maxConnections)
      return json(
        res,
        503,
        { ...headers, 'Retry-After': RETRY_AFTER_S },
        error('UNAVAILABLE', 'The room is full or closing'),
      );
    const admission = this.o.admit();
    if (!admission.admitted)
      return json(
        res,
        503,
        { ...headers, 'Retry-After': String(admission.retryAfterS) },
        error('UNAVAILABLE', 'Too many joins at once; try again after Retry-After'),
      );
    const body = await readBody(req, limits.maxFrameBytes);
    if (body === null) return tooLarge(res, headers, limits.maxFrameBytes);
    const session = this.o.sessions.create();
    const client = this.o.member(session);
    session.client = client;
    room.attach(client);
    room.receive(client, body);
    const outcome = await session.joined();
    if (outcome.kind === 'welcome') return json(res, 201, headers, { session: session.id, welcome: outcome.welcome });
    if (outcome.kind === 'refused') {
      session.terminate();
      return json(res, 400, headers, {
        error: { code: 'BAD_REQUEST', message: outcome.error.message, frameCode: outcome.error.code },
      });
    }
    const status = outcome.code === CloseCode.GOING_AWAY ? 503 : 403;
    return json(res, status, headers, {
      error: {
        code: status === 503 ? 'UNAVAILABLE' : 'FORBIDDEN',
        message: outcome.reason,
        closeCode: outcome.code,
        reason: outcome.reason,
      },
    });
  }

  private events(
    req: IncomingMessage,
    res: ServerResponse,
    headers: Headers,
    id: string | null,
    lastEventIdParam: string | null,
  ): void {
    const session = this.o.sessions.get(id);
    if (session === undefined || !session.isActive) return json(res, 404, headers, error('NOT_FOUND', NO_SESSION));
    const raw = req.headers['last-event-id'] ?? lastEventIdParam ?? undefined;
    const lastEventId = typeof raw === 'string' && /^\d{1,15}$/.test(raw) ? Number(raw) : undefined;
    res.writeHead(200, {
      ...headers,
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache, no-transform',
      // NGINX passes the stream through as it is written.
      'X-Accel-Buffering': 'no',
    });
    res.write(': open\n\n');
    session.attach(res, lastEventId, (since) => this.o.room.recover(since));
  }

  private async send(req: IncomingMessage, res: ServerResponse, headers: Headers, id: string | null): Promise<void> {
    const max = this.o.limits.maxFrameBytes;
    if (this.o.sessions.get(id)?.isActive !== true) {
      req.resume();
      return json(res, 404, headers, error('NOT_FOUND', NO_SESSION));
    }
    const body = await readBody(req, max);
    if (body === null) return tooLarge(res, headers, max);
    const session = this.o.sessions.get(id);
    if (session === undefined || !session.isActive || session.client === null)
      return json(res, 404, headers, error('NOT_FOUND', NO_SESSION));
    this.o.room.receive(session.client, body);
    json(res, 202, headers, { data: { accepted: true } });
  }

  private leave(res: ServerResponse, headers: Headers, id: string | null): void {
    const session = this.o.sessions.get(id);
    if (session === undefined) return json(res, 404, headers, error('NOT_FOUND', NO_SESSION));
    session.leave();
    res.writeHead(204, headers).end();
  }
}

function error(code: string, message: string): object {
  return { error: { code, message } };
}

function json(res: ServerResponse, status: number, headers: Headers, body: object): void {
  res.writeHead(status, { ...headers, 'Content-Type': 'application/json; charset=utf-8' });
  res.end(`${JSON.stringify(body)}\n`);
}

function tooLarge(res: ServerResponse, headers: Headers, max: number): void {
  // The rest of the body is not read: the connection closes after the answer.
  res.shouldKeepAlive = false;
  json(res, 413, headers, error('PAYLOAD_TOO_LARGE', `A frame may be at most ${max} bytes (MAX_FRAME_BYTES)`));
}

/** The body as text, or null when it is larger than `max` bytes. */
function readBody(req: IncomingMessage, max: number): Promise<string | null> {
  const declared = Number(req.headers['content-length'] ?? '0');
  if (declared > max) return Promise.resolve(null);
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let bytes = 0;
    req.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes > max) {
        resolve(null);
        req.removeAllListeners('data');
        req.resume();
      } else chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString()));
    req.on('error', () => resolve(null));
  });
}
