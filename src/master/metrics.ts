/**
 * The server's Prometheus metrics (GET /api/v1/metrics on the admin API).
 *
 * Nothing on the chat path touches prom-client: rooms keep plain integer counters
 * (src/room/counters.ts) and hand them over with their stats, and the master's
 * parts (supervisor, transcript writer, balancers, webhooks) keep plain counts
 * too, read through accessors; batch write times come as the data layer's `batch` event. A scrape asks every room for its stats once, then prom-client's collect
 * callbacks copy the numbers into gauges and counters. The one exception is the
 * store's write latency, a histogram observed once per batch (a few per second).
 *
 * Labels stay bounded: `room` is the only free one, and rooms are bounded by
 * MAX_ROOMS; `code`, `outcome`, `cause` and `quantile` take a fixed set of values.
 * A room's counters start from zero when its worker starts (a re-created room),
 * which Prometheus reads as a counter reset. Each server has its own registry, so
 * several servers in one process (the tests) do not share series.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { RoomStats } from '../protocol/room-messages.js';
import type { CallCounts } from './webhooks.js';
import type { RoomsService } from './rooms.js';

/** What the metrics read of the data layer: plain counts, and one event per batch written. */
export interface StoreMetrics {
  readonly writer: { readonly batches: { ok: number; failed: number }; status(): { queued: number; dropped: number } };
  readonly health: { readonly state: string };
  on(event: 'batch', listener: (seconds: number, ok: boolean) => void): unknown;
}

export interface MetricsSources {
  rooms: Pick<RoomsService, 'names' | 'slots' | 'workerCounts' | 'allStats'>;
  data: StoreMetrics;
  balancers: { readonly calls: CallCounts };
  webhooks: { readonly calls: CallCounts & { dropped: number } };
  accepting: () => boolean;
}

export class Metrics {
  readonly registry = new Registry();
  /** The rooms' stats of the scrape in progress. */
  private rooms: RoomStats[] = [];
  /** Scrapes that arrive together share one (the collect callbacks read `rooms`). */
  private inFlight: Promise<string> | null = null;
  private started = false;

  constructor(private readonly sources: MetricsSources) {
    const { rooms: service, data, balancers, webhooks } = sources;
    const registers = [this.registry];
    const rooms = () => this.rooms;

    new Gauge({
      name: 'chatserver_rooms',
      help: 'Rooms open now',
      registers,
      collect() {
        this.set(service.names().length);
      },
    });
    new Gauge({
      name: 'chatserver_room_slots',
      help: 'Room slots (MAX_ROOMS)',
      registers,
      collect() {
        this.set(service.slots);
      },
    });
    new Gauge({
      name: 'chatserver_accepting_rooms',
      help: '1 while the server accepts new rooms, 0 while draining or stopping',
      registers,
      collect() {
        this.set(sources.accepting() ? 1 : 0);
      },
    });
    perRoomGauge('chatserver_room_connections', 'Joined connections in the room', (r) => r.viewers);
    perRoomGauge('chatserver_room_chatters', 'Distinct named users joined in the room', (r) => r.chatters);
    perRoomGauge('chatserver_room_heap_used_bytes', "The room worker's V8 heap in use", (r) => r.heapUsedBytes);
    new Gauge({
      name: 'chatserver_room_event_loop_delay_seconds',
      help: "The room worker's event-loop delay since the previous stats read, by quantile",
      labelNames: ['room', 'quantile'] as const,
      registers,
      collect() {
        this.reset();
        for (const r of rooms()) {
          this.set({ room: r.name, quantile: '0.5' }, r.eventLoopDelayMs.p50 / 1000);
          this.set({ room: r.name, quantile: '0.99' }, r.eventLoopDelayMs.p99 / 1000);
        }
      },
    });
    perRoomCounter('chatserver_room_connections_accepted_total', 'WebSocket connections the room accepted', (r) => [
      [{}, r.counters.connections],
    ]);
    perRoomCounter('chatserver_messages_accepted_total', 'Chat messages the room accepted', (r) => [
      [{}, r.counters.accepted],
    ]);
    perRoomCounter(
      'chatserver_messages_refused_total',
      'Frames the room refused with an error frame, by error code',
      (r) => Object.entries(r.counters.refused).map(([code, n]) => [{ code }, n ?? 0]),
      ['code'],
    );
    perRoomCounter('chatserver_deliveries_total', 'Frames queued for clients (one per client per frame)', (r) => [
      [{}, r.counters.deliveries],
    ]);
    perRoomCounter('chatserver_slow_readers_total', 'Connections cut off for reading too slowly (4009)', (r) => [
      [{}, r.counters.slowReaders],
    ]);

    new Counter({
      name: 'chatserver_room_worker_crashes_total',
      help: 'Room workers that ended unplanned, by cause (died, hung, idle)',
      labelNames: ['cause'] as const,
      registers,
      collect() {
        this.reset();
        for (const [cause, n] of Object.entries(service.workerCounts.crashes)) this.inc({ cause }, n);
      },
    });
    new Counter({
      name: 'chatserver_room_worker_restarts_total',
      help: 'Rooms opened again after their worker crashed',
      registers,
      collect() {
        this.reset();
        this.inc(service.workerCounts.restarts);
      },
    });
    new Counter({
      name: 'chatserver_room_workers_started_total',
      help: 'Room worker threads started (rooms and the idle pool)',
      registers,
      collect() {
        this.reset();
        this.inc(service.workerCounts.started);
      },
    });

    const writer = data.writer;
    new Counter({
      name: 'chatserver_store_write_batches_total',
      help: 'Transcript batches written to the store, by outcome',
      labelNames: ['outcome'] as const,
      registers,
      collect() {
        this.reset();
        this.inc({ outcome: 'ok' }, writer.batches.ok);
        this.inc({ outcome: 'failed' }, writer.batches.failed);
      },
    });
    const latency = new Histogram({
      name: 'chatserver_store_write_duration_seconds',
      help: 'Time one transcript batch write took',
      labelNames: ['outcome'] as const,
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    data.on('batch', (seconds, ok) => latency.observe({ outcome: ok ? 'ok' : 'failed' }, seconds));
    new Counter({
      name: 'chatserver_store_records_dropped_total',
      help: 'Transcript records dropped because the queue for the store was full',
      registers,
      collect() {
        this.reset();
        this.inc(writer.status().dropped);
      },
    });
    new Gauge({
      name: 'chatserver_store_queue_records',
      help: 'Transcript records waiting for the store',
      registers,
      collect() {
        this.set(writer.status().queued);
      },
    });
    new Gauge({
      name: 'chatserver_store_up',
      help: '1 while the store answers, 0 while it does not',
      registers,
      collect() {
        this.set(data.health.state === 'down' ? 0 : 1);
      },
    });

    new Counter({
      name: 'chatserver_balancer_calls_total',
      help: 'Registration calls to load balancers, by outcome (refused: circuit open, not sent)',
      labelNames: ['outcome'] as const,
      registers,
      collect() {
        this.reset();
        for (const [outcome, n] of Object.entries(balancers.calls)) this.inc({ outcome }, n);
      },
    });
    new Counter({
      name: 'chatserver_webhook_calls_total',
      help: 'Listing webhook calls, by outcome (refused: circuit open, not sent; dropped: events given up)',
      labelNames: ['outcome'] as const,
      registers,
      collect() {
        this.reset();
        for (const [outcome, n] of Object.entries(webhooks.calls)) this.inc({ outcome }, n);
      },
    });

    function perRoomGauge(name: string, help: string, value: (r: RoomStats) => number): void {
      new Gauge({
        name,
        help,
        labelNames: ['room'] as const,
        registers,
        collect() {
          this.reset();
          for (const r of rooms()) this.set({ room: r.name }, value(r));
        },
      });
    }

    function perRoomCounter(
      name: string,
      help: string,
      values: (r: RoomStats) => Array<[Record<string, string>, number]>,
      extraLabels: string[] = [],
    ): void {
      new Counter({
        name,
        help,
        labelNames: ['room', ...extraLabels],
        registers,
        collect() {
          this.reset();
          for (const r of rooms()) for (const [labels, n] of values(r)) this.inc({ room: r.name, ...labels }, n);
        },
      });
    }
  }

  /** The process's own series (event-loop lag and GC observers start here, not in the constructor); idempotent. */
  start(): void {
    if (this.started) return;
    this.started = true;
    collectDefaultMetrics({ register: this.registry });
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** One scrape: every room's stats, then the text of every series. */
  scrape(): Promise<string> {
    this.inFlight ??= this.collect().finally(() => (this.inFlight = null));
    return this.inFlight;
  }

  private async collect(): Promise<string> {
    this.rooms = await this.sources.rooms.allStats('scrape');
    try {
      return await this.registry.metrics();
    } finally {
      this.rooms = [];
    }
  }
}
