/**
 * The admin API's answers as the console reads them (docs/openapi.yaml: Load,
 * RoomStats, TranscriptMessage, ModerationEntry, Ban, the readiness report).
 * Written out here because the server's own types bring the server's modules
 * with them; the API description is the contract both sides keep.
 */
export interface BalancerStatus {
  url: string;
  state: 'closed' | 'open' | 'half-open';
  registered: boolean;
  lastSuccess: string | null;
  lastError: string | null;
}

export interface StoreStatus {
  kind: string;
  state: 'starting' | 'up' | 'down';
  since?: string;
  lastError?: string | null;
  writable?: boolean;
  queued?: number;
  written?: number;
  dropped?: number;
}

export interface Load {
  loadAvg: number[];
  totalMemory: number;
  freeMemory: number;
  percentage: number;
  /** Room slots (MAX_ROOMS). */
  cpus: number;
  rooms: string;
  capacity: number;
  upTime: number;
  acceptingConnections: boolean;
  connections: number;
  store: StoreStatus;
  loadBalancers: BalancerStatus[];
}

export interface Readiness {
  ok: boolean;
  checks: Array<{ name: string; ok: boolean; detail?: string }>;
}

export interface RoomStats {
  name: string;
  port: number;
  viewers: number;
  chatters: number;
  messages: number;
  createdAt: string;
  heapUsedBytes: number;
  eventLoopDelayMs: { p50: number; p99: number; max: number };
  /** The room's settings, when the server reports them. */
  settings?: { slow: number; maxMessageChars: number };
}

export interface UserInfo {
  id: string;
  name: string;
  role: string;
}

export interface TranscriptMessage {
  id: number;
  ts: number;
  user: UserInfo;
  text: string;
  deleted: boolean;
  cleared: boolean;
}

export interface ModerationEntry {
  id: string;
  action: string;
  by: UserInfo;
  target: string | null;
  seconds?: number | null;
  reason?: string;
  at: number;
}

export interface Ban {
  user: string;
  room: string | null;
  reason: string;
  by: string;
  at: number;
  until: number | null;
}
