/**
 * Configuration: the environment (and an optional `.env` file) → one validated,
 * frozen Config. Every variable the server reads is declared once, with its default,
 * in config-variables.ts; `.env.example` documents the same list. Validation collects every
 * problem before failing, so an operator fixes them all in one go.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { totalmem } from 'node:os';
import { parseEnv } from 'node:util';
import { type z } from 'zod';
import { defaultFdReserve, readFdLimit, type RoomSlots, roomSlots } from './config-machine.js';
import { type RawConfig, type VariableName, variables } from './config-variables.js';
import type { ModesPatch } from './room/chat-modes.js';

export type { RawConfig, VariableName } from './config-variables.js';
export {
  defaultFdReserve,
  defaultHost,
  MIN_DEFAULT_ROOMS,
  publicHost,
  readFdLimit,
  ROOM_MEMORY_MB,
  ROOM_MEMORY_SHARE,
  type RoomSlots,
  roomSlots,
} from './config-machine.js';

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

/** The limits a room enforces; handed to every room worker as they are. */
export interface RoomLimits {
  maxConnections: number;
  maxFrameBytes: number;
  maxMessageChars: number;
  rateLimitMessages: number;
  rateLimitModMessages: number;
  rateLimitWindowMs: number;
  historyOnJoin: number;
  recoveryWindow: number;
  joinTimeoutMs: number;
  pingIntervalMs: number;
  pongTimeoutMs: number;
  slowReaderBytes: number;
  /** A connection whose socket has not drained for this long is closed with 4009. */
  slowReaderMs: number;
  presenceIntervalMs: number;
  /** Unique chat: how long a room remembers a text (UNIQUE_CHAT_WINDOW_S). */
  uniqueChatWindowMs: number;
  /** What shield mode turns on (SHIELD_PRESET). */
  shieldPreset: ModesPatch;
  /** An HTTP-fallback session with no open event stream for this long ends as a leave. */
  httpSessionIdleMs: number;
  /** Upgrades a room admits per second once its burst is spent (0: no limit); the rest get 503 + Retry-After. */
  joinRatePerS: number;
  /** Upgrades a room admits at once before the rate applies. */
  joinBurst: number;
  /** Paid messages: set when CREDIT_SERVICE_URL is (the master calls the service; the room checks these). */
  tips?: TipLimits;
}

/** What a room checks of a tip before its master asks the credit service. */
export interface TipLimits {
  min: number;
  max: number;
  /** A paid message stays pinned for amount × this many ms (at most a day). */
  pinMsPerCredit: number;
}

/** The credit service the master debits paid messages through (docs/protocol.md, "Paid messages"). */
export interface CreditServiceConfig {
  url: string;
  secret: string;
  timeoutMs: number;
}

/**
 * How many accepted sockets every room listener of the process may hold together
 * (src/room/connection-budget.ts), and where the figure came from.
 */
export interface ConnectionBudgetConfig {
  maxConnections: number;
  /** The soft "Max open files" of this process; null where it cannot be read (not Linux). */
  fdLimit: number | null;
  /** Descriptors kept out of the budget for the listeners, the store and room workers. */
  reserve: number;
  source: 'MAX_CONNECTIONS' | 'fd limit' | 'rooms × ROOM_MAX_CONNECTIONS';
}

/** What loadConfig reads of the machine; tests pass their own. */
export interface SystemFacts {
  fdLimit: number | null;
  /** Physical memory in bytes; os.totalmem() when not given. */
  totalMemBytes?: number;
}

/**
 * MAX_CONNECTIONS, or by default the descriptor limit minus the reserve. A
 * MAX_CONNECTIONS that the limit cannot hold is a configuration problem (exit 1),
 * not clamped: an operator who asked for it learns at once that the process
 * manager's limit (LimitNOFILE, ulimit -n) must rise with it.
 */
function connectionBudget(c: RawConfig, maxRooms: number, fdLimit: number | null): ConnectionBudgetConfig | string {
  if (fdLimit === null) {
    const reserve = c.FD_RESERVE ?? 256;
    if (c.MAX_CONNECTIONS !== undefined)
      return { maxConnections: c.MAX_CONNECTIONS, fdLimit, reserve, source: 'MAX_CONNECTIONS' };
    const rooms = Math.min(maxRooms * c.ROOM_MAX_CONNECTIONS, 10_000_000);
    return { maxConnections: rooms, fdLimit, reserve, source: 'rooms × ROOM_MAX_CONNECTIONS' };
  }
  const reserve = c.FD_RESERVE ?? defaultFdReserve(fdLimit);
  const room = fdLimit - reserve;
  if (room < 1)
    return `FD_RESERVE: ${reserve} leaves no descriptors for connections under this process's limit of ${fdLimit} open files`;
  if (c.MAX_CONNECTIONS === undefined)
    return { maxConnections: Math.min(room, 10_000_000), fdLimit, reserve, source: 'fd limit' };
  if (c.MAX_CONNECTIONS > room)
    return (
      `MAX_CONNECTIONS: ${c.MAX_CONNECTIONS} needs more than this process's limit of ${fdLimit} open files ` +
      `minus FD_RESERVE ${reserve} (at most ${room}); raise the limit (LimitNOFILE, ulimit -n) or lower it`
    );
  return { maxConnections: c.MAX_CONNECTIONS, fdLimit, reserve, source: 'MAX_CONNECTIONS' };
}

/** What a room needs to know about who may join. */
export interface RoomAccess {
  allowedOrigins: string[];
  authSecret: string;
  allowGuests: boolean;
  allowAnonymous: boolean;
  /** Signs guest tokens (GUEST_SECRET; when empty the server fills in the one kept in DATA_DIR before rooms start). */
  guestSecret: string;
  /** A ban or timeout of a guest also holds against guest joins from the same client address. */
  guestBansByAddress: boolean;
  /** Words no guest name may be or contain. */
  reservedNames: string[];
  /** Proxies whose X-Forwarded-For names the client address (as for the admin API). */
  trustedProxies: string[];
}

export interface Config {
  env: 'development' | 'production' | 'test';
  logLevel: string;
  port: number;
  adminPort: number;
  adminBind: string;
  adminAllowedIps: string[];
  trustedProxies: string[];
  /** The public API's per-address token bucket; ratePerS 0 is off. */
  publicRateLimit: { ratePerS: number; burst: number };
  /** Open connections one client address may hold on the public listener; 0 is no limit. */
  publicMaxConnectionsPerAddress: number;
  key: string;
  adminKey: string;
  /** Keys that were generated because none was configured (development only). */
  generatedKeys: Array<'KEY' | 'ADMIN_KEY'>;
  /** Public base URL; empty means "derive from the first non-internal IPv4 and the bound port". */
  host: string;
  maxRooms: number;
  /** How maxRooms was reached: "MAX_ROOMS", or the memory arithmetic of the default. */
  maxRoomsFrom: string;
  roomPortMin: number;
  roomPortMax: number;
  warmWorkers: number;
  roomBootTimeoutMs: number;
  roomMaxHeapMb: number;
  roomYoungGenMb: number;
  roomLivenessIntervalMs: number;
  roomLivenessTimeoutMs: number;
  publicRoomPathPrefix: string;
  shutdownTimeoutMs: number;
  mongodbUri: string;
  /** Cluster mode (docs/cluster.md): every server sharing this Redis is one cluster; '' runs alone. */
  redisUrl: string;
  dataDir: string;
  transcriptRetentionDays: number;
  /** Most transcript records waiting for the store; beyond it new ones are dropped (and counted). */
  transcriptQueueLimit: number;
  cacheRefreshS: number;
  loadBalancers: string[];
  loadBalancerKey: string;
  lbHeartbeatS: number;
  listingWebhookUrls: string[];
  webhookSecret: string;
  /** null: paid messages are off. */
  creditService: CreditServiceConfig | null;
  access: RoomAccess;
  limits: RoomLimits;
  connectionBudget: ConnectionBudgetConfig;
}

/** Reads `.env` (if present) beneath the real environment: a variable already set wins. */
export function readEnvFile(path: string): { values: Record<string, string>; problems: string[] } {
  if (!existsSync(path)) return { values: {}, problems: [] };
  const values = parseEnv(readFileSync(path, 'utf8')) as Record<string, string>;
  const known = new Set<string>(Object.keys(variables));
  const problems = Object.keys(values)
    .filter((name) => !known.has(name))
    .map((name) => `${name} (in ${path}): unknown variable; see .env.example for the list`);
  return { values, problems };
}

export function loadConfig(
  env: Record<string, string | undefined>,
  system: SystemFacts = { fdLimit: readFdLimit() },
): Config {
  const problems: string[] = [];
  const raw: Record<string, unknown> = {};
  for (const [name, [schema, fallback]] of Object.entries(variables)) {
    const given = env[name];
    const input = given === undefined || given.trim() === '' ? fallback : given;
    const result = (schema as z.ZodType).safeParse(input);
    if (result.success) raw[name] = result.data;
    else
      problems.push(`${name}=${JSON.stringify(given ?? '')}: ${result.error.issues.map((i) => i.message).join('; ')}`);
  }
  // The cross checks run on whatever parsed, so one run names every problem: a
  // check whose inputs did not parse is skipped (its input is already named).
  const parsed = (...names: VariableName[]) => names.every((name) => name in raw);
  problems.push(...crossChecks(raw as RawConfig, parsed));
  const slotInputs = parsed('MAX_ROOMS', 'ROOM_PORT_MIN', 'ROOM_PORT_MAX');
  const slots = slotInputs ? roomSlots(raw as RawConfig, system.totalMemBytes ?? totalmem()) : null;
  const budgetInputs = slots !== null && parsed('ROOM_MAX_CONNECTIONS', 'MAX_CONNECTIONS', 'FD_RESERVE');
  const budget = budgetInputs ? connectionBudget(raw as RawConfig, slots.maxRooms, system.fdLimit) : '';
  if (typeof budget === 'string' && budget !== '') problems.push(budget);
  if (problems.length > 0 || typeof budget === 'string' || slots === null) throw new ConfigError(problems);
  return Object.freeze(build(raw as RawConfig, slots, budget));
}

/** The checks across variables; each runs only when `parsed` says its inputs parsed. */
function crossChecks(c: RawConfig, parsed: (...names: VariableName[]) => boolean): string[] {
  const problems: string[] = [];
  const range = parsed('ROOM_PORT_MIN', 'ROOM_PORT_MAX');
  if (range && c.ROOM_PORT_MIN > c.ROOM_PORT_MAX) problems.push('ROOM_PORT_MIN: must not be above ROOM_PORT_MAX');
  else if (range && parsed('MAX_ROOMS') && c.MAX_ROOMS !== undefined) {
    const ports = c.ROOM_PORT_MAX - c.ROOM_PORT_MIN + 1;
    if (c.MAX_ROOMS > ports)
      problems.push(
        `MAX_ROOMS: ${c.MAX_ROOMS} rooms need ${c.MAX_ROOMS} ports; ROOM_PORT_MIN..ROOM_PORT_MAX holds ${ports}`,
      );
  }
  const inRange = (p: number) => range && p !== 0 && p >= c.ROOM_PORT_MIN && p <= c.ROOM_PORT_MAX;
  if (parsed('PORT') && inRange(c.PORT)) problems.push('PORT: must lie outside ROOM_PORT_MIN..ROOM_PORT_MAX');
  if (parsed('ADMIN_PORT') && inRange(c.ADMIN_PORT))
    problems.push('ADMIN_PORT: must lie outside ROOM_PORT_MIN..ROOM_PORT_MAX');
  if (parsed('PORT', 'ADMIN_PORT') && c.PORT !== 0 && c.PORT === c.ADMIN_PORT)
    problems.push('ADMIN_PORT: must differ from PORT');
  if (parsed('NODE_ENV') && c.NODE_ENV === 'production') {
    if (parsed('KEY') && !c.KEY) problems.push('KEY: required in production (the X-API-Key for creating rooms)');
    if (parsed('ADMIN_KEY') && !c.ADMIN_KEY)
      problems.push('ADMIN_KEY: required in production (the X-API-Key of the admin API)');
  }
  if (parsed('KEY', 'ADMIN_KEY') && c.KEY && c.KEY === c.ADMIN_KEY) problems.push('ADMIN_KEY: must differ from KEY');
  if (parsed('LOADBALANCERS', 'LOADBALANCER_KEY') && c.LOADBALANCERS.length > 0 && !c.LOADBALANCER_KEY)
    problems.push('LOADBALANCER_KEY: required when LOADBALANCERS is set');
  if (parsed('LISTING_WEBHOOK_URLS', 'WEBHOOK_SECRET') && c.LISTING_WEBHOOK_URLS.length > 0 && !c.WEBHOOK_SECRET)
    problems.push('WEBHOOK_SECRET: required when LISTING_WEBHOOK_URLS is set');
  if (parsed('CREDIT_SERVICE_URL', 'CREDIT_SERVICE_SECRET') && c.CREDIT_SERVICE_URL && !c.CREDIT_SERVICE_SECRET)
    problems.push('CREDIT_SERVICE_SECRET: required when CREDIT_SERVICE_URL is set (debits are signed with it)');
  if (parsed('TIP_MIN', 'TIP_MAX') && c.TIP_MIN > c.TIP_MAX) problems.push('TIP_MIN: must not be above TIP_MAX');
  return problems;
}

function build(c: RawConfig, slots: RoomSlots, connectionBudget: ConnectionBudgetConfig): Config {
  const generatedKeys: Config['generatedKeys'] = [];
  const generate = (name: 'KEY' | 'ADMIN_KEY') => {
    generatedKeys.push(name);
    return randomBytes(24).toString('base64url');
  };
  return {
    env: c.NODE_ENV,
    logLevel: c.LOG_LEVEL,
    port: c.PORT,
    adminPort: c.ADMIN_PORT,
    adminBind: c.ADMIN_BIND,
    adminAllowedIps: c.ADMIN_ALLOWED_IPS,
    trustedProxies: c.TRUSTED_PROXIES,
    publicRateLimit: { ratePerS: c.PUBLIC_RATE_LIMIT_RPS, burst: c.PUBLIC_RATE_LIMIT_BURST },
    publicMaxConnectionsPerAddress: c.PUBLIC_MAX_CONNECTIONS_PER_ADDRESS,
    key: c.KEY || generate('KEY'),
    adminKey: c.ADMIN_KEY || generate('ADMIN_KEY'),
    generatedKeys,
    host: c.HOST.replace(/\/$/, ''),
    maxRooms: slots.maxRooms,
    maxRoomsFrom: slots.from,
    roomPortMin: c.ROOM_PORT_MIN,
    roomPortMax: c.ROOM_PORT_MAX,
    warmWorkers: Math.min(c.ROOM_WARM_WORKERS, slots.maxRooms),
    roomBootTimeoutMs: c.ROOM_BOOT_TIMEOUT_MS,
    roomMaxHeapMb: c.ROOM_MAX_HEAP_MB,
    roomYoungGenMb: c.ROOM_YOUNG_GEN_MB,
    roomLivenessIntervalMs: c.ROOM_LIVENESS_INTERVAL_MS,
    roomLivenessTimeoutMs: c.ROOM_LIVENESS_TIMEOUT_MS,
    publicRoomPathPrefix: c.PUBLIC_ROOM_PATH_PREFIX,
    shutdownTimeoutMs: c.SHUTDOWN_TIMEOUT_MS,
    mongodbUri: c.MONGODB_URI,
    redisUrl: c.REDIS_URL,
    dataDir: c.DATA_DIR,
    transcriptRetentionDays: c.TRANSCRIPT_RETENTION_DAYS,
    transcriptQueueLimit: c.TRANSCRIPT_QUEUE_LIMIT,
    cacheRefreshS: c.CACHE_REFRESH_S,
    loadBalancers: c.LOADBALANCERS,
    loadBalancerKey: c.LOADBALANCER_KEY,
    lbHeartbeatS: c.LB_HEARTBEAT_S,
    listingWebhookUrls: c.LISTING_WEBHOOK_URLS,
    webhookSecret: c.WEBHOOK_SECRET,
    creditService: c.CREDIT_SERVICE_URL
      ? { url: c.CREDIT_SERVICE_URL, secret: c.CREDIT_SERVICE_SECRET, timeoutMs: c.CREDIT_TIMEOUT_MS }
      : null,
    access: {
      allowedOrigins: c.ALLOWED_ORIGINS,
      authSecret: c.AUTH_SECRET,
      allowGuests: c.ALLOW_GUESTS ?? c.AUTH_SECRET === '',
      allowAnonymous: c.ALLOW_ANONYMOUS,
      guestSecret: c.GUEST_SECRET,
      guestBansByAddress: c.GUEST_BANS_BY_ADDRESS,
      reservedNames: c.RESERVED_NAMES,
      trustedProxies: c.TRUSTED_PROXIES,
    },
    limits: {
      maxConnections: c.ROOM_MAX_CONNECTIONS,
      maxFrameBytes: c.MAX_FRAME_BYTES,
      maxMessageChars: c.MAX_MESSAGE_CHARS,
      rateLimitMessages: c.RATE_LIMIT_MESSAGES,
      rateLimitModMessages: c.RATE_LIMIT_MOD_MESSAGES,
      rateLimitWindowMs: c.RATE_LIMIT_WINDOW_S * 1000,
      historyOnJoin: c.HISTORY_ON_JOIN,
      recoveryWindow: c.RECOVERY_WINDOW,
      joinTimeoutMs: c.JOIN_TIMEOUT_MS,
      pingIntervalMs: c.WS_PING_INTERVAL_MS,
      pongTimeoutMs: c.WS_PONG_TIMEOUT_MS,
      slowReaderBytes: c.SLOW_READER_BYTES,
      slowReaderMs: c.SLOW_READER_MS,
      presenceIntervalMs: c.PRESENCE_INTERVAL_MS,
      uniqueChatWindowMs: c.UNIQUE_CHAT_WINDOW_S * 1000,
      shieldPreset: c.SHIELD_PRESET,
      joinRatePerS: c.JOIN_RATE_PER_S,
      joinBurst: c.JOIN_BURST,
      ...(c.CREDIT_SERVICE_URL
        ? { tips: { min: c.TIP_MIN, max: c.TIP_MAX, pinMsPerCredit: c.TIP_PIN_MS_PER_CREDIT } }
        : {}),
      httpSessionIdleMs: c.HTTP_SESSION_IDLE_S * 1000,
    },
    connectionBudget,
  };
}
