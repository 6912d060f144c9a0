/**
 * The scenarios of big streams, each bounded in time and count and left out of
 * --quick: a big room (5,000, 10,000 and 19,000 joined connections in one room,
 * 10 messages/s, every delivery counted) and a reconnect storm (10,000 joined
 * clients dropped at once, rejoining with `since` as the SDK does).
 *
 * A process may hold 20,000 open files here, so the connections are spread over
 * several load generator processes, the big room's each from its own 127.0.0.x
 * source address (the storm's bind none: storm-clients.ts says why); the server
 * is allowed 19,600 connections (FD_RESERVE 400 under its own limit).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Loadgen } from './loadgen-client.js';
import type { StormResult, Tally } from './loadgen-protocol.js';
import { cpuSeconds, rssBytes } from './proc.js';
import { startChatserver } from './servers.js';
import { slope } from './slope.js';

export const BIG_ROOM_SIZES = [5_000, 10_000, 19_000];
/** Connections per load generator process: well under its 20,000 open files. */
const PER_LOADGEN = 5_000;
const BIG_ROOM_RATE = 10;
const BIG_ROOM_STEP_MS = 10_000;
const BIG_ROOM_GRACE_MS = 15_000;
const SAMPLERS_PER_CONNECT = 10;
const TEXT_BYTES = 100;

/**
 * The server's settings for both scenarios. Pings every 5 s (production: 25 s) so
 * that heartbeats fall inside every measured step.
 */
const BIG_ENV: Record<string, string> = {
  ROOM_MAX_CONNECTIONS: '20000',
  FD_RESERVE: '400',
  MAX_ROOMS: '1',
  WS_PING_INTERVAL_MS: '5000',
};
/** The big room measures fan-out, not admission: its joins are not rate-limited. */
export const BIG_ROOM_ENV: Record<string, string> = { ...BIG_ENV, JOIN_RATE_PER_S: '0' };
/**
 * The storm runs with the room's join admission, presence and young generation at
 * their defaults, or at what JOIN_RATE_PER_S / JOIN_BURST / PRESENCE_INTERVAL_MS /
 * ROOM_YOUNG_GEN_MB say when the bench itself is run with them set (to compare:
 * `JOIN_RATE_PER_S=2000 npm run bench -- --only=storm`).
 */
export const STORM_ENV: Record<string, string> = {
  ...BIG_ENV,
  ...Object.fromEntries(
    (['JOIN_RATE_PER_S', 'JOIN_BURST', 'PRESENCE_INTERVAL_MS', 'ROOM_YOUNG_GEN_MB'] as const).flatMap((k) =>
      process.env[k] === undefined ? [] : [[k, process.env[k]!]],
    ),
  ),
};

const source = (i: number) => `127.0.0.${i + 2}`;

export interface BigRoomSize {
  connections: number;
  /** Server RSS with the connections joined and idle. */
  rssBytes: number;
  sent: number;
  expected: number;
  delivered: number;
  closed: number;
  samples: number;
  p50: number | null;
  p99: number | null;
  p999: number | null;
  max: number | null;
  /** Server CPU cores busy during the step. */
  serverCores: number;
  /** CPU cores busy during the step in the load generator processes (listeners and publisher together). */
  loadgenCores: number;
}

export interface BigRoomResult {
  rate: number;
  /** Server RSS with the room open and no connections. */
  baseRssBytes: number;
  sizes: BigRoomSize[];
  /** RSS growth per idle joined connection at the margin: least-squares slope over the sizes. */
  bytesPerConnection: number;
}

function percentile(sorted: number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const v = sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
  return v === Infinity ? null : v;
}

async function tallyAll(loadgens: Loadgen[], group: string, latencies = false): Promise<Tally[]> {
  return Promise.all(loadgens.map((l) => l.tally(group, { latencies })));
}

export async function bigRoom(sizes: number[] = BIG_ROOM_SIZES, nodeArgs: string[] = []): Promise<BigRoomResult> {
  const server = await startChatserver(BIG_ROOM_ENV, nodeArgs);
  const listeners = Array.from({ length: Math.ceil(Math.max(...sizes) / PER_LOADGEN) }, () => new Loadgen());
  const publisher = new Loadgen();
  try {
    const { port } = await server.createRoom('bigroom');
    await publisher.connect({
      group: 'pub',
      dialect: 'chatserver',
      port,
      subscribers: 0,
      samplers: 0,
      publishers: 1,
      sourceAddress: source(listeners.length),
    });
    await sleep(1_500);
    const baseRssBytes = rssBytes(server.pid);
    const results: BigRoomSize[] = [];
    const held = listeners.map(() => 0);
    for (const size of sizes) {
      // Each process takes an even share of the room, never more than PER_LOADGEN.
      const share = Math.ceil(size / listeners.length);
      await Promise.all(
        listeners.map(async (l, i) => {
          const want = Math.min(share, size - share * i, PER_LOADGEN) - held[i]!;
          if (want <= 0) return;
          await l.connect({
            group: 'big',
            dialect: 'chatserver',
            port,
            subscribers: want,
            samplers: SAMPLERS_PER_CONNECT,
            publishers: 0,
            sourceAddress: source(i),
          });
          held[i]! += want;
        }),
      );
      await sleep(3_000); // welcomes, presence and garbage from the handshakes settle
      const rss = rssBytes(server.pid);
      await Promise.all(listeners.map((l) => l.drain('big', 500, 10_000).catch(() => undefined)));
      await Promise.all(listeners.map((l) => l.tally('big', { reset: true }).catch(() => undefined)));
      const loadgenCpu = () => [...listeners, publisher].reduce((a, l) => a + cpuSeconds(l.pid), 0);
      const cpu0 = cpuSeconds(server.pid);
      const loadgenCpu0 = loadgenCpu();
      const t0 = performance.now();
      const step = await publisher.step({
        group: 'pub',
        rate: BIG_ROOM_RATE,
        durationMs: BIG_ROOM_STEP_MS,
        graceMs: 0,
        textBytes: TEXT_BYTES,
      });
      const subscribers = (await tallyAll(listeners, 'big')).reduce((a, t) => a + t.subscribers, 0);
      const expected = step.sent * subscribers;
      const graceEnd = performance.now() + BIG_ROOM_GRACE_MS;
      let tallies = await tallyAll(listeners, 'big');
      while (tallies.reduce((a, t) => a + t.count, 0) < expected && performance.now() < graceEnd) {
        await sleep(200);
        tallies = await tallyAll(listeners, 'big');
      }
      const cpu = cpuSeconds(server.pid) - cpu0;
      const loadgenCpuS = loadgenCpu() - loadgenCpu0;
      const elapsedS = (performance.now() - t0) / 1000;
      tallies = await tallyAll(listeners, 'big', true);
      const latencies = tallies.flatMap((t) => t.latencies ?? []);
      const samplers = tallies.reduce((a, t) => a + t.samplers, 0);
      // A sampled delivery still missing counts as later than every one that arrived.
      const missing = Math.max(0, step.sent * samplers - latencies.length);
      const sorted = latencies.sort((a, b) => a - b).concat(Array.from({ length: missing }, () => Infinity));
      const result: BigRoomSize = {
        connections: subscribers,
        rssBytes: rss,
        sent: step.sent,
        expected,
        delivered: tallies.reduce((a, t) => a + t.count, 0),
        closed: tallies.reduce((a, t) => a + t.closed, 0),
        samples: latencies.length,
        p50: percentile(sorted, 50),
        p99: percentile(sorted, 99),
        p999: percentile(sorted, 99.9),
        max: missing > 0 ? null : (sorted.at(-1) ?? null),
        serverCores: cpu / elapsedS,
        loadgenCores: loadgenCpuS / elapsedS,
      };
      results.push(result);
      console.log(
        `  ${fmtInt(result.connections)} joined: RSS ${(rss / 1e6).toFixed(0)} MB` +
          ` (${((rss - baseRssBytes) / result.connections / 1024).toFixed(1)} KB each over the empty room);` +
          ` ${BIG_ROOM_RATE} msg/s → ${fmtInt(result.delivered)}/${fmtInt(expected)} delivered,` +
          ` p50 ${ms(result.p50)} p99 ${ms(result.p99)} p999 ${ms(result.p999)}, cores busy: server ${result.serverCores.toFixed(2)},` +
          ` load generators ${result.loadgenCores.toFixed(2)}` +
          (result.closed > 0 ? `, ${result.closed} closed` : ''),
      );
    }
    return {
      rate: BIG_ROOM_RATE,
      baseRssBytes,
      sizes: results,
      bytesPerConnection: slope(
        results.map((r) => r.connections),
        results.map((r) => r.rssBytes),
      ),
    };
  } finally {
    for (const l of [...listeners, publisher]) l.stop();
    await server.stop();
  }
}

export const STORM_CLIENTS = 10_000;
const STORM_LOADGENS = 3;
const STORM_TIMEOUT_MS = 60_000;
/** The probe: a member that sends and times its messages to the room during the storm. */
const PROBE_RATE = 10;
const PROBE_MS = 4_000;

export interface StormScenarioResult {
  clients: number;
  recovered: number;
  /** ms from the drop until 50 %, 99 % and all clients had a complete recovery; null if never. */
  p50Ms: number | null;
  p99Ms: number | null;
  allMs: number | null;
  refused503: number;
  otherFailures: number;
  wrongHistory: number;
  notBack: number;
  /** Admitted upgrades per second from the drop to the last admitted one. */
  joinRate: number | null;
  probe: { sent: number; p50: number | null; p99: number | null; max: number | null };
  /** CPU cores busy from the drop until the last client was back: the server, and the storm's load generators together. */
  serverCores: number;
  loadgenCores: number;
  settings: Record<string, string>;
}

export async function storm(total: number = STORM_CLIENTS, nodeArgs: string[] = []): Promise<StormScenarioResult> {
  const server = await startChatserver(STORM_ENV, nodeArgs);
  const loadgens = Array.from({ length: STORM_LOADGENS }, () => new Loadgen());
  const probe = new Loadgen();
  try {
    const { port } = await server.createRoom('storm');
    await probe.connect({
      group: 'probe',
      dialect: 'chatserver',
      port,
      subscribers: 1,
      samplers: 1,
      publishers: 1,
      sourceAddress: source(STORM_LOADGENS),
    });
    const per = Math.ceil(total / STORM_LOADGENS);
    await Promise.all(
      loadgens.map((l, i) =>
        l.stormJoin({
          group: 'storm',
          port,
          clients: Math.min(per, total - per * i),
        }),
      ),
    );
    // Some history to recover: 20 messages every client has seen before the drop.
    await probe.step({ group: 'probe', rate: 20, durationMs: 1_000, graceMs: 1_000, textBytes: TEXT_BYTES });
    let since = 0;
    for (let i = 0; i < 100; i++) {
      const states = await Promise.all(loadgens.map((l) => l.stormState('storm')));
      const lo = Math.min(...states.map((s) => s.minLastId));
      const hi = Math.max(...states.map((s) => s.maxLastId));
      if (lo === hi && lo > 0) {
        since = lo;
        break;
      }
      await sleep(100);
    }
    if (since === 0) throw new Error('the storm clients never agreed on the last message id');
    await sleep(1_000);
    const probeRun = probe.step({
      group: 'probe',
      rate: PROBE_RATE,
      durationMs: PROBE_MS,
      graceMs: 2_000,
      textBytes: TEXT_BYTES,
    });
    await sleep(500); // the probe is measured from before the drop
    const cpu0 = cpuSeconds(server.pid);
    const loadgenCpu0 = loadgens.reduce((a, l) => a + cpuSeconds(l.pid), 0);
    const t0 = performance.now();
    const parts: StormResult[] = await Promise.all(
      loadgens.map((l) => l.stormRejoin({ group: 'storm', port, since, timeoutMs: STORM_TIMEOUT_MS })),
    );
    const stormS = (performance.now() - t0) / 1000;
    const serverCores = (cpuSeconds(server.pid) - cpu0) / stormS;
    const loadgenCores = (loadgens.reduce((a, l) => a + cpuSeconds(l.pid), 0) - loadgenCpu0) / stormS;
    const p = await probeRun;
    const times = parts.flatMap((r) => r.recoveredMs).sort((a, b) => a - b);
    const clients = parts.reduce((a, r) => a + r.clients, 0);
    const at = (share: number) => {
      const k = Math.ceil(share * clients);
      return times.length >= k ? times[k - 1]! : null;
    };
    const lastAdmitted = Math.max(...parts.map((r) => r.lastAdmittedMs ?? 0));
    const sum = (f: (r: StormResult) => number) => parts.reduce((a, r) => a + f(r), 0);
    const result: StormScenarioResult = {
      clients,
      recovered: times.length,
      p50Ms: at(0.5),
      p99Ms: at(0.99),
      allMs: at(1),
      refused503: sum((r) => r.refused503),
      otherFailures: sum((r) => r.otherFailures),
      wrongHistory: sum((r) => r.wrongHistory),
      notBack: sum((r) => r.notBack),
      joinRate: lastAdmitted > 0 ? Math.round(clients / (lastAdmitted / 1000)) : null,
      probe: { sent: p.sent, p50: p.p50, p99: p.p99, max: p.max },
      serverCores,
      loadgenCores,
      settings: STORM_ENV,
    };
    console.log(
      `  storm: ${fmtInt(result.recovered)}/${fmtInt(clients)} recovered; 50 % in ${ms(result.p50Ms)}, 99 % in ${ms(result.p99Ms)},` +
        ` all in ${ms(result.allMs)}; ${fmtInt(result.refused503)} × 503, ${result.otherFailures} other failures,` +
        ` ${result.wrongHistory} wrong histories, ${result.notBack} not back; ${fmtInt(result.joinRate ?? 0)} joins/s;` +
        ` probe p50 ${ms(p.p50)} p99 ${ms(p.p99)}; cores busy: server ${serverCores.toFixed(2)}, load generators ${loadgenCores.toFixed(2)}`,
    );
    return result;
  } finally {
    for (const l of [...loadgens, probe]) l.stop();
    await server.stop();
  }
}

const fmtInt = (v: number) => Math.round(v).toLocaleString('en-US');
const ms = (v: number | null) => (v === null ? '–' : `${v.toFixed(1)} ms`);
