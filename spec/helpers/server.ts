/**
 * The test harness for chat servers. A server runs in this process
 * (startTestServer) or as a real process (spawnChatServer in processes.ts); both
 * bind free ports (PORT=0, ADMIN_PORT=0), are talked to through the same
 * ServerClient, are stopped with `stop()`, and are stopped after the test file
 * whatever happened. Room ports come from a range picked per test process, so
 * test files running side by side rarely meet (and when they do, the supervisor
 * moves on to the next free port).
 */
import { after } from 'node:test';
import { loadConfig } from '../../src/config.js';
import { createLogger, type Logger } from '../../src/logger.js';
import { type ChatServer, type ChatServerOptions, startChatServer } from '../../src/server.js';
import { freshDataDir } from './data-dir.js';

export const KEY = 'test-key';
export const ADMIN_KEY = 'test-admin-key';

/** 50 ports in 20000..31999 (below Linux's ephemeral range), chosen by pid. */
export function roomPortRange(offset = 0): { min: number; max: number } {
  const min = 20_000 + ((process.pid + offset) % 240) * 50;
  return { min, max: min + 49 };
}

export function testLogger(): Logger {
  return createLogger({
    level: process.env.TEST_LOG_LEVEL ?? 'error',
    json: false,
    silent: !process.env.TEST_LOG_LEVEL,
  });
}

/** Keyed fetches against a server's public and admin APIs. */
export interface ServerClient {
  /** Base URLs of the public and admin APIs (…/api/v1). */
  api: string;
  admin: string;
  /** fetch against the public API with the right key (`key: null` sends none). */
  publicFetch(path: string, init?: RequestInit & { key?: string | null }): Promise<Response>;
  adminFetch(path: string, init?: RequestInit & { key?: string | null }): Promise<Response>;
  /** Creates a room (or finds it) and answers its port. */
  createRoom(name: string): Promise<number>;
}

/** What every started server is: a client of it, and its one way to stop. */
export interface RunningServer extends ServerClient {
  /** A graceful stop; resolves once the server has stopped. Idempotent. */
  stop(): Promise<unknown>;
}

export interface TestServer extends RunningServer {
  server: ChatServer;
  stop(): Promise<void>;
}

export function serverClient(
  publicPort: number,
  adminPort: number,
  keys: { key?: string; adminKey?: string } = {},
): ServerClient {
  const api = `http://127.0.0.1:${publicPort}/api/v1`;
  const admin = `http://127.0.0.1:${adminPort}/api/v1`;
  const keyed =
    (base: string, defaultKey: string) =>
    (path: string, init: RequestInit & { key?: string | null } = {}) => {
      const { key = defaultKey, ...rest } = init;
      const headers = new Headers(rest.headers);
      if (key !== null) headers.set('X-API-Key', key);
      if (typeof rest.body === 'string' && !headers.has('Content-Type'))
        headers.set('Content-Type', 'application/json');
      return fetch(`${base}${path}`, { ...rest, headers });
    };
  const publicFetch = keyed(api, keys.key ?? KEY);
  return {
    api,
    admin,
    publicFetch,
    adminFetch: keyed(admin, keys.adminKey ?? ADMIN_KEY),
    async createRoom(name) {
      const res = await publicFetch(`/room/${name}`, { method: 'POST' });
      const body = (await res.json()) as { data: { port: number } };
      if (res.status !== 201 && res.status !== 200)
        throw new Error(`create ${name}: ${res.status} ${JSON.stringify(body)}`);
      return body.data.port;
    },
  };
}

/** The settings every test server starts from: free ports, rooms on roomPortRange(offset), a fresh DATA_DIR. */
export function baseEnv(offset: number): Record<string, string> {
  const range = roomPortRange(offset);
  return {
    DATA_DIR: freshDataDir(),
    PORT: '0',
    ADMIN_PORT: '0',
    ROOM_PORT_MIN: String(range.min),
    ROOM_PORT_MAX: String(range.max),
  };
}

let offset = 0;

export async function startTestServer(
  env: Record<string, string> = {},
  options: ChatServerOptions & { logger?: Logger } = {},
): Promise<TestServer> {
  const config = loadConfig({
    // Never the default ./data: a fresh directory per server unless the test names one.
    ...baseEnv(offset++),
    NODE_ENV: 'test',
    KEY,
    ADMIN_KEY,
    MAX_ROOMS: '4',
    SHUTDOWN_TIMEOUT_MS: '5000',
    ...env,
  });
  // A test that asserts on log lines passes its own logger.
  const server = await startChatServer(config, options.logger ?? testLogger(), options);
  const handle: TestServer = {
    server,
    ...serverClient(server.publicPort, server.adminPort),
    async stop() {
      await server.stop(0, 'test finished');
    },
  };
  after(() => handle.stop());
  return handle;
}
