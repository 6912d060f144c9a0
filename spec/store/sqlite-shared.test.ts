/**
 * The embedded store shared as cluster mode shares it on one machine: several
 * servers on one DATA_DIR. Two stores on the same file, each in its own thread with
 * its own connection (SQLite's file locks between them, as between processes),
 * reserve id blocks and write the same entries at once; and a file written by the
 * first schema is brought up to date when opened.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { SCHEMA_VERSION } from '../../src/store/sqlite/schema.js';
import { DB_FILE, SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { emptyBatch } from '../../src/store/store.js';

const root = mkdtempSync(join(tmpdir(), 'chatserver-sqlite-shared-'));
after(() => rmSync(root, { recursive: true, force: true }));

const STORE_MODULE = new URL('../../src/store/sqlite/sqlite-store.js', import.meta.url).href;
const BLOCKS = 100;
const BLOCK = 10;
const MESSAGES = 200;

/**
 * One server's share of the work, in a thread of its own: reserve BLOCKS blocks one
 * after another, and write every message and the keyed acts (each copy of a cluster
 * room writes every entry it reads).
 */
const copyWork = `
const { workerData, parentPort } = require('node:worker_threads');
import(workerData.module).then(async ({ SqliteStore }) => {
  const store = new SqliteStore({ dataDir: workerData.dir, retentionDays: 30 });
  await store.open();
  const marks = [];
  const user = { id: 'ann', name: 'Ann', role: 'viewer' };
  const by = { id: 'mod', name: 'Mod', role: 'mod' };
  for (let i = 0; i < workerData.blocks; i++) {
    marks.push(await store.reserveBlock('shared', workerData.block));
    const messages = [];
    for (let id = i * 2 + 1; id <= i * 2 + 2; id++) messages.push({ room: 'shared', id, ts: Date.now(), user, text: 'm' + id });
    const moderation = [{ room: 'shared', action: 'timeout', by, target: 'ann', messageId: null, seconds: 60, reason: '', at: i, key: 'act-' + i }];
    await store.writeBatch({ messages, deletions: [], clears: [], bans: [], moderation });
  }
  await store.close();
  parentPort.postMessage(marks);
});
`;

function runCopy(dir: string): Promise<number[]> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(copyWork, {
      eval: true,
      workerData: { module: STORE_MODULE, dir, blocks: BLOCKS, block: BLOCK },
    });
    worker.once('message', resolve);
    worker.once('error', reject);
    worker.once('exit', (code) => code !== 0 && reject(new Error(`copy exited with ${code}`)));
  });
}

describe('the embedded store shared by the servers of one machine', () => {
  it('hands out disjoint id blocks to two stores at once and keeps one of each entry both write', async () => {
    const dir = join(root, 'two');
    const first = new SqliteStore({ dataDir: dir, retentionDays: 30 });
    await first.open(); // the schema exists before the two race
    await first.close();
    const [a, b] = await Promise.all([runCopy(dir), runCopy(dir)]);
    const all = [...a!, ...b!].sort((x, y) => x - y);
    assert.deepEqual(
      all,
      Array.from({ length: BLOCKS * 2 }, (_, i) => BLOCK * (i + 1)),
      'every block ends at its own mark: no id is handed to both',
    );
    const store = new SqliteStore({ dataDir: dir, retentionDays: 30 });
    await store.open();
    assert.equal((await store.room('shared'))?.lastMessageId, BLOCKS * 2 * BLOCK);
    const messages = await store.messages('shared', { limit: 1_000 });
    assert.equal(messages.length, MESSAGES, 'each message once, though both wrote it');
    assert.equal((await store.moderation('shared', { limit: 1_000 })).length, BLOCKS, 'each keyed act once');
    await store.close();
  });

  it('migrates a file of the first schema: its entries are kept and keyed entries are stored once', async () => {
    const dir = join(root, 'v1');
    // What version 1 wrote: the moderation log without its cluster key.
    const first = new SqliteStore({ dataDir: dir, retentionDays: 30 });
    await first.open();
    await first.close();
    const file = join(dir, DB_FILE);
    const db = new Database(file);
    db.exec(`DROP INDEX IF EXISTS moderation_by_key;
      DROP TABLE moderation;
      CREATE TABLE moderation (
        id         INTEGER PRIMARY KEY AUTOINCREMENT,
        room       TEXT    NOT NULL,
        action     TEXT    NOT NULL,
        by_id      TEXT    NOT NULL,
        by_name    TEXT    NOT NULL,
        by_role    TEXT    NOT NULL,
        target     TEXT,
        message_id INTEGER,
        seconds    INTEGER,
        reason     TEXT    NOT NULL,
        at         INTEGER NOT NULL
      );`);
    db.prepare(
      `INSERT INTO moderation (room, action, by_id, by_name, by_role, target, message_id, seconds, reason, at)
       VALUES ('old', 'ban', 'mod', 'Mod', 'mod', 'ann', NULL, NULL, 'from version 1', 1)`,
    ).run();
    db.pragma('user_version = 1');
    assert.ok(!(db.pragma('table_info(moderation)') as Array<{ name: string }>).some((c) => c.name === 'log_key'));
    db.close();

    const store = new SqliteStore({ dataDir: dir, retentionDays: 30 });
    await store.open();
    const by = { id: 'mod', name: 'Mod', role: 'mod' as const };
    const keyed = {
      room: 'old',
      action: 'kick' as const,
      by,
      target: 'ann',
      messageId: null,
      seconds: null,
      reason: 'keyed',
      at: 2,
      key: 'k1',
    };
    await store.writeBatch({ ...emptyBatch(), moderation: [keyed] });
    await store.writeBatch({ ...emptyBatch(), moderation: [keyed] });
    const log = await store.moderation('old', { limit: 10 });
    assert.deepEqual(
      log.map((e) => e.reason),
      ['keyed', 'from version 1'],
    );
    await store.close();
    const check = new Database(file, { readonly: true });
    assert.equal(check.pragma('user_version', { simple: true }), SCHEMA_VERSION);
    check.close();
  });
});
