/**
 * `npm run bench:frame`: the server-side CPU of one write per member, ws.send
 * against the room's pre-framed write (src/room/ws-connection.ts: the batch's
 * WebSocket frame built once, written straight to each socket). A `ws` server in
 * this process holds 1,000 real loopback connections, drained by a load generator
 * process; each pass writes one 100-character message to every member, and the
 * two ways alternate over six rounds so a busy machine weighs on both alike.
 * Prints CPU µs per write and writes bench-results/frame-cost-<date>.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { setImmediate as nextPass, setTimeout as sleep } from 'node:timers/promises';
import { type WebSocket, WebSocketServer } from 'ws';
import { WsConnection } from '../../src/room/ws-connection.js';
import { Loadgen } from './loadgen-client.js';

const CLIENTS = 1000;
const PASSES = 150;
const ROUNDS = 6;
const TEXT_FRAME = Object.freeze({ binary: false });

const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
const members: Array<{ ws: WebSocket; connection: WsConnection }> = [];
wss.on('connection', (ws, req) => {
  ws.on('error', () => ws.terminate());
  members.push({ ws, connection: new WsConnection(ws, req.socket as Socket) });
});
await new Promise((resolve) => wss.once('listening', resolve));
const loadgen = new Loadgen();
await loadgen.connect({
  group: 'frame',
  dialect: 'ws',
  port: (wss.address() as { port: number }).port,
  subscribers: CLIENTS,
  samplers: 0,
  publishers: 0,
});

const ways = {
  'ws.send': (m: (typeof members)[number], batch: Buffer) => m.ws.send(batch, TEXT_FRAME),
  'pre-framed': (m: (typeof members)[number], batch: Buffer) => m.connection.send(batch),
};
const results: Record<string, number[]> = { 'ws.send': [], 'pre-framed': [] };
for (let round = 0; round < ROUNDS; round++) {
  for (const [name, send] of Object.entries(ways)) {
    let cpu = 0;
    for (let pass = 0; pass < PASSES; pass++) {
      const batch = Buffer.from(JSON.stringify({ type: 'message', id: pass, ts: Date.now(), text: 'x'.repeat(100) }));
      await nextPass();
      const start = process.cpuUsage();
      for (const m of members) send(m, batch);
      const used = process.cpuUsage(start);
      cpu += used.user + used.system;
      // Let the reader catch up, so every pass writes into empty socket buffers.
      while (members.some((m) => m.ws.bufferedAmount > 0)) await sleep(1);
      await sleep(2);
    }
    results[name]!.push(cpu / (PASSES * CLIENTS));
  }
}
const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;
for (const [name, v] of Object.entries(results))
  console.log(
    `${name.padEnd(10)} ${v.map((x) => x.toFixed(2)).join(' ')}  median ${median(v).toFixed(2)} µs CPU per write`,
  );
const file = `bench-results/frame-cost-${new Date().toISOString().replace(/[:.]/g, '-')}.json`;
mkdirSync(fileURLToPath(new URL('../../../bench-results/', import.meta.url)), { recursive: true });
writeFileSync(
  fileURLToPath(new URL(`../../../${file}`, import.meta.url)),
  JSON.stringify({ clients: CLIENTS, passes: PASSES, rounds: ROUNDS, cpuUsPerWrite: results }, null, 2) + '\n',
);
console.log(`wrote ${file}`);
loadgen.stop();
for (const m of members) m.ws.terminate();
wss.close();
