/**
 * Registration with the load balancers (docs/loadbalancer-protocol.md): a PUT of
 * this server's HOST, slots, rooms in use and version to every balancer at start,
 * every LB_HEARTBEAT_S and right after the room count changes; a DELETE on drain
 * and on a graceful stop.
 *
 * A balancer must never slow a room down: room events only schedule a heartbeat
 * (nothing here is awaited by a create), every call is bounded by a 1 s timeout
 * and goes through that balancer's circuit breaker, and each balancer has at most
 * one call in flight. Calls to one balancer are serialised so a DELETE can never
 * be overtaken by a heartbeat PUT sent before it; whatever was asked for while a
 * call was in flight is sent once it ends, with the counts of that moment.
 *
 * Failures are logged once per change of a balancer's state (closed → open,
 * back to closed), never once per heartbeat; /load shows each balancer's state.
 * An open circuit counts as not registered (the balancer may have restarted
 * empty or expired this server), and each heartbeat is the trial call of an open
 * circuit: a balancer that answers again is registered at the next heartbeat, and
 * the log says so ("Registered with load balancer again"). Room changes between
 * heartbeats are refused while the circuit is open, so a down balancer costs one
 * call per heartbeat.
 */
import axios from 'axios';
import type { EventEmitter } from 'node:events';
import type { Logger } from '../logger.js';
import { type BreakerState, CircuitBreaker, CircuitOpenError } from './circuit-breaker.js';
import type { CallCounts } from './webhooks.js';
import { bounded, describeFailure, OUTBOUND_TIMEOUT_MS } from './outbound.js';
import { ListenerSet, settleWithin } from '../lifecycle.js';
import type { RoomsEvents } from './rooms.js';

/** What the client reads from the rooms service: its counts and its room events. */
export interface RoomCounts extends EventEmitter<RoomsEvents> {
  readonly slots: number;
  readonly roomCount: number;
}

export interface LbClientOptions {
  urls: string[];
  key: string;
  heartbeatS: number;
  version: string;
  /** The public base URL balancers hand out; known once the server listens. */
  host: () => string;
  rooms: RoomCounts;
  logger: Logger;
  timeoutMs?: number;
  coolDownMs?: number;
}

/** One balancer as the admin `/load` shows it. */
export interface BalancerStatus {
  url: string;
  state: BreakerState;
  /** Whether the last call that got through left this server registered there. */
  registered: boolean;
  lastSuccess: string | null;
  lastError: string | null;
}

interface Balancer {
  url: string;
  breaker: CircuitBreaker;
  registered: boolean;
  lastSuccess: Date | null;
  lastError: string | null;
  /** The call in flight (and any follow-up it will send), or null when idle. */
  inFlight: Promise<void> | null;
  /** Something was asked for while a call was in flight. */
  again: boolean;
  /** A DELETE is owed since the last change to unregistered. */
  owesDelete: boolean;
  /** The registration was lost to an open circuit; the next success registers it again. */
  lost: boolean;
}

export class LbClient {
  /** Registration calls (PUT and DELETE) by outcome since the server started, for the metrics. */
  readonly calls: CallCounts = { ok: 0, failed: 0, refused: 0 };
  private readonly balancers: Balancer[];
  private readonly log: Logger;
  private readonly timeoutMs: number;
  private wanted: 'registered' | 'unregistered' = 'unregistered';
  private timer: NodeJS.Timeout | null = null;
  private scheduled = false;
  private closed = false;
  private readonly listeners = new ListenerSet();

  constructor(private readonly options: LbClientOptions) {
    this.log = options.logger.child({ component: 'loadbalancers' });
    this.timeoutMs = options.timeoutMs ?? OUTBOUND_TIMEOUT_MS;
    this.balancers = options.urls.map((raw) => {
      const url = raw.replace(/\/+$/, '');
      const balancer: Balancer = {
        url,
        registered: false,
        lastSuccess: null,
        lastError: null,
        inFlight: null,
        again: false,
        owesDelete: false,
        lost: false,
        breaker: new CircuitBreaker({
          coolDownMs: options.coolDownMs,
          onStateChange: (state, previous, error) => this.logState(balancer, state, previous, error),
        }),
      };
      return balancer;
    });
  }

  /** Registers with every balancer and keeps the heartbeat going. Call once the server listens. */
  start(): void {
    if (this.balancers.length === 0 || this.closed || this.timer !== null) return;
    this.listeners.on(this.options.rooms, 'roomOpened', () => this.roomsChanged());
    this.listeners.on(this.options.rooms, 'roomClosed', () => this.roomsChanged());
    this.timer = setInterval(() => this.heartbeat(), this.options.heartbeatS * 1000);
    this.timer.unref();
    void this.register();
  }

  /** Registers again (after a drain); resolves once every balancer has answered or failed. */
  register(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.wanted = 'registered';
    return this.syncAll();
  }

  /** Leaves every balancer (drain); resolves once every balancer has answered or failed. */
  unregister(): Promise<void> {
    if (this.wanted === 'unregistered') return this.syncAll();
    this.wanted = 'unregistered';
    for (const b of this.balancers) b.owesDelete = true;
    return this.syncAll();
  }

  /** The graceful stop's step: unregister within `timeoutMs`, then send nothing more. Idempotent. */
  async stop(timeoutMs: number): Promise<void> {
    if (this.closed) return;
    const leaving = this.unregister();
    this.closed = true;
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    this.listeners.removeAll();
    await settleWithin(leaving, timeoutMs, { unref: true });
  }

  status(): BalancerStatus[] {
    return this.balancers.map((b) => ({
      url: b.url,
      state: b.breaker.state,
      registered: b.registered,
      lastSuccess: b.lastSuccess?.toISOString() ?? null,
      lastError: b.lastError,
    }));
  }

  /** Every balancer gets its heartbeat; an open circuit lets it through as its trial. */
  private heartbeat(): void {
    for (const b of this.balancers) b.breaker.allowTrial();
    void this.syncAll();
  }

  /** A burst of room changes (many creates at once) becomes one heartbeat, sent off the create's path. */
  private roomsChanged(): void {
    if (this.scheduled || this.wanted !== 'registered') return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      void this.syncAll();
    });
  }

  private syncAll(): Promise<void> {
    return Promise.all(this.balancers.map((b) => this.sync(b))).then(() => undefined);
  }

  /** Sends what `wanted` calls for; while a call is in flight, asks for one more after it. */
  private sync(b: Balancer): Promise<void> {
    if (b.inFlight !== null) {
      b.again = true;
      return b.inFlight;
    }
    b.inFlight = (async () => {
      do {
        b.again = false;
        await this.send(b);
      } while (b.again && !(this.closed && !b.owesDelete));
    })().finally(() => (b.inFlight = null));
    return b.inFlight;
  }

  private async send(b: Balancer): Promise<void> {
    const leaving = this.wanted === 'unregistered';
    if (leaving && !b.owesDelete) return;
    if (!leaving && this.closed) return;
    const name = encodeURIComponent(this.options.host());
    const { slots, roomCount } = this.options.rooms;
    const url = leaving
      ? `${b.url}/register/${name}`
      : `${b.url}/register/${name}/${slots}/${roomCount}/${encodeURIComponent(this.options.version)}`;
    if (leaving) b.owesDelete = false;
    try {
      await b.breaker.run(async () => {
        const res = await axios.request<{ status?: string; message?: unknown }>({
          method: leaving ? 'DELETE' : 'PUT',
          url,
          headers: { 'X-API-Key': this.options.key },
          ...bounded(this.timeoutMs),
        });
        if (res.data?.status !== 'ok') throw new Error(`unexpected answer: ${JSON.stringify(res.data).slice(0, 200)}`);
      });
      this.calls.ok += 1;
      b.lastSuccess = new Date();
      b.lastError = null;
      if (b.registered === leaving) {
        b.registered = !leaving;
        const again = !leaving && b.lost;
        b.lost = false;
        const message = leaving
          ? 'Unregistered from load balancer'
          : again
            ? 'Registered with load balancer again'
            : 'Registered with load balancer';
        this.log.info(message, { balancer: b.url, slots, rooms: roomCount });
      }
    } catch (error) {
      // A refused call (circuit open) says nothing new about the balancer.
      if (error instanceof CircuitOpenError) this.calls.refused += 1;
      else {
        this.calls.failed += 1;
        b.lastError = describeFailure(error);
      }
    }
  }

  private logState(b: Balancer, state: BreakerState, previous: BreakerState, error: unknown): void {
    if (state === 'open' && b.registered) {
      b.registered = false;
      b.lost = true;
    }
    if (state === 'open' && previous === 'closed') {
      this.log.warn('Load balancer failing; pausing calls to it', { balancer: b.url, error: describeFailure(error) });
    } else if (state === 'closed') {
      this.log.info('Load balancer answering again', { balancer: b.url });
    } else {
      // half-open and back to open repeat every cool-down while a balancer is down: not worth a line each.
      this.log.debug(`Load balancer circuit ${state}`, { balancer: b.url });
    }
  }
}
