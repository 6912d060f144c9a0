/**
 * `npm run test:postman`: runs the admin API's Postman collection
 * (docs/postman/chatserver-admin.postman_collection.json) with newman against real
 * servers on free ports, and exits non-zero if any request or test fails.
 *
 * 1. A server (`node dist/src/main.js`, PORT=0 ADMIN_PORT=0, a temporary DATA_DIR,
 *    generated keys) runs every folder but the two that stop it, then
 *    "Stop: restart"; it must exit with code 3.
 * 2. A second server runs "Stop: shutdown"; it must exit with code 0.
 *
 * Ports are read from the server's JSON "Listening" log line.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const MAIN = join(ROOT, 'dist/src/main.js');
const COLLECTION = join(ROOT, 'docs/postman/chatserver-admin.postman_collection.json');
const ENVIRONMENT = join(ROOT, 'docs/postman/chatserver.postman_environment.json');
const START_TIMEOUT_MS = 30_000;
const EXIT_TIMEOUT_MS = 20_000;

/** The part of newman's Node API used here (newman ships no types). */
interface Newman {
  run(
    options: {
      collection: unknown;
      environment: unknown;
      folder?: string[];
      envVar?: Array<{ key: string; value: string }>;
      reporters?: string[];
      bail?: boolean;
      timeoutRequest?: number;
    },
    callback: (
      error: Error | null,
      summary: { run: { failures: unknown[]; stats: { assertions: { total?: number; failed?: number } } } },
    ) => void,
  ): void;
}
const newman = createRequire(import.meta.url)('newman') as Newman;

interface Server {
  child: ChildProcess;
  publicPort: number;
  adminPort: number;
  exit: Promise<number | null>;
}

function startServer(env: Record<string, string>): Promise<Server> {
  const child = spawn(process.execPath, ['--enable-source-maps', MAIN], {
    env: { PATH: process.env.PATH ?? '', NODE_ENV: 'production', PORT: '0', ADMIN_PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the server did not listen in time')), START_TIMEOUT_MS);
    void exit.then((code) => reject(new Error(`the server exited with ${code} before listening`)));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      let entry: { message?: string; publicPort?: number; adminPort?: number };
      try {
        entry = JSON.parse(line) as typeof entry;
      } catch {
        return;
      }
      if (entry.message === 'Listening' && entry.publicPort && entry.adminPort) {
        clearTimeout(timer);
        resolve({ child, publicPort: entry.publicPort, adminPort: entry.adminPort, exit });
      } else if (process.env.POSTMAN_SERVER_LOG) console.log(line);
    });
  });
}

/** Assertions run across the collection runs, for the closing line. */
const assertions = { total: 0, failed: 0 };

function runCollection(server: Server, keys: { key: string; adminKey: string }, folder: string[]): Promise<number> {
  const collection = JSON.parse(readFileSync(COLLECTION, 'utf8')) as unknown;
  const environment = JSON.parse(readFileSync(ENVIRONMENT, 'utf8')) as unknown;
  return new Promise((resolve, reject) => {
    newman.run(
      {
        collection,
        environment,
        folder,
        envVar: [
          { key: 'host', value: '127.0.0.1' },
          { key: 'publicPort', value: String(server.publicPort) },
          { key: 'adminPort', value: String(server.adminPort) },
          { key: 'key', value: keys.key },
          { key: 'adminKey', value: keys.adminKey },
        ],
        reporters: ['cli'],
        timeoutRequest: 10_000,
      },
      (error, summary) => {
        if (error) return reject(error);
        assertions.total += summary.run.stats.assertions.total ?? 0;
        assertions.failed += summary.run.stats.assertions.failed ?? 0;
        resolve(summary.run.failures.length);
      },
    );
  });
}

async function exitCodeOf(server: Server): Promise<number | null | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), EXIT_TIMEOUT_MS)));
  const code = await Promise.race([server.exit, timeout]);
  clearTimeout(timer);
  return code;
}

async function main(): Promise<number> {
  const dataDir = mkdtempSync(join(tmpdir(), 'chatserver-postman-'));
  const keys = { key: randomBytes(18).toString('base64url'), adminKey: randomBytes(18).toString('base64url') };
  // Room ports below Linux's ephemeral range, apart from the test suite's 20000..31999.
  const min = 12_000 + (process.pid % 160) * 50;
  const env = {
    KEY: keys.key,
    ADMIN_KEY: keys.adminKey,
    DATA_DIR: dataDir,
    MAX_ROOMS: '4',
    ROOM_PORT_MIN: String(min),
    ROOM_PORT_MAX: String(min + 49),
    SHUTDOWN_TIMEOUT_MS: '5000',
  };
  const servers: Server[] = [];
  const problems: string[] = [];
  try {
    const first = await startServer(env);
    servers.push(first);
    const failures = await runCollection(first, keys, [
      'Info and access',
      'Health',
      'Rooms',
      'Data',
      'Operations',
      'Stop: restart',
    ]);
    if (failures > 0) problems.push(`${failures} failure(s) in the admin calls and restart`);
    const restartCode = await exitCodeOf(first);
    if (restartCode !== 3) problems.push(`after restart the server exited with ${restartCode}, not 3`);

    const second = await startServer(env);
    servers.push(second);
    const stopFailures = await runCollection(second, keys, ['Stop: shutdown']);
    if (stopFailures > 0) problems.push(`${stopFailures} failure(s) in shutdown`);
    const shutdownCode = await exitCodeOf(second);
    if (shutdownCode !== 0) problems.push(`after shutdown the server exited with ${shutdownCode}, not 0`);
  } finally {
    for (const s of servers) if (s.child.exitCode === null && s.child.signalCode === null) s.child.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  }
  const closing = `postman: ${assertions.total - assertions.failed} passed, ${assertions.failed} failed`;
  if (problems.length > 0) {
    console.error(`test:postman failed:\n  - ${problems.join('\n  - ')}`);
    console.log(closing);
    return 1;
  }
  console.log('test:postman: every request and test passed; restart exited 3, shutdown exited 0');
  console.log(closing);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error('test:postman could not run:', error);
    process.exit(1);
  },
);
