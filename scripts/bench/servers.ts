/**
 * Starting and stopping the servers under test, each as its own process:
 * chatserver (the real dist/src/main.js, rooms created through its API) and the
 * two baselines in servers/. Everything listens on loopback.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../../', import.meta.url));
/** The chatserver build under test: this tree's, or another checkout's (BENCH_SERVER_ROOT) for before/after runs. */
const serverRoot = process.env.BENCH_SERVER_ROOT ?? root;
const KEY = 'bench-key';
const ADMIN_KEY = 'bench-admin-key';
/** Below Linux's ephemeral range (32768+), so the load generator's own sockets never take a room's port. */
const ROOM_PORTS = { min: 32100, max: 32199 };

/**
 * The chatserver settings every bench run uses (documented in docs/benchmarks.md):
 * the per-user rate limit is lifted so a few publishers can offer any rate, and the
 * slow-reader cut-off is raised so a load generator that briefly lags is measured
 * as lagging instead of being disconnected (still bounded: at most 4 MiB queued per
 * subscriber, 4 GiB for 1,000 in the worst case).
 */
export const CHATSERVER_BENCH_ENV: Record<string, string> = {
  RATE_LIMIT_MESSAGES: '100000',
  RATE_LIMIT_WINDOW_S: '1',
  SLOW_READER_BYTES: String(4 * 1024 * 1024),
  // Likewise for the time limit: a load generator that lags for a few seconds past
  // saturation is measured as lagging, not cut.
  SLOW_READER_MS: '60000',
};

export interface ServerProcess {
  kind: string;
  pid: number;
  ports: number[];
  stop(): Promise<void>;
}

export interface Chatserver extends ServerProcess {
  /** Creates a room through the public API; resolves with its port and the create-to-ready time. */
  createRoom(name: string): Promise<{ port: number; ms: number }>;
}

function firstLine(child: ChildProcess, test: (line: string) => boolean, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    const timer = setTimeout(() => reject(new Error('server did not start in time')), timeoutMs);
    lines.on('line', (line) => {
      if (test(line)) {
        clearTimeout(timer);
        resolve(line);
      }
    });
    child.once('exit', (code) => reject(new Error(`server exited (${code}) before it was ready`)));
  });
}

function stopper(child: ChildProcess, cleanup?: () => void): () => Promise<void> {
  return () =>
    new Promise((resolve) => {
      const done = () => {
        cleanup?.();
        resolve();
      };
      if (child.exitCode !== null || child.signalCode !== null) return done();
      const kill = setTimeout(() => child.kill('SIGKILL'), 8_000);
      child.once('exit', () => {
        clearTimeout(kill);
        done();
      });
      child.kill('SIGTERM');
    });
}

export async function startChatserver(env: Record<string, string> = {}, nodeArgs: string[] = []): Promise<Chatserver> {
  const dataDir = mkdtempSync(join(tmpdir(), 'chatserver-bench-'));
  const child = spawn(process.execPath, [...nodeArgs, join(serverRoot, 'dist/src/main.js')], {
    cwd: serverRoot,
    stdio: ['ignore', 'pipe', 'inherit'],
    env: {
      PATH: process.env.PATH ?? '',
      ENV_FILE: join(dataDir, 'none.env'),
      NODE_ENV: 'production',
      LOG_LEVEL: 'info',
      KEY,
      ADMIN_KEY,
      PORT: '0',
      ADMIN_PORT: '0',
      HOST: 'http://127.0.0.1',
      DATA_DIR: dataDir,
      ROOM_PORT_MIN: String(ROOM_PORTS.min),
      ROOM_PORT_MAX: String(ROOM_PORTS.max),
      MAX_ROOMS: '4',
      ...CHATSERVER_BENCH_ENV,
      ...env,
    },
  });
  const line = await firstLine(child, (l) => l.includes('"Listening"'), 20_000);
  // Keep reading the log so the server never blocks on a full pipe; BENCH_SERVER_LOG keeps it in a file.
  if (process.env.BENCH_SERVER_LOG) child.stdout!.pipe(createWriteStream(process.env.BENCH_SERVER_LOG, { flags: 'a' }));
  else child.stdout!.resume();
  const publicPort = (JSON.parse(line) as { publicPort: number }).publicPort;
  return {
    kind: 'chatserver',
    pid: child.pid!,
    ports: [publicPort],
    stop: stopper(child, () => rmSync(dataDir, { recursive: true, force: true })),
    async createRoom(name) {
      const start = performance.now();
      const res = await fetch(`http://127.0.0.1:${publicPort}/api/v1/room/${name}`, {
        method: 'POST',
        headers: { 'X-API-Key': KEY },
      });
      const ms = performance.now() - start;
      const body = (await res.json()) as { data: { port: number } };
      if (res.status !== 201) throw new Error(`create ${name}: HTTP ${res.status} ${JSON.stringify(body)}`);
      return { port: body.data.port, ms };
    },
  };
}

/** A baseline server from servers/ (ws-broadcast or socketio-broadcast). */
export async function startBaseline(
  kind: 'ws' | 'socketio',
  rooms = 1,
  nodeArgs: string[] = [],
): Promise<ServerProcess> {
  const file = kind === 'ws' ? 'ws-broadcast.js' : 'socketio-broadcast.js';
  const child = spawn(process.execPath, [...nodeArgs, fileURLToPath(new URL(`./servers/${file}`, import.meta.url))], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { PATH: process.env.PATH ?? '', BENCH_ROOMS: String(rooms) },
  });
  const line = await firstLine(child, (l) => l.startsWith('{"ports"'), 20_000);
  return { kind, pid: child.pid!, ports: (JSON.parse(line) as { ports: number[] }).ports, stop: stopper(child) };
}
