/**
 * Room events for the listing service: every URL in LISTING_WEBHOOK_URLS gets a
 * POST per event, JSON, signed.
 *
 *   {"id":"<uuid>","type":"room.created","timestamp":"2026-01-01T12:00:00.000Z",
 *    "host":"http://10.0.0.5:80","room":"testroom","port":34000}
 *   room.closed    adds "reason" (e.g. "Room closed by an administrator", "server stopping")
 *   room.occupancy adds "viewers"; sent at most every 5 s per room, and only when the
 *                  count changed since the last one sent
 *
 * Header `X-Signature: <hex>`: the lowercase hex HMAC-SHA256 of the exact body bytes,
 * keyed with WEBHOOK_SECRET. A receiver recomputes it over the raw body and compares
 * in constant time; `id` lets it drop a retried duplicate, `timestamp` a stale replay.
 *
 * Nothing here is awaited by a room: an event is put on each URL's queue and a
 * per-URL loop delivers the queue in order. A failed POST is retried with backoff
 * (bounded attempts), calls go through that URL's circuit breaker (while it is open
 * the loop waits for the cool-down instead of calling), and the queue is bounded:
 * when full, the oldest event is dropped.
 *
 * In a cluster every server holding a copy of a room hears its opening and closing;
 * the copy registry (src/cluster/copy-registry.ts) says which copy was the first and
 * which the last, so room.created and room.closed go out once per room, and
 * room.occupancy carries the whole room's viewers, from one server only.
 */
import axios from 'axios';
import { createHmac, randomUUID } from 'node:crypto';
import type { EventEmitter } from 'node:events';
import type { Logger } from '../logger.js';
import { CircuitBreaker, CircuitOpenError } from './circuit-breaker.js';
import { bounded, describeFailure, OUTBOUND_TIMEOUT_MS } from './outbound.js';
import { ListenerSet, settleWithin } from '../lifecycle.js';
import type { RoomsEvents } from './rooms.js';
import type { CopyRegistry } from '../cluster/copy-registry.js';

export type RoomEvent =
  | { type: 'room.created'; room: string; port: number }
  | { type: 'room.closed'; room: string; reason: string }
  | { type: 'room.occupancy'; room: string; viewers: number };

export interface WebhooksOptions {
  urls: string[];
  secret: string;
  version: string;
  host: () => string;
  rooms: EventEmitter<RoomsEvents>;
  logger: Logger;
  /** Least time between two occupancy events of one room. */
  occupancyIntervalMs?: number;
  /** Delivery attempts per event, the first included. */
  maxAttempts?: number;
  /** Wait before the first retry; doubled on each further one. */
  retryBaseMs?: number;
  maxQueue?: number;
  timeoutMs?: number;
  coolDownMs?: number;
  /** Cluster mode: which copy of a room speaks for it (null or absent: one server). */
  copies?: CopyRegistry | null;
}

/** The signature a receiver should find in `X-Signature` for `body`. */
export function signature(secret: string, body: string): string {
  return createHmac('sha256', secret).update(body).digest('hex');
}

interface Endpoint {
  url: string;
  breaker: CircuitBreaker;
  queue: string[];
  running: Promise<void> | null;
  dropped: number;
}

interface Occupancy {
  sent: number;
  sentAt: number;
  latest: number;
  timer: NodeJS.Timeout | null;
}

/** Webhook calls by outcome since the server started, for the metrics. */
export interface CallCounts {
  ok: number;
  failed: number;
  /** Not made: the endpoint's circuit was open. */
  refused: number;
}

export class Webhooks {
  /** POSTs by outcome, plus events given up (after every attempt failed, or a full queue). */
  readonly calls: CallCounts & { dropped: number } = { ok: 0, failed: 0, refused: 0, dropped: 0 };
  private readonly endpoints: Endpoint[];
  private readonly occupancy = new Map<string, Occupancy>();
  private readonly log: Logger;
  private readonly occupancyIntervalMs: number;
  private readonly maxAttempts: number;
  private readonly retryBaseMs: number;
  private readonly maxQueue: number;
  private readonly timeoutMs: number;
  private started = false;
  private closed = false;
  private stopCalled = false;
  /** Wakes the delivery loops out of their backoff sleeps when the server stops. */
  private readonly stopping = new AbortController();

  private readonly listeners = new ListenerSet();

  /** Cluster mode: the registry's answers not yet in (the stop waits for them). */
  private readonly deciding = new Set<Promise<void>>();

  private onOpened(room: string, port: number): void {
    this.occupancy.set(room, { sent: 0, sentAt: 0, latest: 0, timer: null });
    const { copies } = this.options;
    if (!copies) return this.emit({ type: 'room.created', room, port });
    this.decide(copies.opened(room), () => this.emit({ type: 'room.created', room, port }));
  }

  private onClosed(room: string, reason: string): void {
    const state = this.occupancy.get(room);
    if (state?.timer) clearTimeout(state.timer);
    this.occupancy.delete(room);
    const { copies } = this.options;
    if (!copies) return this.emit({ type: 'room.closed', room, reason });
    this.decide(copies.closed(room), () => this.emit({ type: 'room.closed', room, reason }));
  }

  /** Runs `send` once the registry has said this copy speaks for the room. */
  private decide(speaks: Promise<boolean>, send: () => void): void {
    const decision = speaks.then((yes) => {
      if (yes) send();
    });
    this.deciding.add(decision);
    void decision.finally(() => this.deciding.delete(decision));
  }

  constructor(private readonly options: WebhooksOptions) {
    this.log = options.logger.child({ component: 'webhooks' });
    this.occupancyIntervalMs = options.occupancyIntervalMs ?? 5_000;
    this.maxAttempts = options.maxAttempts ?? 4;
    this.retryBaseMs = options.retryBaseMs ?? 500;
    this.maxQueue = options.maxQueue ?? 1_000;
    this.timeoutMs = options.timeoutMs ?? OUTBOUND_TIMEOUT_MS;
    this.endpoints = options.urls.map((url) => {
      const endpoint: Endpoint = {
        url,
        queue: [],
        running: null,
        dropped: 0,
        breaker: new CircuitBreaker({
          coolDownMs: options.coolDownMs,
          onStateChange: (state, previous, error) => {
            if (state === 'open' && previous === 'closed')
              this.log.warn('Webhook endpoint failing; pausing calls to it', { url, error: describeFailure(error) });
            else if (state === 'closed') this.log.info('Webhook endpoint answering again', { url });
          },
        }),
      };
      return endpoint;
    });
  }

  /** Starts listening for room events. */
  start(): void {
    if (this.endpoints.length === 0 || this.started || this.closed) return;
    this.started = true;
    const { rooms, copies } = this.options;
    this.listeners
      .on(rooms, 'roomOpened', (room: string, port: number) => this.onOpened(room, port))
      .on(rooms, 'roomClosed', (room: string, reason: string) => this.onClosed(room, reason));
    if (!copies)
      this.listeners.on(rooms, 'viewers', (room: string, viewers: number) => this.viewersChanged(room, viewers));
    else
      this.listeners
        .on(rooms, 'viewers', (room: string, viewers: number) => copies.viewers(room, viewers))
        .on(copies, 'total', (room: string, viewers: number) => this.viewersChanged(room, viewers));
  }

  /**
   * The graceful stop's step: stops taking events, gives what is queued until
   * `timeoutMs` to go out, then drops the rest. Idempotent.
   */
  async stop(timeoutMs: number): Promise<void> {
    if (this.stopCalled) return;
    this.stopCalled = true;
    const started = Date.now();
    // The rooms closed just before: a room.closed may still wait for the registry's answer.
    await settleWithin(Promise.all(this.deciding), timeoutMs / 2, { unref: true });
    this.closed = true;
    this.listeners.removeAll();
    for (const state of this.occupancy.values()) if (state.timer) clearTimeout(state.timer);
    this.occupancy.clear();
    const running = this.endpoints.map((e) => e.running).filter((r) => r !== null);
    await settleWithin(Promise.all(running), Math.max(0, timeoutMs - (Date.now() - started)), { unref: true });
    this.stopping.abort();
    const left = this.endpoints.reduce((sum, e) => sum + e.queue.length, 0);
    if (left > 0) this.log.warn('Stopped with webhook events undelivered', { events: left });
    for (const e of this.endpoints) e.queue.length = 0;
  }

  /** Occupancy goes out at once if the last one is old enough, else once the interval has passed. */
  private viewersChanged(room: string, viewers: number): void {
    const state = this.occupancy.get(room);
    if (state === undefined) return;
    state.latest = viewers;
    if (state.timer !== null) return; // the pending send will carry the latest count
    const wait = state.sentAt + this.occupancyIntervalMs - Date.now();
    if (wait <= 0) this.sendOccupancy(room, state);
    else {
      state.timer = setTimeout(() => {
        state.timer = null;
        if (this.occupancy.get(room) === state) this.sendOccupancy(room, state);
      }, wait);
      state.timer.unref();
    }
  }

  private sendOccupancy(room: string, state: Occupancy): void {
    if (state.latest === state.sent) return;
    state.sent = state.latest;
    state.sentAt = Date.now();
    this.emit({ type: 'room.occupancy', room, viewers: state.latest });
  }

  private emit(event: RoomEvent): void {
    if (this.closed) return;
    const { type, ...fields } = event;
    const body = JSON.stringify({
      id: randomUUID(),
      type,
      timestamp: new Date().toISOString(),
      host: this.options.host(),
      ...fields,
    });
    for (const endpoint of this.endpoints) {
      if (endpoint.queue.length >= this.maxQueue) {
        endpoint.queue.shift();
        this.calls.dropped += 1;
        if (endpoint.dropped++ === 0)
          this.log.warn('Webhook queue full; dropping the oldest events', { url: endpoint.url });
      }
      endpoint.queue.push(body);
      endpoint.running ??= this.deliver(endpoint).finally(() => (endpoint.running = null));
    }
  }

  /** Delivers the queue in order, one event at a time, until it is empty. */
  private async deliver(endpoint: Endpoint): Promise<void> {
    while (endpoint.queue.length > 0 && !this.stopping.signal.aborted) {
      const body = endpoint.queue[0]!;
      const delivered = await this.deliverOne(endpoint, body);
      if (endpoint.queue[0] === body) endpoint.queue.shift();
      if (delivered && endpoint.dropped > 0) {
        this.log.warn('Webhook events were dropped while the endpoint was failing', {
          url: endpoint.url,
          dropped: endpoint.dropped,
        });
        endpoint.dropped = 0;
      }
    }
  }

  private async deliverOne(endpoint: Endpoint, body: string): Promise<boolean> {
    const headers = {
      'Content-Type': 'application/json',
      'User-Agent': `chatserver/${this.options.version}`,
      'X-Signature': signature(this.options.secret, body),
    };
    let attempts = 0;
    while (attempts < this.maxAttempts && !this.stopping.signal.aborted) {
      const coolDown = endpoint.breaker.msUntilTrial();
      if (coolDown > 0) {
        await this.sleep(coolDown);
        continue;
      }
      attempts++;
      try {
        await endpoint.breaker.run(() =>
          axios.post(endpoint.url, body, { headers, ...bounded(this.timeoutMs), transformRequest: [(d: string) => d] }),
        );
        this.calls.ok += 1;
        return true;
      } catch (error) {
        if (error instanceof CircuitOpenError) {
          this.calls.refused += 1;
          attempts--; // not a call: wait for the trial instead
          await this.sleep(Math.max(50, endpoint.breaker.msUntilTrial()));
          continue;
        }
        this.calls.failed += 1;
        if (attempts < this.maxAttempts) await this.sleep(this.retryBaseMs * 2 ** (attempts - 1));
      }
    }
    endpoint.dropped++;
    this.calls.dropped += 1;
    this.log.debug('Webhook event given up', { url: endpoint.url, attempts });
    return false;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      timer.unref();
      const signal = this.stopping.signal;
      signal.addEventListener('abort', done, { once: true });
      function done() {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      }
    });
  }
}
