/**
 * Real processes for tests: the chat server (dist/src/main.js) and the load
 * balancer (dist/src/loadbalancer/main.js), started with NODE_ENV=production so
 * their logs are JSON lines; a test reads the ports from the "Listening" line.
 * A chat server process is a RunningServer like an in-process one (server.ts):
 * the same client, and `stop()` (SIGTERM) to stop it. Every process started here
 * is killed after the test file, whatever happened.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { after } from 'node:test';
import { fileURLToPath } from 'node:url';
import { freshDataDir } from './data-dir.js';
import { baseEnv, type RunningServer, serverClient } from './server.js';
import { eventually } from './wait.js';

export const CHAT_MAIN = new URL('../../src/main.js', import.meta.url);
export const LB_MAIN = new URL('../../src/loadbalancer/main.js', import.meta.url);
/** The checkout's root, where `npm start` runs. */
export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

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

/**
 * Starts `entry` with node (or `command` instead, e.g. `npm start`) and resolves at
 * its "Listening" line: a JSON line in production, or the readable development line,
 * whose trailing JSON fields are read the same way.
 */
export function spawnNode(
  entry: URL,
  env: Record<string, string>,
  startMs = 20_000,
  command: string[] = [process.execPath, '--enable-source-maps', entry.pathname],
): Promise<NodeProcess> {
  const child = spawn(command[0]!, command.slice(1), {
    cwd: ROOT,
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
      lines.push(parseLine(part));
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
  let early: string | undefined;
  void exited.then((code) => (early = `exited with ${String(code)} before listening: ${stderr}`));
  return eventually(
    'the "Listening" line',
    () => {
      if (early !== undefined) throw new Error(`${entry.pathname}: ${early}`);
      const listening = lines.find((l) => l.message === 'Listening' || l.readableListening === true);
      return listening === undefined ? undefined : { ...proc, listening };
    },
    { timeoutMs: startMs, everyMs: 20 },
  ).catch((error: unknown) => {
    child.kill('SIGKILL');
    throw error;
  });
}

export interface ChatServerProcess extends NodeProcess, RunningServer {
  publicPort: number;
  adminPort: number;
  /** SIGTERM, then the exit code. */
  stop(): Promise<number | null>;
}

/**
 * The chat server as a process on free ports, its rooms on roomPortRange(offset),
 * started with node (or `command`, e.g. npm start); `env` adds to or overrides that.
 */
export async function spawnChatServer(
  env: Record<string, string>,
  options: { offset?: number; command?: string[] } = {},
): Promise<ChatServerProcess> {
  const proc = await spawnNode(CHAT_MAIN, { ...baseEnv(options.offset ?? 0), ...env }, 20_000, options.command);
  const publicPort = proc.listening.publicPort as number;
  const adminPort = proc.listening.adminPort as number;
  const keys = { ...(env.KEY ? { key: env.KEY } : {}), ...(env.ADMIN_KEY ? { adminKey: env.ADMIN_KEY } : {}) };
  return {
    ...proc,
    ...serverClient(publicPort, adminPort, keys),
    publicPort,
    adminPort,
    stop: () => proc.kill('SIGTERM'),
  };
}

/** A JSON log line as is; a readable development line as `{ message }`, plus the fields of a Listening line. */
function parseLine(line: string): LogLine {
  try {
    return JSON.parse(line) as LogLine;
  } catch {
    const listening = / Listening (\{.*\})$/.exec(line);
    if (listening) return { message: line, readableListening: true, ...(JSON.parse(listening[1]!) as LogLine) };
    return { message: line };
  }
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to its end (bounded by timeoutMs) with only the given environment. */
export function runToEnd(command: string[], env: Record<string, string>, timeoutMs = 20_000): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command[0]!, command.slice(1), {
      env: { PATH: process.env.PATH ?? '', ENV_FILE: '/nonexistent/.env', DATA_DIR: freshDataDir(), ...env },
      cwd: ROOT,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${command.join(' ')} did not finish within ${timeoutMs} ms: ${stdout}${stderr}`));
    }, timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
