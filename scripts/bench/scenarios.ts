/**
 * The bench's scenarios, each bounded in time and count: fan-out (one room, 1,000
 * subscribers, rising publish rates until delivery falls behind), isolation (a
 * measured room beside a flooded one), rooms (create-to-ready, memory per idle
 * room) and idle-connection memory. Each starts and stops its own server processes.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Loadgen } from './loadgen-client.js';
import type { StepResult } from './loadgen-protocol.js';
import { cpuSeconds, rssBytes } from './proc.js';
import { type ServerProcess, startBaseline, startChatserver } from './servers.js';
import { slope } from './slope.js';

export type ServerKind = 'chatserver' | 'ws' | 'socketio';

export interface Timing {
  stepMs: number;
  graceMs: number;
  isolationMs: number;
}

/** One published message's text: 100 characters, so the bare ws broadcast payload is 128 bytes. */
const TEXT_BYTES = 100;
/** Offered publish rates (messages/s); times 1,000 subscribers gives offered deliveries/s. */
const RATES = [25, 50, 100, 200, 400, 800, 1600, 3200, 6400];
const FANOUT_SUBSCRIBERS = 1000;
const SAMPLERS = 20;
const PUBLISHERS = 4;
/** Whether a step delivered everything in time. */
const P99_LIMIT_MS = 50;

export interface FanoutStep extends StepResult {
  offered: number;
  /** Deliveries per second counted during the sending window. */
  achieved: number;
  cpuUsPerDelivery: number | null;
  /** CPU cores busy during the step (send window and grace), server and load generator. */
  serverCores: number;
  loadgenCores: number;
  ok: boolean;
}

export interface FanoutResult {
  server: ServerKind;
  steps: FanoutStep[];
  /** Highest achieved deliveries/s in any step. */
  saturation: number;
  /** Highest offered deliveries/s with every message delivered and p99 ≤ 50 ms. */
  sustained: number;
}

async function startServer(kind: ServerKind, rooms: number, nodeArgs: string[] = []) {
  if (kind !== 'chatserver') {
    const server = await startBaseline(kind, rooms, nodeArgs);
    return { server, ports: server.ports };
  }
  const server = await startChatserver({}, nodeArgs);
  const ports: number[] = [];
  for (let i = 0; i < rooms; i++) ports.push((await server.createRoom(`bench${i}`)).port);
  return { server, ports };
}

export async function fanout(kind: ServerKind, timing: Timing, nodeArgs: string[] = []): Promise<FanoutResult> {
  const { server, ports } = await startServer(kind, 1, nodeArgs);
  const loadgen = new Loadgen();
  const steps: FanoutStep[] = [];
  try {
    await loadgen.connect({
      group: 'fan',
      dialect: kind,
      port: ports[0]!,
      subscribers: FANOUT_SUBSCRIBERS,
      samplers: SAMPLERS,
      publishers: PUBLISHERS,
    });
    await sleep(1_500); // presence and welcome traffic settle
    await loadgen.drain('fan');
    for (const rate of RATES) {
      const cpu0 = cpuSeconds(server.pid);
      const loadgenCpu0 = cpuSeconds(loadgen.pid);
      const r = await loadgen.step({
        group: 'fan',
        rate,
        durationMs: timing.stepMs,
        graceMs: timing.graceMs,
        textBytes: TEXT_BYTES,
      });
      const cpu = cpuSeconds(server.pid) - cpu0;
      const loadgenCpu = cpuSeconds(loadgen.pid) - loadgenCpu0;
      const ok = r.delivered >= r.expected && r.closed === 0 && r.p99 !== null && r.p99 <= P99_LIMIT_MS;
      const step: FanoutStep = {
        ...r,
        offered: rate * r.subscribers,
        achieved: Math.round(r.deliveredInWindow / (r.sendMs / 1000)),
        cpuUsPerDelivery: r.delivered > 0 ? (cpu * 1e6) / r.delivered : null,
        serverCores: cpu / (r.elapsedMs / 1000),
        loadgenCores: loadgenCpu / (r.elapsedMs / 1000),
        ok,
      };
      steps.push(step);
      console.log(
        `  ${kind.padEnd(10)} offered ${fmt(step.offered)}/s → ${fmt(step.achieved)}/s` +
          `  p50 ${ms(r.p50)} p99 ${ms(r.p99)} p999 ${ms(r.p999)}  cpu ${step.cpuUsPerDelivery?.toFixed(2)} µs/delivery` +
          `  cores srv ${step.serverCores.toFixed(2)} gen ${step.loadgenCores.toFixed(2)}` +
          `  ${ok ? 'ok' : `BEHIND (${r.delivered}/${r.expected}, closed ${r.closed})`}`,
      );
      // Rising until delivery falls behind (not everything arrived, or readers were cut
      // off); 50,000 and 100,000 offered deliveries/s are always measured.
      const behind = r.delivered < r.expected || r.closed > 0;
      if ((behind && step.offered >= 100_000) || r.closed > 0) break;
      await loadgen.drain('fan', 300, 8_000);
    }
  } finally {
    loadgen.stop();
    await server.stop();
  }
  let sustained = 0;
  for (const s of steps) if (s.ok) sustained = Math.max(sustained, s.offered);
  return { server: kind, steps, saturation: Math.max(0, ...steps.map((s) => s.achieved)), sustained };
}

export interface IsolationResult {
  setup: 'chatserver: a worker thread per room' | 'ws: both rooms on one event loop';
  idle: StepResult;
  flooded: StepResult;
  /** Deliveries/s room A received while flooded. */
  floodAchieved: number;
  ratio: number | null;
}

export const ISOLATION_B = { subscribers: 100, rate: 50 };
/** Room A's flood: about as much as one load generator process can take in. */
export const FLOOD = { subscribers: 500, publishers: 4, rate: 4000 };

export async function isolation(kind: 'chatserver' | 'ws', timing: Timing): Promise<IsolationResult> {
  const { server, ports } = await startServer(kind, 2);
  const measure = new Loadgen();
  const flood = new Loadgen();
  try {
    const [portA, portB] = ports as [number, number];
    await measure.connect({
      group: 'B',
      dialect: kind,
      port: portB,
      subscribers: ISOLATION_B.subscribers,
      samplers: ISOLATION_B.subscribers,
      publishers: 1,
    });
    await flood.connect({
      group: 'A',
      dialect: kind,
      port: portA,
      subscribers: FLOOD.subscribers,
      samplers: 0,
      publishers: FLOOD.publishers,
    });
    await sleep(1_500);
    const stepB = {
      group: 'B',
      rate: ISOLATION_B.rate,
      durationMs: timing.isolationMs,
      graceMs: 1_000,
      textBytes: 100,
    };
    const idle = await measure.step(stepB);
    const floodRun = flood.step({
      group: 'A',
      rate: FLOOD.rate,
      durationMs: timing.isolationMs + 1_000,
      graceMs: 0,
      textBytes: TEXT_BYTES,
    });
    await sleep(500); // room A is saturated before B is measured
    const flooded = await measure.step(stepB);
    const a = await floodRun;
    const ratio = idle.p99 && flooded.p99 ? flooded.p99 / idle.p99 : null;
    const result: IsolationResult = {
      setup: kind === 'chatserver' ? 'chatserver: a worker thread per room' : 'ws: both rooms on one event loop',
      idle,
      flooded,
      floodAchieved: Math.round(a.deliveredInWindow / (a.sendMs / 1000)),
      ratio,
    };
    console.log(
      `  ${result.setup}: room B p99 idle ${ms(idle.p99)}, with room A flooded (${fmt(result.floodAchieved)}/s) ` +
        `${ms(flooded.p99)}  ×${ratio?.toFixed(2)}`,
    );
    return result;
  } finally {
    measure.stop();
    flood.stop();
    await server.stop();
  }
}

export interface RoomsResult {
  warmWorkers: number;
  createMs: number[];
  median: number;
  max: number;
  /** RSS growth per room over 20 idle rooms (measured in the cold run: no pre-started workers). */
  bytesPerIdleRoom: number | null;
}

const ROOMS = 20;

export async function rooms(warmWorkers: number): Promise<RoomsResult> {
  const server = await startChatserver({ MAX_ROOMS: String(ROOMS + 1), ROOM_WARM_WORKERS: String(warmWorkers) });
  try {
    await sleep(1_500); // the warm pool boots
    const before = rssBytes(server.pid);
    const createMs: number[] = [];
    for (let i = 0; i < ROOMS; i++) {
      createMs.push((await server.createRoom(`room${i}`)).ms);
      // Rooms are created one at a time, as streams start; the pool refills in between.
      await sleep(150);
    }
    await sleep(1_500);
    const after = rssBytes(server.pid);
    const sorted = [...createMs].sort((a, b) => a - b);
    const result: RoomsResult = {
      warmWorkers,
      createMs,
      median: (sorted[ROOMS / 2 - 1]! + sorted[ROOMS / 2]!) / 2,
      max: sorted[ROOMS - 1]!,
      bytesPerIdleRoom: warmWorkers === 0 ? (after - before) / ROOMS : null,
    };
    console.log(
      `  ROOM_WARM_WORKERS=${warmWorkers}: create-to-ready median ${result.median.toFixed(1)} ms, max ${result.max.toFixed(1)} ms` +
        (result.bytesPerIdleRoom === null ? '' : `; ${(result.bytesPerIdleRoom / 1e6).toFixed(1)} MB per idle room`),
    );
    return result;
  } finally {
    await server.stop();
  }
}

export interface ConnectionMemoryResult {
  server: ServerKind;
  /** Idle connections open at each measurement, and the server's RSS then. */
  connections: number[];
  rss: number[];
  /**
   * RSS growth per connection at the margin: the least-squares slope of RSS against
   * connections from the first thousand on (the first thousand also pays for warm-up).
   * RSS moves with garbage collection, so one delta alone is too noisy.
   */
  bytesPerConnection: number;
}

export async function connectionMemory(kind: ServerKind, thousands: number): Promise<ConnectionMemoryResult> {
  const { server, ports } = await startServer(kind, 1);
  const loadgen = new Loadgen();
  try {
    const connections: number[] = [];
    const rss: number[] = [];
    for (let i = 1; i <= thousands; i++) {
      await loadgen.connect({
        group: 'idle',
        dialect: kind,
        port: ports[0]!,
        subscribers: 1000,
        samplers: 0,
        publishers: 0,
      });
      await sleep(1_500);
      connections.push(i * 1000);
      rss.push(rssBytes((server as ServerProcess).pid));
    }
    const result = { server: kind, connections, rss, bytesPerConnection: slope(connections, rss) };
    console.log(`  ${kind}: ${(result.bytesPerConnection / 1024).toFixed(1)} KB per idle connection at the margin`);
    return result;
  } finally {
    loadgen.stop();
    await server.stop();
  }
}

export const fmt = (n: number) =>
  n >= 1e6 ? `${(n / 1e6).toFixed(2)}M` : n >= 1e3 ? `${(n / 1e3).toFixed(0)}k` : String(Math.round(n));
const ms = (n: number | null) => (n === null ? '–' : `${n.toFixed(1)}ms`);
