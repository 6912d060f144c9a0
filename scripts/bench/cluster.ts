/**
 * `npm run bench -- --only=cluster`: one room across two servers on one Redis,
 * subscribers split between them, against the same room on one server, in one
 * run. Reports, for both, p99 at 50,000 deliveries/s, server CPU per delivery and
 * the sustained deliveries/s (every message delivered, p99 ≤ 50 ms), and Redis's
 * CPU per published message at 500 and at 2,000 subscribers (it should not grow
 * with viewers; Redis's idle work over the same time is taken away). Needs `redis-server` and `redis-cli` (Debian's redis-server).
 * Everything runs on loopback and is bounded.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Loadgen } from './loadgen-client.js';
import type { StepResult } from './loadgen-protocol.js';
import { cpuSeconds } from './proc.js';
import { type Chatserver, startChatserver } from './servers.js';
import type { Timing } from './scenarios.js';

const SUBSCRIBERS = 1000;
const SAMPLERS = 20;
const PUBLISHERS = 4;
const TEXT_BYTES = 100;
/** Messages/s; × 1,000 subscribers: 25,000 … 800,000 offered deliveries/s. 50 is the compared step. */
const RATES = [25, 50, 100, 200, 400, 800];
const COMPARED_RATE = 50;
const P99_LIMIT_MS = 50;
/** Redis per published message: the same publish rate at both sizes. */
const REDIS_SIZES = [500, 2000];
const REDIS_RATE = 100;

export interface ClusterStep extends StepResult {
  offered: number;
  cpuUsPerDelivery: number | null;
  redisUsPerMessage: number | null;
  ok: boolean;
}

export interface ClusterSetup {
  setup: 'one server' | 'two servers on Redis';
  steps: ClusterStep[];
  sustained: number;
}

export interface ClusterResult {
  single: ClusterSetup;
  cluster: ClusterSetup;
  /** The compared step (50,000 deliveries/s): p99s and the CPU ratio. */
  compared: { singleP99: number | null; clusterP99: number | null; cpuRatio: number | null };
  /** Redis CPU per published message at 500 and 2,000 subscribers, and their ratio. */
  redis: { subscribers: number; usPerMessage: number | null }[];
  redisRatio: number | null;
}

interface RedisProcess {
  url: string;
  port: number;
  pid: number;
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function startRedis(): Promise<RedisProcess> {
  const port = await freePort();
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    {
      stdio: 'ignore',
    },
  );
  for (let i = 0; i < 100; i++) {
    await sleep(50);
    try {
      if (redisCli(port, ['PING']).trim() === 'PONG') break;
    } catch {
      // not up yet
    }
  }
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    pid: child.pid!,
    stop: () =>
      new Promise((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

function redisCli(port: number, args: string[]): string {
  return execFileSync('redis-cli', ['-p', String(port), ...args], { timeout: 5_000 }).toString();
}

/** Redis's own CPU seconds (user + system, microsecond resolution, unlike /proc's ticks). */
function redisCpu(port: number): number {
  const info = redisCli(port, ['INFO', 'cpu']);
  const field = (name: string) => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(info)?.[1] ?? 0);
  return field('used_cpu_user') + field('used_cpu_sys');
}

/** One setup under measurement: its load generator group and the processes whose CPU counts. */
interface Measured {
  label: string;
  loadgen: Loadgen;
  group: string;
  pids: number[];
  redis: RedisProcess | null;
  steps: ClusterStep[];
  /** Delivery fell behind: no higher rate is offered to this setup. */
  done: boolean;
}

/** One step at `rate` on one setup; CPU summed over its processes. */
async function step(m: Measured, rate: number, timing: Timing): Promise<void> {
  const cpu0 = m.pids.reduce((sum, pid) => sum + cpuSeconds(pid), 0);
  const redis0 = m.redis ? redisCpu(m.redis.port) : 0;
  const r = await m.loadgen.step({
    group: m.group,
    rate,
    durationMs: timing.stepMs,
    graceMs: timing.graceMs,
    textBytes: TEXT_BYTES,
  });
  const cpu = m.pids.reduce((sum, pid) => sum + cpuSeconds(pid), 0) - cpu0;
  const redisUs = m.redis ? (redisCpu(m.redis.port) - redis0) * 1e6 : null;
  const behind = r.delivered < r.expected || r.closed > 0;
  const ok = !behind && r.p99 !== null && r.p99 <= P99_LIMIT_MS;
  const result: ClusterStep = {
    ...r,
    offered: rate * r.subscribers,
    cpuUsPerDelivery: r.delivered > 0 ? (cpu * 1e6) / r.delivered : null,
    redisUsPerMessage: redisUs !== null && r.sent > 0 ? redisUs / r.sent : null,
    ok,
  };
  m.steps.push(result);
  const verdict = ok
    ? 'ok'
    : behind
      ? `BEHIND (${r.delivered}/${r.expected}, closed ${r.closed})`
      : `p99 over ${P99_LIMIT_MS} ms`;
  console.log(
    `  ${m.label.padEnd(8)} offered ${result.offered.toLocaleString('en-US')}/s  p50 ${ms(r.p50)} p99 ${ms(r.p99)}` +
      `  cpu ${result.cpuUsPerDelivery?.toFixed(2) ?? '–'} µs/delivery` +
      (result.redisUsPerMessage === null ? '' : `  redis ${result.redisUsPerMessage.toFixed(1)} µs/message`) +
      `  ${verdict}`,
  );
  if (behind) m.done = true;
  else await m.loadgen.drain(m.group, 300, 8_000);
}

const ms = (v: number | null) => (v === null ? '–' : `${v.toFixed(1)} ms`);
const sustainedOf = (s: ClusterStep[]) => Math.max(0, ...s.filter((x) => x.ok).map((x) => x.offered));

/** The measured room's connections, spread over its copies' ports, once welcome and presence traffic has settled. */
async function measuredRoom(loadgen: Loadgen, group: string, ports: number[]): Promise<void> {
  const room = { subscribers: SUBSCRIBERS, samplers: SAMPLERS, publishers: PUBLISHERS };
  await loadgen.connect({ group, dialect: 'chatserver', port: ports[0]!, ports, ...room });
  await sleep(1_500);
  await loadgen.drain(group);
}

/** Redis's work per message at each size: the same publish rate, more subscribers each time. */
async function redisPerMessage(
  loadgen: Loadgen,
  ports: number[],
  redis: RedisProcess,
  timing: Timing,
): Promise<ClusterResult['redis']> {
  const perSize: ClusterResult['redis'] = [];
  let connected = 0;
  for (const size of REDIS_SIZES) {
    await loadgen.connect({
      group: 'redis',
      dialect: 'chatserver',
      port: ports[0]!,
      ports,
      subscribers: size - connected,
      samplers: 0,
      publishers: connected === 0 ? PUBLISHERS : 0,
    });
    connected = size;
    await sleep(1_500);
    await loadgen.drain('redis');
    // Redis's own background work (its timers, the copies' heartbeats and blocked reads) over
    // the same time, taken away so what remains is the work the messages cost.
    const idle0 = redisCpu(redis.port);
    await sleep(timing.stepMs * 2 + timing.graceMs);
    const idle = redisCpu(redis.port) - idle0;
    const before = redisCpu(redis.port);
    const r = await loadgen.step({
      group: 'redis',
      rate: REDIS_RATE,
      durationMs: timing.stepMs * 2,
      graceMs: timing.graceMs,
      textBytes: TEXT_BYTES,
    });
    const usPerMessage = r.sent > 0 ? ((redisCpu(redis.port) - before - idle) * 1e6) / r.sent : null;
    perSize.push({ subscribers: size, usPerMessage });
    console.log(
      `  redis    ${size} subscribers, ${REDIS_RATE} messages/s: ${usPerMessage?.toFixed(1) ?? '–'} µs of Redis CPU per message (${r.delivered}/${r.expected} delivered)`,
    );
  }
  return perSize;
}

/**
 * Both setups are up at once and take turns, step by step (one server, then the
 * cluster, at each rate), so a machine whose other load changes over the run
 * weighs on both alike; only the setup being measured has traffic.
 */
async function compare(
  timing: Timing,
): Promise<{ one: ClusterSetup; two: ClusterSetup; redis: ClusterResult['redis'] }> {
  const redis = await startRedis();
  const dataDir = mkdtempSync(join(tmpdir(), 'chatserver-bench-cluster-'));
  const servers: Chatserver[] = [];
  const loadgens = [new Loadgen(), new Loadgen()] as const;
  try {
    const single = await startChatserver({ ROOM_PORT_MIN: '32300', ROOM_PORT_MAX: '32399' });
    servers.push(single);
    const env = { REDIS_URL: redis.url, DATA_DIR: dataDir };
    const copies = [
      await startChatserver(env),
      await startChatserver({ ...env, ROOM_PORT_MIN: '32200', ROOM_PORT_MAX: '32299' }),
    ];
    servers.push(...copies);
    const singlePort = (await single.createRoom('bench')).port;
    const ports: number[] = [];
    for (const server of copies) ports.push((await server.createRoom('bench')).port);
    await measuredRoom(loadgens[0], 'single', [singlePort]);
    await measuredRoom(loadgens[1], 'cluster', ports);
    const setups: Measured[] = [
      {
        label: 'single',
        loadgen: loadgens[0],
        group: 'single',
        pids: [single.pid],
        redis: null,
        steps: [],
        done: false,
      },
      {
        label: 'cluster',
        loadgen: loadgens[1],
        group: 'cluster',
        pids: copies.map((c) => c.pid),
        redis,
        steps: [],
        done: false,
      },
    ];
    for (const rate of RATES) for (const m of setups) if (!m.done) await step(m, rate, timing);
    await loadgens[0].close('single');
    await loadgens[1].close('cluster');
    const perSize = await redisPerMessage(loadgens[1], ports, redis, timing);
    const [a, b] = setups as [Measured, Measured];
    return {
      one: { setup: 'one server', steps: a.steps, sustained: sustainedOf(a.steps) },
      two: { setup: 'two servers on Redis', steps: b.steps, sustained: sustainedOf(b.steps) },
      redis: perSize,
    };
  } finally {
    for (const l of loadgens) l.stop();
    for (const server of servers) await server.stop();
    await redis.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

export async function clusterBench(timing: Timing): Promise<ClusterResult> {
  console.log('cluster: one server against two servers on one Redis (subscribers split), step by step');
  const { one, two, redis } = await compare(timing);
  const at = (s: ClusterSetup) => s.steps.find((x) => x.rate === COMPARED_RATE);
  const [a, b] = [at(one), at(two)];
  const cpuRatio = a?.cpuUsPerDelivery && b?.cpuUsPerDelivery ? b.cpuUsPerDelivery / a.cpuUsPerDelivery : null;
  const [small, big] = redis;
  const redisRatio = small?.usPerMessage && big?.usPerMessage ? big.usPerMessage / small.usPerMessage : null;
  const result: ClusterResult = {
    single: one,
    cluster: two,
    compared: { singleP99: a?.p99 ?? null, clusterP99: b?.p99 ?? null, cpuRatio },
    redis,
    redisRatio,
  };
  console.log('');
  console.log(
    `cluster at ${(COMPARED_RATE * SUBSCRIBERS).toLocaleString('en-US')} deliveries/s: p99 ${ms(result.compared.clusterP99)} vs one server ${ms(result.compared.singleP99)};` +
      ` server CPU per delivery ${cpuRatio?.toFixed(2) ?? '–'}× one server's`,
  );
  console.log(
    `sustained: two servers ${two.sustained.toLocaleString('en-US')}/s, one server ${one.sustained.toLocaleString('en-US')}/s;` +
      ` Redis CPU per message at ${REDIS_SIZES[1]} vs ${REDIS_SIZES[0]} subscribers: ${redisRatio?.toFixed(2) ?? '–'}×`,
  );
  return result;
}
