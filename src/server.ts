/**
 * The master: builds the rooms service, the data layer, the outbound clients and
 * the two listeners (building starts nothing); `listen()` starts them in order and
 * `stop()` runs the graceful stop. Its lifecycle is a small state machine:
 *
 *   running ──drain()──► draining ──resume()──► running
 *      └────────────┬───────┘
 *               stop(code)  ──►  stopping  ──►  stopped (`exited` resolves with the code)
 *
 * `stop` runs the steps of docs/http-api.md in order inside SHUTDOWN_TIMEOUT_MS and
 * is idempotent: the first caller's exit code wins. Only src/signals.ts turns the
 * result into process.exit, so tests can run a whole server in-process.
 */
import { createServer, type Server } from 'node:http';
import type { Socket } from 'node:net';
import { type Config, publicHost } from './config.js';
import { ErrorBurst } from './error-burst.js';
import { ConnectionLimit } from './http/connection-limit.js';
import { createApp, type RouteTable } from './http/app.js';
import { answerClientError, MAX_HEADER_BYTES } from './http/client-error.js';
import type { MasterControls } from './http/deps.js';
import { closeServer, DeadlineError, listen, withDeadline } from './lifecycle.js';
import { describeError, type Logger } from './logger.js';
import { CreditService } from './master/credits.js';
import { DataLayer } from './master/data-layer.js';
import { guestSecret } from './master/guest-secret.js';
import { LbClient } from './master/lb-client.js';
import { Metrics } from './master/metrics.js';
import { ClusterHealth } from './cluster/cluster-health.js';
import { CopyRegistry } from './cluster/copy-registry.js';
import { Readiness } from './master/readiness.js';
import { RoomsService } from './master/rooms.js';
import { APP_VERSION } from './version.js';
import { Webhooks } from './master/webhooks.js';
import { roomWorkerEntry } from './master/worker-entry.js';
import { createStore } from './store/create-store.js';
import { GLOBAL_ROOM, type Store } from './store/store.js';

export type ExitCode = 0 | 1 | 3;
type State = 'running' | 'draining' | 'stopping' | 'stopped';

export interface ChatServerOptions {
  /** The room worker's entry file; tests point this at fixtures that crash or hang. */
  roomWorkerFile?: URL;
  version?: string;
  /** Wraps the configured store; tests use it to inject store faults. */
  wrapStore?: (store: Store) => Store;
  /** The blocked-term list seeded on first start (default config/blocked-terms.txt). */
  termsFile?: URL | string;
}

export class ChatServer {
  /** The rooms: what HTTP and the other parts ask of them (src/master/rooms.ts). */
  readonly rooms: RoomsService;
  readonly data: DataLayer;
  readonly version: string;
  /** Registration with the load balancers and room events for the listing service. */
  readonly balancers: LbClient;
  readonly webhooks: Webhooks;
  /** Paid messages' debits; undefined while CREDIT_SERVICE_URL is empty. */
  readonly credits: CreditService | undefined;
  readonly metrics: Metrics;
  /** The checks behind GET /api/v1/health/ready; other parts add theirs with `readiness.add`. */
  readonly readiness = new Readiness();
  /** Cluster mode: whether the cluster's Redis answers (null: one server). */
  private readonly clusterHealth: ClusterHealth | null;
  /** Cluster mode: which copy of each room speaks for it to the webhooks (null: one server). */
  private readonly copies: CopyRegistry | null;
  /** Every route each listener answers (checked against docs/openapi.yaml). */
  readonly routes: RouteTable;
  /** Resolves with the exit code once a stop has finished. */
  readonly exited: Promise<ExitCode>;
  publicPort = 0;
  adminPort = 0;
  host = '';
  private state: State = 'running';
  private resolveExited: (code: ExitCode) => void = () => undefined;
  private readonly publicServer: Server;
  /** Open connections per client address on the public listener. */
  readonly connectionLimit: ConnectionLimit;
  private readonly adminServer: Server;
  private readonly adminSockets = new WeakSet<object>();
  private readonly log: Logger;
  private stopPromise: Promise<ExitCode> | null = null;

  constructor(
    readonly config: Config,
    logger: Logger,
    options: ChatServerOptions = {},
  ) {
    this.log = logger.child({ component: 'master' });
    this.version = options.version ?? APP_VERSION;
    this.clusterHealth = config.redisUrl ? new ClusterHealth(config.redisUrl) : null;
    this.copies = this.clusterHealth ? new CopyRegistry(this.clusterHealth.client) : null;
    this.exited = new Promise((resolve) => (this.resolveExited = resolve));
    const store = createStore(config, logger);
    // Notices for every room go to the rooms open at the time (the rooms service is built next).
    this.data = new DataLayer(config, options.wrapStore?.(store) ?? store, () => this.rooms.names(), logger, {
      ...(options.termsFile === undefined ? {} : { termsFile: options.termsFile }),
    });
    this.credits =
      config.creditService === null
        ? undefined
        : new CreditService({ ...config.creditService, store: this.data.store, logger });
    const entry = options.roomWorkerFile === undefined ? roomWorkerEntry() : { file: options.roomWorkerFile };
    if (entry.unbundled !== undefined) this.log.info('Room workers run the unbundled entry', { why: entry.unbundled });
    this.rooms = new RoomsService({
      config,
      logger,
      workerFile: entry.file,
      data: this.data,
      ...(this.credits === undefined ? {} : { credits: this.credits }),
    });
    const outbound = { version: this.version, host: () => this.host, rooms: this.rooms, logger };
    this.balancers = new LbClient({
      ...outbound,
      urls: config.loadBalancers,
      key: config.loadBalancerKey,
      heartbeatS: config.lbHeartbeatS,
    });
    this.webhooks = new Webhooks({
      ...outbound,
      urls: config.listingWebhookUrls,
      secret: config.webhookSecret,
      copies: this.copies,
    });
    this.metrics = new Metrics({
      rooms: this.rooms,
      data: this.data,
      balancers: this.balancers,
      webhooks: this.webhooks,
      accepting: () => this.state === 'running',
    });
    this.addReadinessChecks();
    const app = createApp({
      config,
      rooms: this.rooms,
      data: this.data,
      metrics: this.metrics,
      readiness: this.readiness,
      master: this.controls(),
      logger,
      isAdminSocket: (socket) => this.adminSockets.has(socket),
    });
    this.routes = app.locals.routes as RouteTable;
    this.publicServer = createServer({ maxHeaderSize: MAX_HEADER_BYTES }, app);
    const trusted = app.get('trust proxy fn') as (address: string, hop: number) => boolean;
    this.connectionLimit = new ConnectionLimit(config.publicMaxConnectionsPerAddress, (a) => trusted(a, 0));
    this.connectionLimit.watch(this.publicServer);
    this.adminServer = createServer({ maxHeaderSize: MAX_HEADER_BYTES }, app);
    this.adminServer.on('connection', (socket: Socket) => this.adminSockets.add(socket));
    for (const server of [this.publicServer, this.adminServer]) {
      // A malformed request or oversized headers never reach the app: answered (431, 400) and closed.
      server.on('clientError', answerClientError);
      server.headersTimeout = 10_000;
      server.requestTimeout = 30_000;
    }
  }

  private addReadinessChecks(): void {
    // A real read, as cheap as the store has: the global moderation room is never a
    // real room, so this finds no row. It goes through the same store the rooms use.
    this.readiness.add('store', async () => {
      await this.data.store.room(GLOBAL_ROOM);
      return { ok: true, detail: this.data.store.kind };
    });
    if (this.clusterHealth !== null) {
      const cluster = this.clusterHealth;
      this.readiness.add('cluster', () => cluster.check());
    }
    this.readiness.add('accepting', () => {
      if (this.state === 'running') return { ok: true };
      if (this.state === 'draining') return { ok: false, detail: 'draining; POST /api/v1/resume accepts rooms again' };
      return { ok: false, detail: this.state };
    });
  }

  private controls(): MasterControls {
    return {
      version: this.version,
      accepting: () => this.state === 'running',
      stopping: () => this.state === 'stopping' || this.state === 'stopped',
      drain: async () => {
        if (this.state === 'running') this.state = 'draining';
        this.log.info('Draining: no new rooms');
        await this.balancers.unregister();
      },
      resume: async () => {
        if (this.state === 'draining') this.state = 'running';
        this.log.info('Resumed: accepting new rooms');
        await this.balancers.register();
      },
      requestExit: (code, reason) => {
        // After the current answer has gone out.
        setImmediate(() => void this.stop(code, reason));
      },
      dependencies: () => ({ store: this.data.status(), loadBalancers: this.balancers.status() }),
      connections: () => this.rooms.connections(),
    };
  }

  /** The steps of a graceful stop, each given what is left of the deadline. */
  private async stopSteps(deadline: number): Promise<'done'> {
    const remaining = () => Math.max(100, deadline - Date.now());
    // Balancers stop sending rooms here while the rooms close (two bounded calls at most).
    const leaving = this.balancers.stop(Math.min(2_500, remaining()));
    // Rooms first (clients get 1001), keeping a margin for closing the listeners after.
    await this.rooms.stop('Server shutting down', Math.max(100, remaining() - 500));
    // The rooms' last records arrived before their close replies: write them all.
    await Promise.all([
      leaving,
      this.webhooks.stop(Math.min(1_000, remaining() - 400)),
      this.data.stop(deadline - 300),
    ]);
    await Promise.all([closeServer(this.publicServer, remaining()), closeServer(this.adminServer, remaining())]);
    this.copies?.stop();
    this.clusterHealth?.stop();
    return 'done';
  }

  /** Starts the data layer and the rooms, then binds both listeners; a port that cannot be bound names its setting. */
  async listen(): Promise<void> {
    // Rooms created from here on get the cached bans and terms.
    await this.data.start();
    this.clusterHealth?.start();
    this.copies?.start();
    // Before the first worker: every room signs and checks guest tokens with the same secret.
    this.config.access.guestSecret = guestSecret(this.config.access.guestSecret, this.config.dataDir);
    this.rooms.start();
    // Once listening, a listener's errors are accept failures (EMFILE when descriptors
    // run out): logged once per burst, never an uncaught exception that ends the master.
    const burst = new ErrorBurst(10_000, (error, count) =>
      this.log.error('A listener could not accept connections', { code: error.code, error: error.message, count }),
    );
    const acceptErrors = (error: NodeJS.ErrnoException) => burst.add(error);
    this.publicPort = await listen(this.publicServer, { port: this.config.port, setting: 'PORT', acceptErrors });
    this.adminPort = await listen(this.adminServer, {
      port: this.config.adminPort,
      host: this.config.adminBind,
      setting: 'ADMIN_PORT',
      acceptErrors,
    });
    this.host = publicHost(this.config.host, this.publicPort);
    this.log.info('Listening', {
      publicPort: this.publicPort,
      adminPort: this.adminPort,
      adminBind: this.config.adminBind,
      host: this.host,
      slots: this.config.maxRooms,
      slotsFrom: this.config.maxRoomsFrom,
    });
    this.metrics.start();
    this.balancers.start();
    this.webhooks.start();
  }

  /** The graceful stop; every caller gets the same promise. */
  stop(code: ExitCode, reason: string): Promise<ExitCode> {
    this.stopPromise ??= this.runStop(code, reason);
    return this.stopPromise;
  }

  private async runStop(code: ExitCode, reason: string): Promise<ExitCode> {
    this.state = 'stopping';
    const timeoutMs = this.config.shutdownTimeoutMs;
    this.log.info('Stopping', { reason, exitCode: code, deadlineMs: timeoutMs });
    // A step that fails is treated like one that overran: the stop still ends, and
    // `exited` always resolves, so the process always exits.
    const outcome = await withDeadline(this.stopSteps(Date.now() + timeoutMs), timeoutMs, 'graceful stop').catch(
      (error: unknown) => {
        if (error instanceof DeadlineError) return 'overran' as const;
        this.log.error('A step of the graceful stop failed', describeError(error));
        return 'failed' as const;
      },
    );
    if (outcome !== 'done') {
      if (outcome === 'overran')
        this.log.error('Graceful stop overran SHUTDOWN_TIMEOUT_MS; cutting what is left', { timeoutMs });
      for (const server of [this.publicServer, this.adminServer]) {
        server.close();
        server.closeAllConnections();
      }
    }
    this.state = 'stopped';
    this.log.info('Stopped', { exitCode: code });
    this.resolveExited(code);
    return code;
  }
}

export async function startChatServer(
  config: Config,
  logger: Logger,
  options?: ChatServerOptions,
): Promise<ChatServer> {
  const server = new ChatServer(config, logger, options);
  try {
    await server.listen();
  } catch (error) {
    await server.stop(1, 'could not bind');
    throw error;
  }
  return server;
}
