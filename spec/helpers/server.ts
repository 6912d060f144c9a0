/**
 * Starts a real chat server in this process on free ports (PORT=0, ADMIN_PORT=0)
 * and closes it after the test. Room ports come from a range picked per test
 * process, so test files running side by side rarely meet (and when they do, the
 * supervisor moves on to the next free port).
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

export interface TestServer {
  server: ChatServer;
  api: string;
  admin: string;
  /** fetch against the public API with the right key. */
  publicFetch(path: string, init?: RequestInit & { key?: string | null }): Promise<Response>;
  adminFetch(path: string, init?: RequestInit & { key?: string | null }): Promise<Response>;
  createRoom(name: string): Promise<number>;
  stop(): Promise<void>;
}

let offset = 0;

export async function startTestServer(
  env: Record<string, string> = {},
  options: ChatServerOptions & { logger?: Logger } = {},
): Promise<TestServer> {
  const range = roomPortRange(offset++);
  const config = loadConfig({
    // Never the default ./data: a fresh directory per server unless the test names one.
    DATA_DIR: freshDataDir(),
    NODE_ENV: 'test',
    PORT: '0',
    ADMIN_PORT: '0',
    KEY,
    ADMIN_KEY,
    MAX_ROOMS: '4',
    ROOM_PORT_MIN: String(range.min),
    ROOM_PORT_MAX: String(range.max),
    SHUTDOWN_TIMEOUT_MS: '5000',
    ...env,
  });
  // A test that asserts on log lines passes its own logger.
  const server = await startChatServer(config, options.logger ?? testLogger(), options);
  const api = `http://127.0.0.1:${server.publicPort}/api/v1`;
  const admin = `http://127.0.0.1:${server.adminPort}/api/v1`;
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
  const publicFetch = keyed(api, KEY);
  const adminFetch = keyed(admin, ADMIN_KEY);
  const handle: TestServer = {
    server,
    api,
    admin,
    publicFetch,
    adminFetch,
    async createRoom(name) {
      const res = await publicFetch(`/room/${name}`, { method: 'POST' });
      const body = (await res.json()) as { data: { port: number } };
      if (res.status !== 201 && res.status !== 200)
        throw new Error(`create ${name}: ${res.status} ${JSON.stringify(body)}`);
      return body.data.port;
    },
    async stop() {
      await server.stop(0, 'test finished');
    },
  };
  after(() => handle.stop());
  return handle;
}
