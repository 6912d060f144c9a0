/**
 * `node --expose-gc dist/scripts/bench/join-cost.js` (after `npm run build`): the
 * room's own CPU per join, without a network. One room (src/room/room.ts, the
 * server's default limits and guest settings) holds MEMBERS guests on in-memory
 * connections that only count bytes; all of them drop and come back as a
 * reconnect storm does (a few per pass of the event loop, each with `since` and
 * its guest token), ROUNDS times. The figure is process CPU from the first rejoin
 * until every welcome was written, per join: the join frame's parsing, identity
 * and guest token, bans, members bookkeeping, the welcome's recovery and
 * encoding, and its write into the outbox. What a real join costs besides
 * (accepting the socket, the HTTP upgrade, `ws`, the system calls, the socket of
 * the connection that dropped) is not in it: compare with the storm's CPU profile
 * (`npm run bench -- --only=storm --cpu-prof`). Prints µs per join (median of the
 * rounds) and writes bench-results/join-cost-<date>.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { setImmediate as nextPass } from 'node:timers/promises';
import { loadConfig } from '../../src/config.js';
import { Client } from '../../src/room/client.js';
import type { Connection } from '../../src/room/connection.js';
import { LocalEngine } from '../../src/room/local-engine.js';
import { FlushScheduler } from '../../src/room/outbox.js';
import { Room } from '../../src/room/room.js';

const MEMBERS = Number(process.env.JOIN_COST_MEMBERS ?? 10_000);
const ROUNDS = Number(process.env.JOIN_COST_ROUNDS ?? 7);
/** Rejoins handled per pass of the event loop: what a storm at a few thousand joins/s brings. */
const PER_PASS = 5;
const HISTORY = 20;

/** A transport that takes every write at once and remembers only how many bytes and frames it got. */
class CountingConnection implements Connection {
  bufferedAmount = 0;
  isOpen = true;
  bytes = 0;
  /** The welcome, to check what the join got. */
  welcome = '';
  send(data: Buffer): void {
    this.bytes += data.length;
    if (this.welcome === '') this.welcome = data.toString();
  }
  close(): void {
    this.isOpen = false;
  }
  terminate(): void {
    this.isOpen = false;
  }
  ping(): void {}
}

const config = loadConfig({ ENV_FILE: '', GUEST_SECRET: 'join-cost-guest-secret', DATA_DIR: '/tmp' });
const limits = { ...config.limits, joinTimeoutMs: 600_000 };
let records = 0;
const engine = new LocalEngine(
  { add: () => ++records },
  { lastId: 0, ids: { through: Number.MAX_SAFE_INTEGER }, writable: { writable: true, retryAfterMs: 0 } },
);
const room = new Room('joincost', limits, config.access, engine, { viewers: () => undefined });
const scheduler = new FlushScheduler();

interface Guest {
  name: string;
  token?: string;
  client?: Client;
  connection?: CountingConnection;
}
const guests: Guest[] = Array.from({ length: MEMBERS }, (_, i) => ({ name: `viewer-${i}` }));

function connect(guest: Guest, since?: number): void {
  const connection = new CountingConnection();
  const client = new Client(connection, { scheduler, limits, clock: room.clock, counters: room.counters });
  room.attach(client);
  guest.client = client;
  guest.connection = connection;
  const frame: Record<string, unknown> = { type: 'join', name: guest.name };
  if (guest.token !== undefined) frame.guestToken = guest.token;
  if (since !== undefined) frame.since = since;
  room.receive(client, JSON.stringify(frame));
}

async function joinAll(since?: number): Promise<void> {
  for (let i = 0; i < guests.length; i += PER_PASS) {
    for (const guest of guests.slice(i, i + PER_PASS)) connect(guest, since);
    await nextPass();
  }
  for (let i = 0; i < 5; i++) await nextPass();
}

function welcomed(guest: Guest): { guestToken?: string; recovered?: boolean } {
  const line = guest.connection!.welcome.split('\n').find((l) => l.startsWith('{"type":"welcome"'));
  if (line === undefined) throw new Error(`${guest.name} was not welcomed`);
  return JSON.parse(line) as { guestToken?: string; recovered?: boolean };
}

await joinAll();
for (const guest of guests) guest.token = welcomed(guest).guestToken;
// The history every member saw before the drop, as in the storm bench.
const author = guests[0]!.client!;
for (let i = 0; i < HISTORY; i++) room.receive(author, JSON.stringify({ type: 'message', text: `before ${i}` }));
for (let i = 0; i < 5; i++) await nextPass();
const since = HISTORY - 5;

const perJoinUs: number[] = [];
for (let round = 0; round < ROUNDS; round++) {
  for (const guest of guests) room.detach(guest.client!);
  global.gc?.();
  const cpu0 = process.cpuUsage();
  await joinAll(since);
  const cpu = process.cpuUsage(cpu0);
  perJoinUs.push((cpu.user + cpu.system) / MEMBERS);
  for (const guest of guests.slice(0, 3))
    if (welcomed(guest).recovered !== true) throw new Error(`${guest.name}: no recovery`);
}
const median = [...perJoinUs].sort((a, b) => a - b)[Math.floor(perJoinUs.length / 2)]!;
console.log(
  `join cost: ${MEMBERS} guests rejoining with since, ${PER_PASS} a pass: ${median.toFixed(1)} µs CPU a join ` +
    `(median of ${ROUNDS}; rounds ${perJoinUs.map((v) => v.toFixed(1)).join(', ')})`,
);
const root = fileURLToPath(new URL('../../../', import.meta.url));
const file = `bench-results/join-cost-${new Date().toISOString().replace(/[:.]/g, '-')}.json`;
mkdirSync(`${root}bench-results`, { recursive: true });
writeFileSync(
  `${root}${file}`,
  JSON.stringify(
    {
      date: new Date().toISOString(),
      cores: cpus().length,
      loadAverage: loadavg(),
      members: MEMBERS,
      perJoinUs,
      median,
    },
    null,
    2,
  ) + '\n',
);
console.log(`wrote ${file}`);
room.stopTimers();
process.exit(0);
