/**
 * The load generator: a child process of the bench runner (IPC commands in,
 * results out). It holds groups of raw WebSocket connections to one server:
 * subscribers that count every delivery in the bytes they receive, a few of them
 * (the samplers) decoding every frame to take its latency, and publishers that
 * send at a paced rate. Send and receive times are the machine's clock read
 * through each process's monotonic one (timeOrigin + now), so a delivery sent by
 * one load generator process and sampled by another is timed on the same clock;
 * latency needs no clock agreement with the server. Big rooms spread their
 * connections over several such processes (each is limited to 20,000 open
 * files), each from its own 127.0.0.x source address; the reconnect storm's
 * clients live in storm-clients.ts.
 */
import { performance } from 'node:perf_hooks';
import { type DialectName, dialects } from './dialects.js';
import { RawWs } from './raw-ws.js';
import type { ConnectCommand, LoadgenCommand, StepCommand, StepResult, Tally } from './loadgen-protocol.js';
import { stormJoin, stormRejoin, stormState } from './storm-clients.js';

interface Group {
  dialect: DialectName;
  samplers: Set<RawWs>;
  subscribers: RawWs[];
  publishers: RawWs[];
  /** Deliveries counted on subscribers (samplers included). */
  count: number;
  latencies: number[];
  closed: number;
}

const groups = new Map<string, Group>();
const CONNECT_CONCURRENCY = 50;
const TICK_MS = 2;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** Milliseconds on the machine's clock, at the monotonic clock's resolution: comparable across processes. */
const wallNow = () => performance.timeOrigin + performance.now();

async function openOne(
  group: Group,
  port: number,
  name: string,
  role: 'count' | 'sample' | 'publish',
  sourceAddress?: string,
): Promise<RawWs> {
  const dialect = dialects[group.dialect];
  let markReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => (markReady = resolve));
  const sendTimes: number[] = [];
  const conn = await RawWs.open(
    port,
    dialect.path,
    {
      message(c, text) {
        const state = dialect.onMessage(c, text, sendTimes);
        if (state === 'ready') {
          markReady();
          if (role !== 'sample') c.mode = 'count';
        }
        if (sendTimes.length > 0) {
          if (role !== 'publish') {
            const now = wallNow();
            group.count += sendTimes.length;
            for (const t of sendTimes) group.latencies.push(now - t);
          }
          sendTimes.length = 0;
        }
      },
      counted(c, first, length, newlines) {
        const n = dialect.deliveries(c, first, length, newlines);
        if (role !== 'publish') group.count += n;
      },
      close() {
        group.closed += 1;
      },
    },
    10_000,
    sourceAddress,
  );
  if (dialect.hello) conn.send(dialect.hello(name));
  if (dialect.readyOnOpen) {
    if (role !== 'sample') conn.mode = 'count';
    markReady();
  }
  await Promise.race([
    ready,
    sleep(15_000).then(() => {
      throw new Error(`${name} not ready within 15 s`);
    }),
  ]);
  return conn;
}

async function connectGroup(cmd: ConnectCommand): Promise<{ subscribers: number; publishers: number }> {
  const group: Group = groups.get(cmd.group) ?? {
    dialect: cmd.dialect,
    subscribers: [],
    publishers: [],
    samplers: new Set(),
    count: 0,
    latencies: [],
    closed: 0,
  };
  groups.set(cmd.group, group);
  const jobs: Array<() => Promise<void>> = [];
  const base = group.subscribers.length;
  const portOf = (i: number) => (cmd.ports ? cmd.ports[i % cmd.ports.length]! : cmd.port);
  // Samplers are spread evenly among the subscribers.
  const every = cmd.samplers > 0 ? Math.max(1, Math.floor(cmd.subscribers / cmd.samplers)) : 0;
  for (let i = 0; i < cmd.subscribers; i++) {
    const role = every > 0 && i % every === 0 ? 'sample' : 'count';
    jobs.push(async () => {
      const conn = await openOne(group, portOf(base + i), `${cmd.group}-s${base + i}`, role, cmd.sourceAddress);
      group.subscribers.push(conn);
      if (role === 'sample') group.samplers.add(conn);
    });
  }
  for (let i = 0; i < cmd.publishers; i++) {
    jobs.push(async () => {
      group.publishers.push(await openOne(group, portOf(i), `${cmd.group}-p${i}`, 'publish', cmd.sourceAddress));
    });
  }
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) await jobs[next++]!();
  };
  await Promise.all(Array.from({ length: CONNECT_CONCURRENCY }, worker));
  return { subscribers: group.subscribers.length, publishers: group.publishers.length };
}

function percentile(sorted: number[], p: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** Publishes at `rate` messages/s for `durationMs`, then waits up to `graceMs` for the last deliveries. */
async function step(cmd: StepCommand): Promise<StepResult> {
  const group = groups.get(cmd.group);
  if (!group) throw new Error(`no group ${cmd.group}`);
  const dialect = dialects[group.dialect];
  const subscribers = group.subscribers.filter((s) => !s.closed).length;
  const pad = 'x'.repeat(Math.max(0, cmd.textBytes - 16));
  group.count = 0;
  group.latencies = [];
  const closedBefore = group.closed;
  const total = Math.floor((cmd.rate * cmd.durationMs) / 1000);
  const t0 = performance.now();
  let sent = 0;
  let turn = 0;
  while (sent < total) {
    const now = performance.now();
    const due = Math.min(total, Math.floor(((now - t0) / 1000) * cmd.rate)) - sent;
    if (due > 0) {
      const per: Buffer[][] = group.publishers.map(() => []);
      const text = `t${(performance.timeOrigin + now).toFixed(3)}|${pad}`.slice(0, Math.max(cmd.textBytes, 16));
      const frame = dialect.publish(text);
      for (let i = 0; i < due; i++) per[turn++ % per.length]!.push(frame);
      group.publishers.forEach((p, i) => {
        if (per[i]!.length > 0) p.write(Buffer.concat(per[i]!));
      });
      sent += due;
    }
    if (performance.now() - t0 > cmd.durationMs + 5_000) break; // the loop itself fell hopelessly behind
    await sleep(TICK_MS);
  }
  const sendMs = performance.now() - t0;
  const countAtEnd = group.count;
  const expected = sent * subscribers;
  const graceEnd = performance.now() + cmd.graceMs;
  while (group.count < expected && performance.now() < graceEnd) await sleep(5);
  // A sampled delivery that has not arrived by the end of the grace period counts as
  // later than every one that did: percentiles that fall among them are unknown (null).
  const samplers = [...group.samplers].filter((c) => !c.closed).length;
  const missingSamples = Math.max(0, sent * samplers - group.latencies.length);
  const sorted = group.latencies.sort((a, b) => a - b);
  for (let i = 0; i < missingSamples; i++) sorted.push(Infinity);
  const pct = (p: number) => {
    const v = percentile(sorted, p);
    return v === null || v === Infinity ? null : v;
  };
  return {
    rate: cmd.rate,
    subscribers,
    sent,
    sendMs,
    elapsedMs: performance.now() - t0,
    expected,
    deliveredInWindow: countAtEnd,
    delivered: group.count,
    closed: group.closed - closedBefore,
    samples: sorted.length - missingSamples,
    missingSamples,
    p50: pct(50),
    p99: pct(99),
    p999: pct(99.9),
    max: missingSamples > 0 ? null : (sorted[sorted.length - 1] ?? null),
  };
}

/** Waits until deliveries stop arriving (a backlog from the last step has drained). */
async function drain(groupName: string, quietMs: number, maxMs: number): Promise<{ drainedMs: number }> {
  const group = groups.get(groupName);
  if (!group) throw new Error(`no group ${groupName}`);
  const start = performance.now();
  let last = group.count;
  let lastChange = start;
  while (performance.now() - start < maxMs) {
    await sleep(20);
    if (group.count !== last) {
      last = group.count;
      lastChange = performance.now();
    } else if (performance.now() - lastChange >= quietMs) break;
  }
  return { drainedMs: Math.round(performance.now() - start) };
}

/** What a group has counted since its last reset; with the sampled latencies when asked (another process publishes). */
function tally(groupName: string, latencies: boolean, reset: boolean): Tally {
  const group = groups.get(groupName);
  if (!group) throw new Error(`no group ${groupName}`);
  const result: Tally = {
    count: group.count,
    closed: group.closed,
    subscribers: group.subscribers.filter((s) => !s.closed).length,
    samplers: [...group.samplers].filter((c) => !c.closed).length,
  };
  if (latencies) result.latencies = group.latencies;
  if (reset) {
    group.count = 0;
    group.latencies = [];
  }
  return result;
}

function closeGroup(name: string): void {
  const group = groups.get(name);
  if (!group) return;
  for (const c of [...group.subscribers, ...group.publishers]) c.close();
  groups.delete(name);
}

async function run(cmd: LoadgenCommand): Promise<unknown> {
  switch (cmd.type) {
    case 'connect':
      return connectGroup(cmd);
    case 'step':
      return step(cmd);
    case 'drain':
      return drain(cmd.group, cmd.quietMs, cmd.maxMs);
    case 'close':
      closeGroup(cmd.group);
      return {};
    case 'tally':
      return tally(cmd.group, cmd.latencies, cmd.reset);
    case 'storm-join':
      return stormJoin(cmd);
    case 'storm-state':
      return stormState(cmd.group);
    case 'storm-rejoin':
      return stormRejoin(cmd);
  }
}

if (!process.send) throw new Error('loadgen runs as a child process of the bench runner');
process.on('message', (message: { id: number; cmd: LoadgenCommand }) => {
  run(message.cmd).then(
    (result) => process.send!({ id: message.id, ok: true, result }),
    (error: unknown) => process.send!({ id: message.id, ok: false, error: String(error) }),
  );
});
process.on('disconnect', () => process.exit(0));
