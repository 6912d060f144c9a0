/**
 * What an idle room worker costs, measured in one process: K room workers (the
 * bundle the master runs) opened one after another on port 0 with the unit tests'
 * room settings, then the process's RSS growth per room; then once more after each
 * room answered one stats read (as at a metrics scrape). Run with and without
 * --enable-source-maps (the systemd unit runs the server with it): each worker
 * reads the bundle's source map when that is on.
 *
 *   node dist/scripts/bench/room-memory.js [--rooms=10]
 *   BENCH_SERVER_ROOT=<another checkout> …   measures that build's bundle
 *
 * Writes bench-results/room-memory-<date>.json.
 */
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';

/** The repository root; this file runs compiled, from dist/scripts/bench/. */
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const serverRoot = process.env.BENCH_SERVER_ROOT ?? ROOT;
const option = (name: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];
const rssBytes = () => Number(readFileSync('/proc/self/statm', 'utf8').split(' ')[1]) * 4096;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Reply {
  type: string;
  id?: number;
  ok?: boolean;
}

/** One measurement, in this process (a child of the command). */
async function measure(rooms: number): Promise<{ perRoom: number; perRoomAfterStats: number }> {
  const { LIMITS, ACCESS } = (await import(join(serverRoot, 'dist/spec/room/fakes.js'))) as {
    LIMITS: object;
    ACCESS: object;
  };
  const buffer = new SharedArrayBuffer(4 * (rooms + 1));
  await sleep(300);
  const before = rssBytes();
  const asks: Array<(request: object) => Promise<Reply>> = [];
  for (let slot = 0; slot < rooms; slot++) {
    const worker = new Worker(join(serverRoot, 'dist/worker/room-worker.js'), {
      workerData: { access: ACCESS, limits: LIMITS, budget: { buffer, slot, max: 100_000 } },
      resourceLimits: { maxOldGenerationSizeMb: 64, maxYoungGenerationSizeMb: 4 },
      stdout: false,
      stderr: false,
    });
    const waiting = new Map<number, (reply: Reply) => void>();
    let nextId = 1;
    const booted = new Promise<void>((resolve) =>
      worker.on('message', (message: Reply) => {
        if (message.type === 'booted') resolve();
        if (message.type === 'reply' && message.id !== undefined) waiting.get(message.id)?.(message);
      }),
    );
    await booted;
    const ask = (request: object) =>
      new Promise<Reply>((resolve) => {
        const id = nextId++;
        waiting.set(id, resolve);
        worker.postMessage({ ...request, id });
      });
    const opened = await ask({
      type: 'open',
      name: `idle${slot}`,
      port: 0,
      ids: { through: 1e9 },
      writable: { writable: true, retryAfterMs: 0 },
    });
    if (opened.ok !== true) throw new Error(`room ${slot} did not open: ${JSON.stringify(opened)}`);
    asks.push(ask);
  }
  await sleep(3_000);
  const idle = rssBytes();
  for (const ask of asks) await ask({ type: 'stats', reader: 'scrape' });
  await sleep(1_000);
  const read = rssBytes();
  return { perRoom: (idle - before) / rooms, perRoomAfterStats: (read - before) / rooms };
}

function child(args: string[]): Promise<{ perRoom: number; perRoomAfterStats: number }> {
  return new Promise((resolve, reject) => {
    const proc = spawn(
      process.execPath,
      [...args, fileURLToPath(import.meta.url), '--child', ...process.argv.slice(2)],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    let out = '';
    proc.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    proc.on('exit', (code) =>
      code === 0
        ? resolve(JSON.parse(out) as { perRoom: number; perRoomAfterStats: number })
        : reject(new Error(`exit ${code}`)),
    );
  });
}

const rooms = Number(option('rooms') ?? 10);
if (process.argv.includes('--child')) {
  process.stdout.write(JSON.stringify(await measure(rooms)));
  process.exit(0);
}
const mb = (bytes: number) => Math.round(bytes / 1e4) / 100;
const result: Record<string, unknown> = { date: new Date().toISOString(), serverRoot, rooms };
for (const [name, args] of [
  ['plain', []],
  ['sourceMaps', ['--enable-source-maps']],
] as const) {
  const { perRoom, perRoomAfterStats } = await child([...args]);
  result[name] = { perRoomMB: mb(perRoom), perRoomAfterStatsMB: mb(perRoomAfterStats) };
  console.log(`${name}: ${mb(perRoom)} MB per idle room, ${mb(perRoomAfterStats)} MB after a stats read`);
}
const file = `bench-results/room-memory-${String(result.date).replace(/[:.]/g, '-')}.json`;
writeFileSync(join(ROOT, file), JSON.stringify(result, null, 2) + '\n');
console.log(`wrote ${file}`);
