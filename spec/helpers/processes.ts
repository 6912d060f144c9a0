/**
 * Real processes for tests: the chat server (dist/src/main.js) and the load
 * balancer (dist/src/loadbalancer/main.js), started with NODE_ENV=production so
 * their logs are JSON lines; a test reads the ports from the "Listening" line.
 * Every process started here is killed after the test file, whatever happened.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { after } from 'node:test';
import { freshDataDir } from './data-dir.js';

export const CHAT_MAIN = new URL('../../src/main.js', import.meta.url);
export const LB_MAIN = new URL('../../src/loadbalancer/main.js', import.meta.url);

export type LogLine = Record<string, unknown> & { message?: string };

export interface NodeProcess {
  child: ChildProcess;
  /** Every JSON line written to stdout so far. */
  lines: LogLine[];
  /** The fields of the "Listening" line. */
  listening: LogLine;
  exited: Promise<number | null>;
  /** Sends the signal and resolves once the process has exited. */
  kill(signal: NodeJS.Signals): Promise<number | null>;
}

const running = new Set<ChildProcess>();
after(() => {
  for (const child of running) child.kill('SIGKILL');
});

export function spawnNode(entry: URL, env: Record<string, string>, startMs = 20_000): Promise<NodeProcess> {
  const child = spawn(process.execPath, ['--enable-source-maps', entry.pathname], {
    // Only what is given: a developer's own environment or .env must not leak in.
    env: {
      PATH: process.env.PATH ?? '',
      NODE_ENV: 'production',
      ENV_FILE: '/nonexistent/.env',
      DATA_DIR: freshDataDir(),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  const lines: LogLine[] = [];
  let stderr = '';
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      running.delete(child);
      resolve(code);
    }),
  );
  let buffered = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    buffered += chunk;
    const parts = buffered.split('\n');
    buffered = parts.pop()!;
    for (const part of parts) {
      if (!part.trim()) continue;
      try {
        lines.push(JSON.parse(part) as LogLine);
      } catch {
        lines.push({ message: part });
      }
    }
  });
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const proc: Omit<NodeProcess, 'listening'> = {
    child,
    lines,
    exited,
    kill(signal) {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
  return new Promise((resolve, reject) => {
    const deadline = setTimeout(() => fail(`no "Listening" line within ${startMs} ms`), startMs);
    const poll = setInterval(() => {
      const listening = lines.find((l) => l.message === 'Listening');
      if (listening === undefined) return;
      clearInterval(poll);
      clearTimeout(deadline);
      resolve({ ...proc, listening });
    }, 20);
    void exited.then((code) => fail(`exited with ${String(code)} before listening: ${stderr}`));
    function fail(why: string) {
      clearInterval(poll);
      clearTimeout(deadline);
      child.kill('SIGKILL');
      reject(new Error(`${entry.pathname}: ${why}`));
    }
  });
}

/** Polls `check` every 50 ms until it returns a value other than undefined, or fails after `ms`. */
export async function eventually<T>(what: string, check: () => Promise<T | undefined>, ms = 10_000): Promise<T> {
  const until = Date.now() + ms;
  for (let i = 0; ; i++) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > until || i > 10_000) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
