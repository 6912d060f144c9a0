/**
 * A real redis-server for cluster tests: on a free loopback port, without
 * persistence (`--save '' --appendonly no`, so a restart comes back empty, as the
 * tests mean it to), killed after the test file whatever happened. Without
 * redis-server on the machine the cluster suites are skipped and say how to enable them.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { after } from 'node:test';
import { eventually } from './wait.js';

function findRedisServer(): string | null {
  for (const path of ['redis-server', '/usr/bin/redis-server', '/usr/local/bin/redis-server'])
    try {
      execFileSync(path, ['--version'], { stdio: 'ignore' });
      return path;
    } catch {
      // not this one
    }
  return null;
}

export const REDIS_SERVER = findRedisServer();
/** The reason a cluster suite is skipped, or false when it runs. */
export const SKIP_CLUSTER: string | false =
  REDIS_SERVER === null
    ? 'redis-server is not installed (apt-get install redis-server to run the cluster suites)'
    : false;

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const running = new Set<ChildProcess>();
after(() => {
  for (const child of running) child.kill('SIGKILL');
});

export class TestRedis {
  private child: ChildProcess | null = null;
  private constructor(readonly port: number) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  static async start(): Promise<TestRedis> {
    const redis = new TestRedis(await freePort());
    await redis.restart();
    return redis;
  }

  /** Starts the server again on the same port (empty: nothing is persisted). */
  async restart(): Promise<void> {
    if (REDIS_SERVER === null) throw new Error('redis-server is not installed');
    const child = spawn(
      REDIS_SERVER,
      [
        '--port',
        String(this.port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'no',
        '--protected-mode',
        'no',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    running.add(child);
    child.once('exit', () => running.delete(child));
    this.child = child;
    let out = '';
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
    await eventually('redis-server to accept connections', () => out.includes('Ready to accept connections'), {
      timeoutMs: 10_000,
      everyMs: 20,
    });
  }

  /** Stops the server (SIGKILL: what it held is gone) and resolves once it has exited. */
  async stop(): Promise<void> {
    const child = this.child;
    this.child = null;
    if (child === null || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }
}
