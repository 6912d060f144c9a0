/**
 * Runs the real `node dist/src/main.js` as a child process (production mode, so
 * its log lines are JSON) and reads its ports from the "Listening" line.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { after } from 'node:test';
import { createInterface } from 'node:readline';
import { freshDataDir } from './data-dir.js';

export const MAIN = fileURLToPath(new URL('../../src/main.js', import.meta.url));
export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

export interface ServerProcess {
  child: ChildProcess;
  publicPort: number;
  adminPort: number;
  /** Every log line so far: parsed JSON in production, `{ message: line }` otherwise. */
  lines: Array<Record<string, unknown>>;
  stderr(): string;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to its end (bounded by timeoutMs) and collects its output. */
export function run(
  command: string,
  args: string[],
  env: Record<string, string>,
  timeoutMs = 20_000,
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      env: { PATH: process.env.PATH ?? '', DATA_DIR: freshDataDir(), ...env },
      cwd: ROOT,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${command} did not finish within ${timeoutMs} ms: ${stdout}${stderr}`));
    }, timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Starts the server process and resolves once it listens; it is killed after the test if still running. */
export function startServerProcess(
  env: Record<string, string>,
  command: { cmd: string; args: string[] } = { cmd: process.execPath, args: [MAIN] },
): Promise<ServerProcess> {
  const child = spawn(command.cmd, command.args, {
    env: {
      PATH: process.env.PATH ?? '',
      NODE_ENV: 'production',
      PORT: '0',
      ADMIN_PORT: '0',
      DATA_DIR: freshDataDir(),
      ...env,
    },
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  const lines: Array<Record<string, unknown>> = [];
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start: ${stderr}`)), 30_000);
    void exit.then(({ code }) => reject(new Error(`server exited with ${code} before listening: ${stderr}`)));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      let entry: Record<string, unknown>;
      try {
        entry = JSON.parse(line) as Record<string, unknown>;
      } catch {
        entry = { message: line }; // development format, or npm's banner
      }
      lines.push(entry);
      const publicPort = /"publicPort":(\d+)/.exec(line);
      const adminPort = /"adminPort":(\d+)/.exec(line);
      if (publicPort && adminPort) {
        clearTimeout(timer);
        resolve({
          child,
          publicPort: Number(publicPort[1]),
          adminPort: Number(adminPort[1]),
          lines,
          stderr: () => stderr,
          exit,
        });
      }
    });
  });
}
