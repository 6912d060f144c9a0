/** What the routers are given: configuration, the rooms service, the master's controls, the data layer and the metrics. */
import type { Config } from '../config.js';
import type { DataLayer } from '../master/data-layer.js';
import type { Metrics } from '../master/metrics.js';
import type { Readiness } from '../master/readiness.js';
import type { RoomsService } from '../master/rooms.js';

export interface MasterControls {
  readonly version: string;
  /** True unless draining or stopping. */
  accepting(): boolean;
  stopping(): boolean;
  drain(): Promise<void>;
  resume(): Promise<void>;
  /** Starts a graceful stop after the current answer is sent, then exits with `code`. */
  requestExit(code: 0 | 3, reason: string): void;
  /** The state of the store and load balancers, for /load; filled by later subsystems. */
  dependencies(): Record<string, unknown>;
  connections(): number;
}

export interface ApiDeps {
  config: Config;
  /** Every request to a room goes through it; routers never speak the worker protocol. */
  rooms: RoomsService;
  master: MasterControls;
  /** The store, its cache and the transcript writer. */
  data: DataLayer;
  /** The Prometheus registry behind GET /api/v1/metrics. */
  metrics: Metrics;
  /** The checks behind GET /api/v1/health/ready. */
  readiness: Readiness;
}
