/**
 * The HTTP fallback's bench (`npm run bench -- --only=http`): fan-out to 1,000
 * HTTP members (Server-Sent Events) and 1,000 WebSocket members of the same room
 * in the same run, at rising publish rates, and the memory of an idle member of
 * each kind. The WebSocket members, samplers and publishers are the load
 * generator's (loadgen.ts); the HTTP members are held by this process, which
 * counts the message events in their streams' bytes without decoding them.
 */
import { Agent, request } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { Loadgen } from './loadgen-client.js';
import { rssBytes } from './proc.js';
import { fmt, type Timing } from './scenarios.js';
import { startChatserver } from './servers.js';
import { slope } from './slope.js';

const MEMBERS = 1000;
const RATES = [25, 50, 100, 200, 400, 800, 1600, 3200];
const TEXT_BYTES = 100;
const CONCURRENCY = 50;
/** Every message event starts its own lines with its id (src/room/sse.ts). */
const MESSAGE_EVENT = '\n\nid: ';

export interface HttpStep {
  rate: number;
  /** Deliveries/s offered to each transport's 1,000 members. */
  offeredPerTransport: number;
  ws: { delivered: number; expected: number; p99: number | null; ok: boolean };
  http: { delivered: number; expected: number; ok: boolean };
}

export interface HttpFallbackResult {
  steps: HttpStep[];
  /**
   * Highest offered deliveries/s (per transport) each transport took in full: every
   * message to every member within the same grace after the send window. (p99 is
   * measured on the WebSocket samplers only, so it cannot be the criterion for both.)
   */
  sustained: { ws: number; http: number };
  /** RSS growth per idle member (bytes), the slope over 1,000 to 3,000 of one kind on a fresh server. */
  bytesPerIdleMember: { ws: number; http: number };
}

/** HTTP members whose event streams this process holds, counting message events. */
class HttpMembers {
  count = 0;
  private readonly streams = new Set<ReturnType<typeof request>>();
  /** Joins reuse a few kept-alive connections, as a browser's fetch does. */
  private readonly joins = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  private readonly holds = new Agent({ keepAlive: false, maxSockets: Infinity });

  constructor(private readonly port: number) {}

  async open(n: number, prefix: string): Promise<void> {
    let next = 0;
    const worker = async () => {
      while (next < n) await this.openOne(`${prefix}${next++}`);
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  }

  private async openOne(name: string): Promise<void> {
    const session = await new Promise<string>((resolve, reject) => {
      const req = request(
        { host: '127.0.0.1', port: this.port, path: '/http/join', method: 'POST', agent: this.joins },
        (res) => {
          let body = '';
          res.on('data', (chunk: Buffer) => (body += chunk.toString()));
          res.on('end', () =>
            res.statusCode === 201
              ? resolve((JSON.parse(body) as { session: string }).session)
              : reject(new Error(`join: ${res.statusCode} ${body}`)),
          );
        },
      );
      req.on('error', reject);
      req.end(JSON.stringify({ type: 'join', name }));
    });
    await new Promise<void>((resolve, reject) => {
      const req = request(
        { host: '127.0.0.1', port: this.port, path: `/http/events?session=${session}`, agent: this.holds },
        (res) => {
          if (res.statusCode !== 200) return reject(new Error(`events: ${res.statusCode}`));
          let tail = '';
          res.on('data', (chunk: Buffer) => {
            const text = tail + chunk.toString('latin1');
            for (let at = text.indexOf(MESSAGE_EVENT); at >= 0; at = text.indexOf(MESSAGE_EVENT, at + 1))
              this.count += 1;
            tail = text.slice(-(MESSAGE_EVENT.length - 1));
          });
          resolve();
        },
      );
      req.on('error', () => undefined);
      this.streams.add(req);
      req.end();
    });
  }

  close(): void {
    for (const req of this.streams) req.destroy();
    this.streams.clear();
  }
}

export async function httpFallback(timing: Timing): Promise<HttpFallbackResult> {
  const steps = await fanout(timing);
  let ws = 0;
  let http = 0;
  for (const s of steps) {
    if (s.ws.ok) ws = Math.max(ws, s.offeredPerTransport);
    if (s.http.ok) http = Math.max(http, s.offeredPerTransport);
  }
  const bytesPerIdleMember = await memory();
  console.log(
    `  http fallback: sustained ws ${fmt(ws)}/s, http ${fmt(http)}/s (×${ws > 0 ? (http / ws).toFixed(2) : '–'}); ` +
      `idle member ws ${(bytesPerIdleMember.ws / 1024).toFixed(1)} KB, http ${(bytesPerIdleMember.http / 1024).toFixed(1)} KB`,
  );
  return { steps, sustained: { ws, http }, bytesPerIdleMember };
}

async function fanout(timing: Timing): Promise<HttpStep[]> {
  const server = await startChatserver();
  const loadgen = new Loadgen();
  const { port } = await server.createRoom('httpbench');
  const members = new HttpMembers(port);
  const steps: HttpStep[] = [];
  try {
    await loadgen.connect({
      group: 'fan',
      dialect: 'chatserver',
      port,
      subscribers: MEMBERS,
      samplers: 20,
      publishers: 4,
    });
    await members.open(MEMBERS, 'h');
    await sleep(1_500);
    await loadgen.drain('fan');
    for (const rate of RATES) {
      members.count = 0;
      const r = await loadgen.step({
        group: 'fan',
        rate,
        durationMs: timing.stepMs,
        graceMs: timing.graceMs,
        textBytes: TEXT_BYTES,
      });
      const expected = r.sent * MEMBERS;
      // The HTTP members get the same grace after the send window as the WebSocket ones.
      const graceEnd = Date.now() + Math.max(0, timing.graceMs - (r.elapsedMs - r.sendMs));
      while (members.count < expected && Date.now() < graceEnd) await sleep(5);
      const wsOk = r.delivered >= r.expected && r.closed === 0;
      const step: HttpStep = {
        rate,
        offeredPerTransport: rate * MEMBERS,
        ws: { delivered: r.delivered, expected: r.expected, p99: r.p99, ok: wsOk },
        http: { delivered: members.count, expected, ok: members.count >= expected },
      };
      steps.push(step);
      console.log(
        `  offered ${fmt(step.offeredPerTransport)}/s per transport:` +
          `  ws ${r.delivered}/${r.expected} p99 ${r.p99?.toFixed(1) ?? '–'}ms ${wsOk ? 'ok' : 'BEHIND'}` +
          `  http ${members.count}/${expected} ${step.http.ok ? 'ok' : 'BEHIND'}`,
      );
      // Rising until neither transport delivers everything any more (not merely late).
      if (r.delivered < r.expected && members.count < expected && step.offeredPerTransport >= 100_000) break;
      await loadgen.drain('fan', 300, 8_000);
      await sleep(300);
    }
  } finally {
    members.close();
    loadgen.stop();
    await server.stop();
  }
  return steps;
}

/**
 * RSS growth per idle member of one kind, on a fresh server of its own: the slope
 * over three batches of 1,000, as the bench's idle-connection memory is measured
 * (RSS moves with garbage collection, so one delta alone is too noisy).
 */
async function memoryOf(kind: 'ws' | 'http'): Promise<number> {
  const server = await startChatserver();
  const loadgen = new Loadgen();
  const { port } = await server.createRoom(`memory${kind}`);
  const members = new HttpMembers(port);
  const counts: number[] = [];
  const rss: number[] = [];
  try {
    await sleep(1_500);
    for (let batch = 1; batch <= 3; batch++) {
      if (kind === 'ws')
        await loadgen.connect({
          group: 'idle',
          dialect: 'chatserver',
          port,
          subscribers: MEMBERS,
          samplers: 0,
          publishers: 0,
        });
      else await members.open(MEMBERS, `m${batch}-`);
      await sleep(2_500);
      counts.push(batch * MEMBERS);
      rss.push(rssBytes(server.pid));
    }
  } finally {
    members.close();
    loadgen.stop();
    await server.stop();
  }
  return slope(counts, rss);
}

async function memory(): Promise<{ ws: number; http: number }> {
  return { ws: await memoryOf('ws'), http: await memoryOf('http') };
}
