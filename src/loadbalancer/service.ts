/**
 * The load-balancer service as one object: the registry, its HTTP listener and
 * the sweep that drops servers past their expiry (each logged once). Its
 * own entry point (main.ts) owns signals and the exit code, so tests can run the
 * service in-process.
 */
import { createServer, type Server } from 'node:http';
import { closeServer, listen } from '../lifecycle.js';
import type { Logger } from '../logger.js';
import { createLbApp } from './app.js';
import type { LbConfig } from './config.js';
import { Registry } from './registry.js';

export class LoadBalancerService {
  readonly registry: Registry;
  port = 0;
  private readonly server: Server;
  private sweeper: NodeJS.Timeout | undefined;
  private readonly log: Logger;
  private closing: Promise<void> | null = null;

  constructor(
    private readonly config: LbConfig,
    logger: Logger,
    readonly version: string,
  ) {
    this.log = logger.child({ component: 'loadbalancer' });
    this.registry = new Registry(config.expiryMs, (name) =>
      this.log.info('Chat server expired: no heartbeat', { server: name }),
    );
    this.server = createServer(createLbApp({ key: config.key, version, registry: this.registry, logger }));
    this.server.on('clientError', (_error, socket) => socket.destroy());
    this.server.headersTimeout = 10_000;
    this.server.requestTimeout = 30_000;
  }

  /** Binds LB_PORT (on LB_BIND) and starts the expiry sweep; a port that cannot be bound rejects with a message naming it. */
  async listen(): Promise<number> {
    const { port, bind } = this.config;
    this.port = await listen(this.server, { port, host: bind || undefined, setting: 'LB_PORT' });
    this.sweeper ??= setInterval(() => this.registry.sweep(), Math.min(1_000, this.config.expiryMs));
    this.sweeper.unref();
    this.log.info('Listening', {
      port: this.port,
      bind: bind || 'all interfaces',
      expiryS: this.config.expiryMs / 1000,
      version: this.version,
    });
    return this.port;
  }

  /** Stops accepting, lets answers in flight finish for up to `timeoutMs`, then cuts the rest. Idempotent. */
  close(timeoutMs = 5_000): Promise<void> {
    clearInterval(this.sweeper);
    this.closing ??= closeServer(this.server, timeoutMs);
    return this.closing;
  }
}
