/**
 * A room's own listener: `GET /` answers the room's name, a WebSocket upgrade on
 * `/` is a chat connection, and `/http/…` is the same chat over plain HTTP for
 * networks that break the upgrade (src/room/http-routes.ts). Checks that refuse
 * an upgrade (origin, capacity) run before the handshake completes, so a refused
 * browser gets a plain HTTP status.
 * Every accepted socket takes one unit of the process-wide connection budget
 * (src/room/connection-budget.ts) and gives it back when it closes; a socket
 * accepted over the budget gets 503. Also owns the ping/pong liveness of every
 * connection and the drain check of slow readers (src/room/drain-watch.ts).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { type Server as WsServer, WebSocketServer } from 'ws';
import type { RoomAccess, RoomLimits } from '../config.js';
import { type AddressOf, clientAddressOf } from './client-address.js';
import { CloseCode } from '../protocol/frames.js';
import { Client } from './client.js';
import { realClock } from './clock.js';
import type { RoomBudget } from './connection-budget.js';
import { drainCheckInterval } from './drain-watch.js';
import type { Engine } from './engine.js';
import { JoinAdmission } from './join-admission.js';
import { FlushScheduler } from './outbox.js';
import { PingCarrier, pingHoldMs } from './ping-carrier.js';
import { Room, type RoomEvents } from './room.js';
import { ErrorBurst } from '../error-burst.js';
import { listen } from '../lifecycle.js';
import { answerClientError, MAX_HEADER_BYTES } from '../http/client-error.js';
import { WsConnection } from './ws-connection.js';
import { MemberListeners, MemberSocket } from './member-socket.js';
import type { Connection } from './connection.js';
import { HttpRoutes } from './http-routes.js';
import { HttpSessions } from './http-session.js';

export interface RoomLog {
  (level: 'error' | 'warn' | 'info' | 'debug', message: string, meta?: Record<string, unknown>): void;
}

/** How often a room forgets stale rate-limit and timeout entries. */
const SWEEP_INTERVAL_MS = 60_000;
/** What a refused client is told to wait before it tries again. */
const RETRY_AFTER_S = 5;
/** A socket accepted over the budget is answered 503 on its request, or dropped after this. */
const OVER_BUDGET_GRACE_MS = 2_000;
/**
 * Connections the kernel may queue for a room before it accepts them. When every
 * viewer comes back at once (a reconnect storm), Node's default of 511 overflows,
 * and each dropped SYN costs its client a retransmit a second or more later; the
 * kernel caps this at net.core.somaxconn (4,096 on current Linux).
 */
const LISTEN_BACKLOG = 16_384;
/** Accept errors (EMFILE) are logged once per this window, with a count. */
const ACCEPT_ERROR_LOG_MS = 10_000;

/**
 * A socket's error before ws takes it over (ws listens for its own from then on).
 * One function for every socket: a closure per upgrade would stay on each socket,
 * with its context, for the life of the connection.
 */
function destroyOnError(this: Duplex): void {
  this.destroy();
}

export class RoomServer {
  readonly room: Room;
  private readonly http: Server;
  private readonly wss: WsServer<typeof MemberSocket>;
  private readonly listeners: MemberListeners;
  /** Every counted socket's 'close' listener: one function, not a closure per socket. */
  private readonly giveBack = (): void => this.budget?.give();
  private readonly scheduler = new FlushScheduler();
  private readonly pings: PingCarrier;
  private readonly pingTimer: NodeJS.Timeout;
  private readonly sweepTimer: NodeJS.Timeout;
  private readonly drainTimer: NodeJS.Timeout;
  /** Sockets accepted when the budget was spent: their request gets 503. */
  private readonly overBudget = new WeakSet<object>();
  private readonly acceptErrors: ErrorBurst;
  /** The room's join rate: upgrades past it are told when to come back (src/room/join-admission.ts). */
  private readonly admission: JoinAdmission;
  private readonly sessions: HttpSessions;
  private readonly httpRoutes: HttpRoutes;
  private closed = false;
  private readonly addressOf: AddressOf;

  constructor(
    name: string,
    private readonly limits: RoomLimits,
    private readonly access: RoomAccess,
    engine: Engine,
    events: RoomEvents,
    private readonly log: RoomLog,
    private readonly budget?: RoomBudget,
  ) {
    this.room = new Room(name, limits, access, engine, events, realClock);
    this.pings = new PingCarrier(this.room.clock, pingHoldMs(limits));
    this.admission = new JoinAdmission(limits.joinRatePerS, limits.joinBurst, this.room.clock);
    this.addressOf = clientAddressOf(access.trustedProxies);
    this.acceptErrors = new ErrorBurst(ACCEPT_ERROR_LOG_MS, (error, count) =>
      this.log('error', 'Room listener error', { error: error.message, code: error.code, count }),
    );
    this.http = createServer({ maxHeaderSize: MAX_HEADER_BYTES }, (req, res) => this.answerHttp(req, res));
    this.http.on('connection', (socket: Socket) => this.counted(socket));
    // A malformed request or oversized headers: answered (431, 400) and closed, as on the master's listeners.
    this.http.on('clientError', answerClientError);
    // maxPayload: ws closes a connection that sends a larger frame with 1009.
    // WebSocket: the class ws makes for each connection, which carries its member (member-socket.ts).
    this.wss = new WebSocketServer({
      noServer: true,
      maxPayload: limits.maxFrameBytes,
      clientTracking: false,
      WebSocket: MemberSocket,
      autoPong: false,
    });
    this.listeners = new MemberListeners(this.room, limits.slowReaderBytes);
    this.wss.on('error', (error) => this.log('error', 'WebSocket server error', { error: error.message }));
    this.http.on('upgrade', (req, socket, head) => this.upgrade(req, socket, head));
    this.pingTimer = setInterval(() => this.pingAll(), limits.pingIntervalMs);
    this.sweepTimer = setInterval(() => this.room.sweep(), SWEEP_INTERVAL_MS);
    this.drainTimer = setInterval(() => this.checkDrains(), drainCheckInterval(limits.slowReaderMs));
    this.sessions = new HttpSessions({
      clock: this.room.clock,
      idleMs: limits.httpSessionIdleMs,
      slowReaderBytes: limits.slowReaderBytes,
      ended: (session) => {
        if (session.client !== null) this.room.detach(session.client);
      },
    });
    this.httpRoutes = new HttpRoutes({
      room: this.room,
      limits,
      access,
      sessions: this.sessions,
      member: (session, req) => this.member(session, this.addressOf(req)),
      closing: () => this.closed,
      admit: () => this.admission.admit(),
    });
  }

  /**
   * Takes one unit of the budget for an accepted socket, given back exactly once
   * by its 'close' (which every end reaches: close, terminate, error, the room
   * closing). Over the budget, the socket is kept only to answer its request 503.
   */
  private counted(socket: Socket): void {
    if (this.budget === undefined) return;
    if (this.budget.take()) {
      // 'close' comes once per socket.
      socket.on('close', this.giveBack);
      return;
    }
    this.overBudget.add(socket);
    socket.setTimeout(OVER_BUDGET_GRACE_MS, () => socket.destroy());
  }

  /** Listens on every interface at `port`; rejects with a ListenError whose code is the cause (EADDRINUSE). */
  listen(port: number): Promise<number> {
    // Accept errors (EMFILE, ENFILE) come once per refused connection: logged once per burst.
    return listen(this.http, { port, backlog: LISTEN_BACKLOG, acceptErrors: (error) => this.acceptErrors.add(error) });
  }

  private answerHttp(req: IncomingMessage, res: ServerResponse): void {
    const headers = {
      'Content-Type': 'text/plain; charset=utf-8',
      'Access-Control-Allow-Origin': '*',
      'X-Content-Type-Options': 'nosniff',
    };
    if (this.overBudget.has(req.socket)) {
      res.shouldKeepAlive = false;
      res.writeHead(503, { ...headers, 'Retry-After': String(RETRY_AFTER_S) }).end('Too many connections\n');
    } else if (HttpRoutes.owns(req.url ?? '/')) {
      this.httpRoutes.handle(req, res);
    } else if (req.url !== '/' && !req.url?.startsWith('/?')) {
      res.writeHead(404, headers).end('Not found\n');
    } else if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { ...headers, Allow: 'GET, HEAD' }).end('Method not allowed\n');
    } else {
      res.writeHead(200, headers).end(this.room.name);
    }
  }

  private upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', destroyOnError);
    const refuse = (status: number, text: string, retryAfterS = RETRY_AFTER_S) => {
      const retry = status === 503 ? `Retry-After: ${retryAfterS}\r\n` : '';
      socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\n${retry}Content-Length: 0\r\n\r\n`);
    };
    if (this.closed || this.overBudget.has(socket)) return refuse(503, 'Service Unavailable');
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/') return refuse(404, 'Not Found');
    const origin = req.headers.origin;
    const allowed = this.access.allowedOrigins;
    if (origin !== undefined && allowed.length > 0 && !allowed.includes(origin)) return refuse(403, 'Forbidden');
    if (this.room.clients.size >= this.limits.maxConnections) return refuse(503, 'Service Unavailable');
    const admission = this.admission.admit();
    if (!admission.admitted) return refuse(503, 'Service Unavailable', admission.retryAfterS);
    const address = this.addressOf(req);
    this.wss.handleUpgrade(req, socket, head, (ws) => this.accept(ws, socket as Socket, address));
  }

  /** A room member over either transport, from the client address `address` (client-address.ts). */
  private member(connection: Connection, address: string): Client {
    return new Client(connection, {
      address,
      scheduler: this.scheduler,
      limits: this.limits,
      clock: this.room.clock,
      counters: this.room.counters,
    });
  }

  private accept(ws: MemberSocket, socket: Socket, address: string): void {
    // ws now listens for the socket's errors itself.
    socket.removeListener('error', destroyOnError);
    const client = this.member(new WsConnection(ws, socket, this.pings), address);
    this.listeners.attach(ws, client);
    this.room.attach(client);
  }

  /**
   * Pings every connection; one that has not answered the previous ping by the
   * time `pongTimeoutMs` has passed since it was sent is terminated.
   */
  private pingAll(): void {
    const pinged: Array<[Client, number]> = [];
    for (const client of this.room.clients) if (client.ping()) pinged.push([client, client.lastPing]);
    if (pinged.length === 0) return;
    setTimeout(() => {
      for (const [client, ping] of pinged) client.checkPong(ping);
    }, this.limits.pongTimeoutMs).unref();
  }

  /** Cuts (4009) every client whose socket has not drained for SLOW_READER_MS. */
  private checkDrains(): void {
    for (const client of this.room.clients) client.checkDrain();
  }

  /** Closes every client with 1001 and the listener; idempotent. Returns clients closed. */
  async close(reason: string): Promise<number> {
    if (this.closed) return 0;
    this.closed = true;
    clearInterval(this.pingTimer);
    clearInterval(this.sweepTimer);
    clearInterval(this.drainTimer);
    this.acceptErrors.stop();
    this.room.stopTimers();
    this.sessions.stop();
    const closed = this.room.closeAll(CloseCode.GOING_AWAY, reason);
    // Wait (bounded by the master's deadline) for the close handshakes, so
    // clients see 1001 rather than a dropped connection.
    await new Promise<void>((resolve) => {
      const check = () => (this.room.clients.size === 0 ? resolve() : setTimeout(check, 10));
      check();
    });
    await new Promise<void>((resolve) => this.http.close(() => resolve()));
    return closed;
  }
}
