/**
 * Every environment variable the server reads, once: its parser (zod, with the
 * words an operator sees when a value is wrong) and its default. src/config.ts
 * turns the parsed values into the Config; `.env.example` documents the same list.
 */
import { isIP } from 'node:net';
import { z } from 'zod';
import { type ModesPatch, parseModesPatch } from './room/chat-modes.js';

const int = (min: number, max: number) =>
  z
    .string()
    .trim()
    .regex(/^-?\d+$/, `must be a whole number from ${min} to ${max}`)
    .transform(Number)
    .pipe(z.number().min(min, `must be at least ${min}`).max(max, `must be at most ${max}`));
const port = int(0, 65535);
/** Empty means "derive it" (see MAX_CONNECTIONS, FD_RESERVE). */
const optionalInt = (min: number, max: number) => z.union([z.literal('').transform(() => undefined), int(min, max)]);
const bool = z.stringbool({ error: 'must be one of true/false, on/off, yes/no, 1/0' });
/** Empty means "decide from other settings" (see ALLOW_GUESTS). */
const optionalBool = z.union([z.literal('').transform(() => undefined), bool]);
const text = z.string().trim();
const list = z.string().transform((s) =>
  s
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean),
);
/** An IP address or a CIDR range (10.0.0.0/8, fd00::/8). */
const isAddressOrRange = (entry: string): boolean => {
  const [address = '', prefix, ...more] = entry.split('/');
  const family = isIP(address);
  if (family === 0 || more.length > 0) return false;
  if (prefix === undefined) return true;
  return /^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128);
};
const addressList = list.pipe(
  z.array(z.string().refine(isAddressOrRange, 'must be a comma list of IP addresses or CIDR ranges (10.0.0.0/8)')),
);
/** A JSON object of chat modes (src/room/chat-modes.ts), e.g. {"slow":30,"uniqueChat":true}. */
const modesPatch = z.string().transform((s, ctx): ModesPatch => {
  let parsed: unknown;
  try {
    parsed = JSON.parse(s);
  } catch {
    parsed = undefined;
  }
  const patch =
    typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
      ? parseModesPatch(parsed as Record<string, unknown>)
      : new Error('must be a JSON object of chat modes, e.g. {"slow":30,"uniqueChat":true}');
  if (patch instanceof Error) {
    ctx.addIssue({ code: 'custom', message: patch.message });
    return z.NEVER;
  }
  return patch;
});
const urlList = list.pipe(z.array(z.url({ protocol: /^https?$/, error: 'must be a comma list of http(s) URLs' })));

/** Each variable: its schema and its default, as a string exactly as an operator would write it. */
export const variables = {
  NODE_ENV: [z.enum(['development', 'production', 'test']), 'development'],
  LOG_LEVEL: [z.enum(['error', 'warn', 'info', 'http', 'verbose', 'debug', 'silly']), 'info'],
  PORT: [port, '80'],
  ADMIN_PORT: [port, '8090'],
  ADMIN_BIND: [z.union([z.ipv4(), z.ipv6()], { error: 'must be an IP address' }), '127.0.0.1'],
  ADMIN_ALLOWED_IPS: [addressList, ''],
  TRUSTED_PROXIES: [list, ''],
  PUBLIC_RATE_LIMIT_RPS: [int(0, 1_000_000), '20'],
  PUBLIC_RATE_LIMIT_BURST: [int(1, 1_000_000), '40'],
  PUBLIC_MAX_CONNECTIONS_PER_ADDRESS: [int(0, 1_000_000), '256'],
  KEY: [text, ''],
  ADMIN_KEY: [text, ''],
  HOST: [z.union([z.literal(''), z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' })]), ''],
  MAX_ROOMS: [optionalInt(1, 10_000), ''],
  ROOM_PORT_MIN: [int(1, 65535), '34000'],
  ROOM_PORT_MAX: [int(1, 65535), '34050'],
  ROOM_MAX_CONNECTIONS: [int(1, 1_000_000), '10000'],
  ROOM_WARM_WORKERS: [int(0, 64), '1'],
  ROOM_BOOT_TIMEOUT_MS: [int(100, 120_000), '10000'],
  ROOM_MAX_HEAP_MB: [int(16, 65_536), '512'],
  ROOM_YOUNG_GEN_MB: [int(1, 1024), '4'],
  ROOM_LIVENESS_INTERVAL_MS: [int(50, 60_000), '2000'],
  ROOM_LIVENESS_TIMEOUT_MS: [int(50, 120_000), '5000'],
  PUBLIC_ROOM_PATH_PREFIX: [text.regex(/^$|^\/.*\/$/, 'must start and end with "/", e.g. /rooms/'), ''],
  ALLOWED_ORIGINS: [list, ''],
  AUTH_SECRET: [text, ''],
  ALLOW_GUESTS: [optionalBool, ''],
  ALLOW_ANONYMOUS: [bool, 'on'],
  GUEST_SECRET: [text, ''],
  GUEST_BANS_BY_ADDRESS: [bool, 'on'],
  UNIQUE_CHAT_WINDOW_S: [int(1, 86_400), '30'],
  SHIELD_PRESET: [modesPatch, '{"slow":30,"followersOnly":10,"uniqueChat":true,"review":"guests"}'],
  RESERVED_NAMES: [list, 'admin,administrator,host,mod,moderator,staff,system,server,official'],
  SHUTDOWN_TIMEOUT_MS: [int(100, 600_000), '10000'],
  MONGODB_URI: [text.regex(/^$|^mongodb(\+srv)?:\/\//, 'must be a mongodb:// or mongodb+srv:// URI'), ''],
  REDIS_URL: [text.regex(/^$|^rediss?:\/\/[^\s]+$/, 'must be a redis:// or rediss:// URL'), ''],
  DATA_DIR: [text.min(1, 'must not be empty'), './data'],
  TRANSCRIPT_RETENTION_DAYS: [int(1, 36_500), '30'],
  TRANSCRIPT_QUEUE_LIMIT: [int(1, 10_000_000), '100000'],
  CACHE_REFRESH_S: [int(1, 86_400), '60'],
  LOADBALANCERS: [urlList, ''],
  LOADBALANCER_KEY: [text, ''],
  LB_HEARTBEAT_S: [int(1, 3600), '10'],
  LISTING_WEBHOOK_URLS: [urlList, ''],
  WEBHOOK_SECRET: [text, ''],
  // Paid messages (docs/protocol.md): off while CREDIT_SERVICE_URL is empty.
  CREDIT_SERVICE_URL: [z.union([z.literal(''), z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' })]), ''],
  CREDIT_SERVICE_SECRET: [text, ''],
  CREDIT_TIMEOUT_MS: [int(50, 60_000), '2000'],
  TIP_PIN_MS_PER_CREDIT: [int(0, 86_400_000), '1000'],
  TIP_MIN: [int(1, 1_000_000_000), '1'],
  TIP_MAX: [int(1, 1_000_000_000), '100000'],
  // Chat protocol limits (docs/protocol.md); defaults are the protocol's.
  MAX_FRAME_BYTES: [int(256, 1_048_576), '16384'],
  MAX_MESSAGE_CHARS: [int(1, 10_000), '500'],
  RATE_LIMIT_MESSAGES: [int(1, 100_000), '20'],
  RATE_LIMIT_MOD_MESSAGES: [int(1, 100_000), '100'],
  RATE_LIMIT_WINDOW_S: [int(1, 3600), '30'],
  HISTORY_ON_JOIN: [int(0, 1000), '50'],
  RECOVERY_WINDOW: [int(0, 100_000), '1000'],
  JOIN_TIMEOUT_MS: [int(100, 600_000), '10000'],
  WS_PING_INTERVAL_MS: [int(100, 600_000), '25000'],
  WS_PONG_TIMEOUT_MS: [int(100, 600_000), '10000'],
  SLOW_READER_BYTES: [int(1024, 1_073_741_824), '1048576'],
  PRESENCE_INTERVAL_MS: [int(0, 60_000), '1000'],
  // Join admission per room (src/room/join-admission.ts): upgrades past it get 503 + Retry-After.
  // The rate also sizes the rejoin window, so it is about what one room's thread sustains (docs/benchmarks.md).
  JOIN_RATE_PER_S: [int(0, 1_000_000), '1500'],
  JOIN_BURST: [int(1, 1_000_000), '5000'],
  // The process-wide connection budget and honest slow-reader limits (docs/deploy.md).
  MAX_CONNECTIONS: [optionalInt(1, 10_000_000), ''],
  FD_RESERVE: [optionalInt(0, 10_000_000), ''],
  SLOW_READER_MS: [int(100, 600_000), '5000'],
  HTTP_SESSION_IDLE_S: [int(1, 3600), '30'],
} as const satisfies Record<string, readonly [z.ZodType, string]>;

type Variables = typeof variables;
export type VariableName = keyof Variables;
export type RawConfig = { [K in VariableName]: z.output<Variables[K][0]> };
