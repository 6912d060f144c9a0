/**
 * The process's signals and exit, for both entry points (src/main.ts and
 * src/loadbalancer/main.ts): the only module that listens for signals or calls
 * process.exit, so everything else can run in-process in tests.
 *
 * SIGTERM and SIGINT ask for a graceful stop (exit 0); an uncaught exception
 * asks for one with exit 1; an unhandled rejection is logged and the process
 * keeps running. A stop asked for while the service is still starting waits
 * for it. The service's own stop keeps its deadline; the watchdog here is the
 * last resort if the event loop is wedged.
 */
import { ListenerSet } from './lifecycle.js';
import { describeError, type Logger } from './logger.js';

export type StopCode = 0 | 1 | 3;

/** Writes `program: message` to stderr and exits 1 (a bad configuration, a port that cannot be bound). */
export function fail(program: string, message: string): never {
  process.stderr.write(`${program}: ${message}\n`);
  process.exit(1);
}

export interface Service {
  /** The graceful stop; resolves with the code to exit with. */
  stop(code: StopCode, reason: string): Promise<StopCode>;
}

export interface SignalOptions {
  logger: Logger;
  /** After a stop is asked for, exit anyway this long after (ms). */
  watchdogMs: number;
}

export class ProcessSignals {
  private service: Service | undefined;
  private pending: { code: StopCode; reason: string } | undefined;
  private stopping = false;
  private readonly listeners = new ListenerSet();

  constructor(private readonly options: SignalOptions) {}

  /** Handles signals from now on: a signal that comes before `serve` waits for it. Idempotent. */
  listen(): this {
    if (this.listeners.size > 0) return this;
    const { logger } = this.options;
    // Once each: a second SIGTERM or SIGINT finds no listener and ends the process at once.
    this.listeners
      .once(process, 'SIGTERM', () => this.stop(0, 'SIGTERM'))
      .once(process, 'SIGINT', () => this.stop(0, 'SIGINT'))
      .on(process, 'unhandledRejection', (reason: unknown) => {
        logger.error('Unhandled promise rejection (kept running)', describeError(reason));
      })
      .on(process, 'uncaughtException', (error: Error) => {
        logger.error('Uncaught exception; stopping', describeError(error));
        this.stop(1, 'uncaught exception');
      });
    return this;
  }

  /** Removes exactly the listeners `listen` added. */
  close(): void {
    this.listeners.removeAll();
  }

  /** The service is up: runs a stop asked for meanwhile, and exits with the code of its stop. */
  serve(service: Service): void {
    this.service = service;
    if (this.pending) this.stop(this.pending.code, this.pending.reason);
  }

  /** Exits with the code of a stop that the service ran by itself (an admin shutdown or restart). */
  exitWhen(exited: Promise<StopCode>): void {
    void exited.then((code) => process.exit(code));
  }

  private stop(code: StopCode, reason: string): void {
    const service = this.service;
    if (service === undefined) {
      this.pending ??= { code, reason };
      return;
    }
    if (this.stopping) return;
    this.stopping = true;
    setTimeout(() => {
      this.options.logger.error('Graceful stop overran its deadline; exiting now', { reason });
      process.exit(code);
    }, this.options.watchdogMs).unref();
    void service.stop(code, reason).then((exitCode) => process.exit(exitCode));
  }
}
