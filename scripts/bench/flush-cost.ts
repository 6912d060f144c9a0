/**
 * `npm run bench:flush -- [--outbox=<compiled outbox.js>] [--label=name]`: the
 * server-side cost of one flush pass, with the batch size held fixed, to compare
 * two builds of src/room/outbox.ts. (In the fan-out bench the batch size follows
 * the server's own speed, so CPU per delivery there cannot tell two builds apart.)
 * A `ws` server in this process holds 1,000 real loopback connections, drained by
 * a load generator process; each pass queues k frames on every client and lets the
 * scheduler flush them. Prints CPU µs per delivery for k = 1, 10 and 100 and
 * writes them to bench-results/flush-cost-<date>-<label>.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { setImmediate as nextPass, setTimeout as sleep } from 'node:timers/promises';
import { type WebSocket, WebSocketServer } from 'ws';
import { Loadgen } from './loadgen-client.js';

interface OutboxModule {
  encode(frame: object): unknown;
  Outbox: new (target: unknown, scheduler: unknown, slowReaderBytes: number) => { push(frame: unknown): void };
  FlushScheduler: new () => unknown;
}

const arg = process.argv.find((a) => a.startsWith('--outbox='))?.slice('--outbox='.length);
const mod = (await import(
  arg ? pathToFileURL(arg).href : new URL('../../src/room/outbox.js', import.meta.url).href
)) as OutboxModule;

const CLIENTS = 1000;
const PASSES = 200;
const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
const sockets: WebSocket[] = [];
wss.on('connection', (ws) => {
  ws.on('error', () => ws.terminate());
  sockets.push(ws);
});
await new Promise((resolve) => wss.once('listening', resolve));
const loadgen = new Loadgen();
await loadgen.connect({
  group: 'flush',
  dialect: 'ws',
  port: (wss.address() as { port: number }).port,
  subscribers: CLIENTS,
  samplers: 0,
  publishers: 0,
});

const scheduler = new mod.FlushScheduler();
const outboxes = sockets.map(
  (ws) =>
    new mod.Outbox(
      {
        get bufferedAmount() {
          return ws.bufferedAmount;
        },
        send: (data: string | Buffer) => ws.send(data, { binary: false }),
        onTooSlow: () => ws.terminate(),
      },
      scheduler,
      64 * 1024 * 1024,
    ),
);
const text = 'x'.repeat(100);
const results: Record<string, number> = {};
for (const k of [1, 10, 100]) {
  let cpu = 0;
  for (let pass = 0; pass < PASSES; pass++) {
    const frames = Array.from({ length: k }, (_, i) =>
      mod.encode({ type: 'message', id: pass * k + i, ts: Date.now(), text }),
    );
    const start = process.cpuUsage();
    for (const outbox of outboxes) for (const frame of frames) outbox.push(frame);
    await nextPass(); // the scheduler's setImmediate flush runs before this one resolves
    const used = process.cpuUsage(start);
    cpu += used.user + used.system;
    // Let the reader catch up, so every pass writes into empty socket buffers.
    while (sockets.some((s) => s.bufferedAmount > 0)) await sleep(1);
    await sleep(2);
  }
  results[`k=${k}`] = cpu / (PASSES * CLIENTS * k);
  console.log(`k=${k} frames per pass: ${(cpu / (PASSES * CLIENTS * k)).toFixed(3)} µs CPU per delivery`);
}
const label = process.argv.find((a) => a.startsWith('--label='))?.slice('--label='.length) ?? 'current';
const file = `bench-results/flush-cost-${new Date().toISOString().replace(/[:.]/g, '-')}-${label}.json`;
mkdirSync(fileURLToPath(new URL('../../../bench-results/', import.meta.url)), { recursive: true });
writeFileSync(
  fileURLToPath(new URL(`../../../${file}`, import.meta.url)),
  JSON.stringify(
    { label, outbox: arg ?? 'dist/src/room/outbox.js', clients: CLIENTS, passes: PASSES, cpuUsPerDelivery: results },
    null,
    2,
  ) + '\n',
);
console.log(`wrote ${file}`);
loadgen.stop();
for (const s of sockets) s.terminate();
wss.close();
