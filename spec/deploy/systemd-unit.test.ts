/**
 * The shipped systemd unit (config/systemd/chatserver.service): its ExecStart runs as
 * written (only the install path becomes this checkout, and /etc/chatserver/env a temp
 * file) with the environment systemd would give it, and the exit codes the unit's
 * restart policy relies on come out of the admin calls and SIGTERM. systemd itself is
 * not needed; its documented restart rules are applied to the unit's settings.
 */
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify, parseEnv } from 'node:util';
import { after, describe, it } from 'node:test';
import { loadConfig } from '../../src/config.js';
import { ADMIN_KEY, KEY, roomPortRange } from '../helpers/server.js';
import { parseUnit, type Unit } from './systemd-unit.js';

const UNIT_FILE = new URL('../../../config/systemd/chatserver.service', import.meta.url);
const INSTANCE_DROP_IN = new URL('../../../config/systemd/chatserver@.service.d/instance.conf', import.meta.url);
const CHECKOUT = fileURLToPath(new URL('../../../', import.meta.url)).replace(/\/$/, '');
const INSTALL_PATH = '/opt/chatserver';
const SYSTEM_ENV_FILE = '/etc/chatserver/env';
const SYSTEMD_ANALYZE = '/usr/bin/systemd-analyze';

const unit: Unit = parseUnit(await readFile(UNIT_FILE, 'utf8'));
const service = (key: string) => unit.get('Service', key);
const one = (key: string): string => {
  const values = service(key);
  assert.equal(values.length, 1, `[Service] ${key} must be set exactly once`);
  return values[0]!;
};

/** The unit's Environment= assignments. */
function unitEnvironment(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const assignment of service('Environment').flatMap(splitWords)) {
    const eq = assignment.indexOf('=');
    env[assignment.slice(0, eq)] = assignment.slice(eq + 1);
  }
  return env;
}

/** systemd.service(5): is the unit started again after the main process ended this way? */
function restarts(end: { code: number } | { signal: string }): { restart: boolean; clean: boolean } {
  const listed = (key: string) => service(key).flatMap((v) => v.split(/\s+/));
  const token = 'code' in end ? String(end.code) : end.signal;
  const cleanSignals = ['SIGHUP', 'SIGINT', 'SIGTERM', 'SIGPIPE'];
  const clean =
    ('code' in end && end.code === 0) ||
    ('signal' in end && cleanSignals.includes(end.signal)) ||
    listed('SuccessExitStatus').includes(token);
  if (listed('RestartForceExitStatus').includes(token)) return { restart: true, clean };
  if (listed('RestartPreventExitStatus').includes(token)) return { restart: false, clean };
  const policy = service('Restart').at(-1) ?? 'no';
  const restart =
    policy === 'always' ||
    (policy === 'on-failure' && !clean) ||
    (policy === 'on-abnormal' && 'signal' in end && !clean) ||
    (policy === 'on-abort' && 'signal' in end && !cleanSignals.includes(end.signal));
  return { restart, clean };
}

/** "30s", "1min 30s", "90" (seconds) → milliseconds. */
function timespanMs(value: string): number {
  const units: Record<string, number> = { ms: 1, s: 1000, sec: 1000, m: 60_000, min: 60_000, h: 3_600_000 };
  let total = 0;
  for (const [, n, u] of value.matchAll(/(\d+)\s*([a-z]*)/g)) total += Number(n) * (units[u || 's'] ?? NaN);
  return total;
}

interface Started {
  adminPort: number;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill(signal: NodeJS.Signals): void;
}

describe('the systemd unit', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'chatserver-unit-'));
  after(() => rm(dir, { recursive: true, force: true }));
  let offset = 37;

  /** Starts ExecStart as written, with Environment= and then the env file, as systemd does. */
  async function start(): Promise<Started> {
    const envFile = join(dir, `env-${offset}`);
    const range = roomPortRange(offset++);
    await writeFile(
      envFile,
      [
        `KEY=${KEY}`,
        `ADMIN_KEY=${ADMIN_KEY}`,
        'PORT=0',
        'ADMIN_PORT=0',
        `DATA_DIR=${join(dir, 'data')}`,
        `ROOM_PORT_MIN=${range.min}`,
        `ROOM_PORT_MAX=${range.max}`,
        'MAX_ROOMS=1',
        'ROOM_WARM_WORKERS=0',
        'SHUTDOWN_TIMEOUT_MS=5000',
        '',
      ].join('\n'),
    );
    const local = (value: string) => value.replaceAll(INSTALL_PATH, CHECKOUT).replaceAll(SYSTEM_ENV_FILE, envFile);
    assert.deepEqual(service('EnvironmentFile'), [SYSTEM_ENV_FILE]);
    // systemd's own few variables (PATH), then Environment=, then the file wins.
    const env: Record<string, string> = { PATH: process.env.PATH ?? '/usr/bin:/bin' };
    for (const [name, value] of Object.entries(unitEnvironment())) env[name] = local(value);
    Object.assign(env, parseEnv(await readFile(envFile, 'utf8')));
    const [command, ...args] = splitWords(one('ExecStart')).map(local);
    const child = spawn(command!, args, {
      cwd: local(one('WorkingDirectory')),
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.on('error', () => undefined);
    after(() => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    });
    const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.once('exit', (code, signal) => resolve({ code, signal })),
    );
    let output = '';
    const adminPort = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no "Listening" line within 20 s:\n${output}`)), 20_000);
      child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.stdout.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        for (const line of output.split('\n')) {
          if (!line.startsWith('{')) continue;
          const entry = JSON.parse(line) as { message?: string; adminPort?: number };
          if (entry.message === 'Listening' && entry.adminPort) {
            clearTimeout(timer);
            resolve(entry.adminPort);
          }
        }
      });
      void exit.then(({ code }) => reject(new Error(`exited with ${String(code)} before listening:\n${output}`)));
    });
    // src/main.ts logs "Listening" before it installs its signal handlers; an answered
    // request comes after them, so a signal sent from here on reaches the handler.
    const ready = await fetch(`http://127.0.0.1:${adminPort}/api/v1/`, { headers: { 'X-API-Key': ADMIN_KEY } });
    assert.equal(ready.status, 200);
    return { adminPort, exit, kill: (signal) => child.kill(signal) };
  }

  const admin = (s: Started, method: string, path: string) =>
    fetch(`http://127.0.0.1:${s.adminPort}/api/v1${path}`, { method, headers: { 'X-API-Key': ADMIN_KEY } });

  it('runs node on the built server directly, from the install path', () => {
    const [command, ...args] = splitWords(one('ExecStart'));
    assert.ok(command!.startsWith('/') && command!.endsWith('/node'), 'an absolute path to node, not npm');
    assert.equal(args.at(-1), `${INSTALL_PATH}/dist/src/main.js`);
    assert.equal(one('WorkingDirectory'), INSTALL_PATH);
  });

  it('exits 0 after the admin shutdown, and the unit stays down', async () => {
    const s = await start();
    assert.equal((await admin(s, 'DELETE', '/shutdown')).status, 202);
    assert.deepEqual(await s.exit, { code: 0, signal: null });
    assert.deepEqual(restarts({ code: 0 }), { restart: false, clean: true });
  });

  it('exits 3 after the admin restart, and the unit starts it again without calling it a failure', async () => {
    const s = await start();
    assert.equal((await admin(s, 'POST', '/restart')).status, 202);
    assert.deepEqual(await s.exit, { code: 3, signal: null });
    assert.deepEqual(restarts({ code: 3 }), { restart: true, clean: true });
  });

  it("ends with exit code 0 on the unit's KillSignal, and stays down", async () => {
    const signal = one('KillSignal') as NodeJS.Signals;
    assert.equal(signal, 'SIGTERM');
    const s = await start();
    s.kill(signal);
    assert.deepEqual(await s.exit, { code: 0, signal: null });
    assert.deepEqual(restarts({ code: 0 }), { restart: false, clean: true });
  });

  it('restarts after a crash: exit code 1 or a fatal signal', () => {
    assert.deepEqual(restarts({ code: 1 }), { restart: true, clean: false });
    for (const signal of ['SIGKILL', 'SIGSEGV', 'SIGABRT'])
      assert.deepEqual(restarts({ signal }), { restart: true, clean: false }, signal);
  });

  it('waits for the graceful stop longer than it can take', () => {
    const shutdownMs = loadConfig({ ...unitEnvironment(), KEY, ADMIN_KEY }).shutdownTimeoutMs;
    // The app's own last resort fires 1 s after SHUTDOWN_TIMEOUT_MS.
    assert.ok(timespanMs(one('TimeoutStopSec')) > shutdownMs + 1000);
  });

  it('runs unprivileged, with no capability while the app listens above port 1023', () => {
    assert.notEqual(one('User'), 'root');
    assert.ok(Number(unitEnvironment().PORT) >= 1024);
    assert.deepEqual(service('AmbientCapabilities'), ['']);
    assert.deepEqual(service('CapabilityBoundingSet'), ['']);
    assert.equal(one('NoNewPrivileges'), 'yes');
  });

  it('sizes the connection budget from LimitNOFILE as its comment and docs/deploy.md say', async () => {
    const limit = Number(one('LimitNOFILE'));
    assert.ok(Number.isInteger(limit) && limit > 0, 'LimitNOFILE is one number (soft = hard)');
    const budget = loadConfig({ ...unitEnvironment(), KEY, ADMIN_KEY }, { fdLimit: limit }).connectionBudget;
    assert.equal(budget.source, 'fd limit');
    assert.equal(budget.maxConnections + budget.reserve, limit);
    const text = await readFile(UNIT_FILE, 'utf8');
    const stated = /MAX_CONNECTIONS = LimitNOFILE - FD_RESERVE\s*= (\d+) - (\d+)\s*= (\d+)/.exec(text);
    assert.ok(stated, "the unit's comment works the budget out");
    assert.deepEqual(stated.slice(1).map(Number), [limit, budget.reserve, budget.maxConnections]);
    const deploy = await readFile(new URL('../../../docs/deploy.md', import.meta.url), 'utf8');
    assert.ok(deploy.includes(`LimitNOFILE=${limit}`), 'docs/deploy.md names the limit');
    assert.ok(deploy.includes(budget.maxConnections.toLocaleString('en-US')), 'docs/deploy.md names the budget');
    // The defaults fit: every room at its default cap, on a machine of up to 13 cores.
    const perRoom = loadConfig({ ...unitEnvironment(), KEY, ADMIN_KEY }, { fdLimit: limit }).limits.maxConnections;
    assert.ok(budget.maxConnections >= 12 * perRoom);
  });

  it('as the template chatserver@.service with its drop-in, gives each instance its own listeners', async () => {
    const dropIn = parseUnit(await readFile(INSTANCE_DROP_IN, 'utf8'));
    // systemd applies the drop-in's EnvironmentFile= after the unit's, with %i the instance.
    const files = (instance: string) =>
      [...service('EnvironmentFile'), ...dropIn.get('Service', 'EnvironmentFile')].map((f) =>
        f.replaceAll('%i', instance),
      );
    assert.deepEqual(files('2'), [SYSTEM_ENV_FILE, '/etc/chatserver/2.env']);
    assert.ok(dropIn.get('Service', 'SyslogIdentifier')[0]?.includes('%i'), 'each instance logs under its own name');
    const shared = { REDIS_URL: 'redis://127.0.0.1:6379', KEY, ADMIN_KEY };
    const instance = (n: number) => ({
      PORT: String(8080 + n),
      ADMIN_PORT: String(8090 + n),
      ROOM_PORT_MIN: String(34000 + n * 1000),
      ROOM_PORT_MAX: String(34050 + n * 1000),
    });
    // Later files win: the unit's Environment=, then the shared file, then the instance's.
    const [one, two] = [1, 2].map((n) => loadConfig({ ...unitEnvironment(), ...shared, ...instance(n) }));
    assert.notEqual(one!.port, two!.port);
    assert.notEqual(one!.adminPort, two!.adminPort);
    assert.equal(one!.dataDir, two!.dataDir, 'the instances share the StateDirectory');
    assert.equal(one!.redisUrl, two!.redisUrl);
    const cluster = await readFile(new URL('../../../docs/cluster.md', import.meta.url), 'utf8');
    assert.ok(cluster.includes('chatserver@.service.d/instance.conf'), 'docs/cluster.md shows how to install it');
  });

  it(
    'is accepted by systemd-analyze verify',
    { skip: !existsSync(SYSTEMD_ANALYZE) && 'systemd-analyze not installed (apt-get install systemd)' },
    async () => {
      await promisify(execFile)(SYSTEMD_ANALYZE, ['verify', fileURLToPath(UNIT_FILE)]);
    },
  );
});

/** A systemd command line or Environment= value split into words (double quotes group). */
function splitWords(line: string): string[] {
  return [...line.matchAll(/"((?:[^"\\]|\\.)*)"|(\S+)/g)].map((m) => m[1] ?? m[2]!);
}
