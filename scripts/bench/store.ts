/**
 * `npm run bench:store`: transcript write throughput of each store on this
 * machine, in messages per second — through store.writeBatch in batches of 500
 * (what the transcript writer sends), and through the TranscriptWriter itself
 * with a backlog queued at once (its batching and bookkeeping included).
 * SQLite runs in a temporary directory; MongoDB runs when MONGODB_URI is set, in
 * a throwaway database that is dropped afterwards.
 *
 *   npm run bench:store                 # 100,000 messages per run
 *   BENCH_MESSAGES=20000 npm run bench:store
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '../../src/logger.js';
import { StoreHealth } from '../../src/master/store-health.js';
import { TranscriptWriter } from '../../src/master/transcript-writer.js';
import type { ChatRecord } from '../../src/protocol/room-messages.js';
import { MongoStore } from '../../src/store/mongo/mongo-store.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { emptyBatch, type Store } from '../../src/store/store.js';

const TOTAL = Number(process.env.BENCH_MESSAGES ?? 100_000);
const BATCH = 500;
const ROOMS = 10;
const logger = createLogger({ level: 'error', json: false, silent: true });
const user = { id: 'bench-user', name: 'Bench', role: 'guest' as const };
const text = 'a typical chat line of about sixty characters, give or take.';

function rate(count: number, ms: number): string {
  return `${Math.round((count / ms) * 1000).toLocaleString('en-US')} messages/s`;
}

async function viaWriteBatch(store: Store, prefix: string): Promise<number> {
  const started = performance.now();
  for (let sent = 0; sent < TOTAL; sent += BATCH) {
    const batch = emptyBatch();
    for (let i = sent; i < Math.min(sent + BATCH, TOTAL); i++)
      batch.messages.push({ room: `${prefix}${i % ROOMS}`, id: Math.floor(i / ROOMS) + 1, ts: Date.now(), user, text });
    await store.writeBatch(batch);
  }
  return performance.now() - started;
}

async function viaWriter(store: Store, prefix: string): Promise<number> {
  const writer = new TranscriptWriter({
    store,
    health: new StoreHealth(store.kind, logger),
    logger,
    queueLimit: TOTAL * 2,
  });
  const started = performance.now();
  for (let r = 0; r < ROOMS; r++) {
    const records: ChatRecord[] = [];
    for (let id = 1; id <= TOTAL / ROOMS; id++)
      records.push({ kind: 'message', message: { type: 'message', id, ts: Date.now(), user, text } });
    writer.add(`${prefix}${r}`, { firstSeq: 1, records });
  }
  const left = await writer.flush(Date.now() + 600_000);
  const ms = performance.now() - started;
  await writer.stop(Date.now());
  if (left > 0) throw new Error(`${left} records not written`);
  return ms;
}

async function run(label: string, store: Store): Promise<void> {
  const direct = await viaWriteBatch(store, 'direct');
  console.log(`${label.padEnd(8)} writeBatch x${BATCH}: ${rate(TOTAL, direct)} (${TOTAL} in ${Math.round(direct)} ms)`);
  const writer = await viaWriter(store, 'writer');
  console.log(`${label.padEnd(8)} TranscriptWriter: ${rate(TOTAL, writer)} (${TOTAL} in ${Math.round(writer)} ms)`);
}

console.log(`Transcript write throughput, ${TOTAL} messages across ${ROOMS} rooms, Node ${process.version}`);
const dir = mkdtempSync(join(tmpdir(), 'chatserver-bench-'));
try {
  const sqlite = new SqliteStore({ dataDir: dir, retentionDays: 30 });
  await sqlite.open();
  await run('SQLite', sqlite);
  await sqlite.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}

const uri = process.env.MONGODB_URI ?? '';
if (uri === '') {
  console.log(
    'MongoDB  skipped: MONGODB_URI is not set (e.g. MONGODB_URI=mongodb://127.0.0.1:27017 npm run bench:store)',
  );
} else {
  const mongo = new MongoStore({ uri, retentionDays: 30, dbName: `chatserver_bench_${process.pid}` });
  await mongo.open();
  if (!mongo.connected) throw new Error(`MONGODB_URI: no MongoDB server answered at ${uri}`);
  try {
    await run('MongoDB', mongo);
  } finally {
    await mongo.dropDatabase();
    await mongo.close();
  }
}
