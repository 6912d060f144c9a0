/**
 * The small pieces every lifecycle in the server is made of: a deadline race that
 * clears its own timer, a listen that names the setting behind a port it cannot
 * bind, and a set of listeners that removes exactly what it added (ws's
 * websocket-server.js: close() removes only its own listeners).
 */
import type { Server as HttpServer } from 'node:http';
import type { Server } from 'node:net';

/** Work that did not finish in time; `what` names it. */
export class DeadlineError extends Error {
  override readonly name = 'DeadlineError';
  constructor(
    readonly what: string,
    readonly ms: number,
  ) {
    super(`${what} did not finish within ${ms} ms`);
  }
}

export interface DeadlineOptions {
  /** The timer does not hold the process open (for steps nothing else waits on). */
  unref?: boolean;
}

/**
 * Resolves or rejects as `work` does, or rejects with a DeadlineError after `ms`.
 * The timer is cleared as soon as either side settles, so a finished race leaves
 * nothing behind. `work` is not cancelled: a caller that needs that passes a signal.
 */
export function withDeadline<T>(work: Promise<T>, ms: number, what: string, options: DeadlineOptions = {}): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new DeadlineError(what, ms)), ms);
    if (options.unref) timer.unref();
    work.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error as Error);
      },
    );
  });
}

/**
 * Waits for `work` for at most `ms`: true if it settled (either way) in time,
 * false if the deadline came first. Never rejects: for the steps of a stop,
 * which go on whatever one step did.
 */
export function settleWithin(work: Promise<unknown>, ms: number, options: DeadlineOptions = {}): Promise<boolean> {
  return withDeadline(work, ms, 'work', options).then(
    () => true,
    (error: unknown) => !(error instanceof DeadlineError),
  );
}

/** A port that could not be bound. `code` is the system's (EADDRINUSE, EACCES, …). */
export class ListenError extends Error {
  override readonly name = 'ListenError';
  constructor(
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface ListenOptions {
  port: number;
  /** Every interface when undefined. */
  host?: string | undefined;
  /** The setting the port came from (e.g. PORT): the message tells the operator to change it. */
  setting?: string;
  /**
   * Told of the server's errors once it listens: those are accept failures (EMFILE
   * when descriptors run out). Without a listener they would be uncaught and end
   * the process.
   */
  acceptErrors?: (error: NodeJS.ErrnoException) => void;
  /** Connections the kernel may queue before they are accepted (Node's default: 511; capped by net.core.somaxconn). */
  backlog?: number;
}

/** Why a port cannot be bound, in words. */
function why(error: NodeJS.ErrnoException): string {
  if (error.code === 'EADDRINUSE') return 'is in use';
  if (error.code === 'EACCES') return 'needs privileges';
  return error.message;
}

/**
 * Listens and resolves with the bound port (useful with port 0). A failure
 * rejects with a ListenError that names the port (and the setting, if given);
 * the one-shot error listener is removed either way, and `acceptErrors` takes
 * over once listening.
 */
export function listen(server: Server, options: ListenOptions): Promise<number> {
  const { port, host, setting, backlog } = options;
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      const where = host === undefined ? '' : ` on ${host}`;
      const fix = setting === undefined ? '' : `; set ${setting} to a free port`;
      const name = setting === undefined ? `port ${port}` : `${setting}=${port}`;
      reject(new ListenError(error.code ?? 'ERROR', `${name}${where}: ${why(error)}${fix}`, { cause: error }));
    };
    server.once('error', onError);
    server.listen({ port, host, ...(backlog === undefined ? {} : { backlog }) }, () => {
      server.off('error', onError);
      if (options.acceptErrors !== undefined) server.on('error', options.acceptErrors);
      const address = server.address();
      resolve(typeof address === 'object' && address !== null ? address.port : port);
    });
  });
}

/**
 * Stops accepting, lets answers in flight finish, and cuts the connections left
 * at `timeoutMs`. Resolves once the server has closed; at once if it never listened.
 */
export function closeServer(server: HttpServer, timeoutMs: number): Promise<void> {
  if (!server.listening) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => server.closeAllConnections(), timeoutMs);
    timer.unref();
    server.close(() => {
      clearTimeout(timer);
      resolve();
    });
    server.closeIdleConnections();
  });
}

/** A listener of any arguments; each target checks its own. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- listeners of every emitter are stored side by side
type AnyListener = (...args: any[]) => void;

/** What ListenerSet can subscribe to: anything with `on` and `off` (EventEmitter, process, Server, Worker). */
export interface Subscribable {
  on(event: never, listener: never): unknown;
  off(event: never, listener: never): unknown;
}

/**
 * Listeners added through it, remembered with their target, so `removeAll()`
 * takes off exactly those and never another part's listener of the same event.
 */
export class ListenerSet {
  private readonly added: Array<{ target: Subscribable; event: string | symbol; listener: AnyListener }> = [];

  on(target: Subscribable, event: string | symbol, listener: AnyListener): this {
    (target.on as (event: string | symbol, listener: AnyListener) => unknown).call(target, event, listener);
    this.added.push({ target, event, listener });
    return this;
  }

  /** Like `on`, but the listener is taken off after its first call. */
  once(target: Subscribable, event: string | symbol, listener: AnyListener): this {
    const off = target.off as (event: string | symbol, listener: AnyListener) => unknown;
    const wrapper: AnyListener = (...args) => {
      off.call(target, event, wrapper);
      listener(...(args as unknown[]));
    };
    return this.on(target, event, wrapper);
  }

  get size(): number {
    return this.added.length;
  }

  /** Removes every listener this set added, newest first; idempotent. */
  removeAll(): void {
    for (const { target, event, listener } of this.added.reverse())
      (target.off as (event: string | symbol, listener: AnyListener) => unknown).call(target, event, listener);
    this.added.length = 0;
  }
}
