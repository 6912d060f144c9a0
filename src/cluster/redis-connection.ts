/**
 * How the cluster talks to Redis (node-redis): a connection that never gives up
 * reconnecting (a short capped pause between attempts), refuses commands at once
 * while it is down instead of queueing them (disableOfflineQueue: a sender is told
 * UNAVAILABLE now rather than its post going out minutes later), and always has
 * an 'error' listener (node-redis emits one per failed attempt; without a
 * listener it would end the process).
 */
import { createHash } from 'node:crypto';
import { createClient } from 'redis';

export type RedisConnection = ReturnType<typeof createClient>;

/** The pause before reconnect attempt `retries` (ms): 50, 100, 200 … at most 1 s. */
export function reconnectDelay(retries: number): number {
  return Math.min(50 * 2 ** retries, 1_000);
}

export function redisConnection(
  url: string,
  onError: (error: Error) => void,
  socketTimeoutMs?: number,
): RedisConnection {
  const client = createClient({
    url,
    disableOfflineQueue: true,
    socket: {
      connectTimeout: 2_000,
      reconnectStrategy: reconnectDelay,
      ...(socketTimeoutMs === undefined ? {} : { socketTimeout: socketTimeoutMs }),
    },
  });
  client.on('error', onError);
  return client;
}

/**
 * Starts connecting without waiting: node-redis's connect() settles only once a
 * connection is made, retrying until then, so a Redis that is down at start-up
 * must not hold up the room (it refuses posts until the connection is ready).
 */
export function connectInBackground(client: RedisConnection): void {
  client.connect().catch(() => undefined);
}

/** What a sender is told while this copy cannot reach Redis. */
export const UNREACHABLE = 'The chat cluster is unreachable right now; try again shortly';
/** How long a sender waits before trying again while Redis is unreachable or ids are being reserved. */
export const CLUSTER_RETRY_MS = 1_000;

/** A command that has not answered in this long is taken as failed (a sender is told UNAVAILABLE). */
export const COMMAND_TIMEOUT_MS = 2_000;

/** The command's answer, or a failure once COMMAND_TIMEOUT_MS has passed (a Redis that stopped answering). */
export function withTimeout<T>(promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Redis did not answer in ${COMMAND_TIMEOUT_MS} ms`)), COMMAND_TIMEOUT_MS);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Each script's SHA1, for EVALSHA (the same source always hashes the same). */
const scriptShas = new Map<string, string>();

/**
 * Runs a Lua script by its SHA, sending the source only when Redis does not know
 * it yet (NOSCRIPT: a fresh or restarted Redis), under the command deadline.
 */
export async function runScript(
  connection: RedisConnection,
  source: string,
  keys: string[],
  args: string[],
): Promise<unknown> {
  let sha = scriptShas.get(source);
  if (sha === undefined) scriptShas.set(source, (sha = createHash('sha1').update(source).digest('hex')));
  const call = (command: string, body: string) =>
    withTimeout(connection.sendCommand([command, body, String(keys.length), ...keys, ...args]));
  try {
    return await call('EVALSHA', sha);
  } catch (error) {
    if (!String((error as Error).message).startsWith('NOSCRIPT')) throw error;
    return await call('EVAL', source);
  }
}
