/**
 * The SQLite store's watch of its database file, with the check timer under a
 * fake clock: a file deleted, moved or replaced is noticed at the next check (and
 * before any batch, without waiting for one), every call then fails with the
 * reason, no database is created in its place, and a database file put back is
 * reopened once it has stopped changing, with the id marks written again.
 */
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it, mock } from 'node:test';
import Database from 'better-sqlite3';
import { DB_FILE, SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { emptyBatch, type WriteBatch } from '../../src/store/store.js';
import { freshDataDir } from '../helpers/data-dir.js';

const EVERY_MS = 1_000;
const user = { id: 'u1', name: 'Ann', role: 'guest' as const };
const batchOf = (room: string, ...ids: number[]): WriteBatch => ({
  ...emptyBatch(),
  messages: ids.map((id) => ({ room, id, ts: Date.now(), user, text: `m${id}` })),
});

async function openStore() {
  const dataDir = freshDataDir();
  const store = new SqliteStore({ dataDir, retentionDays: 30, checkEveryMs: EVERY_MS });
  const reports: Array<Error | null> = [];
  store.watch((problem) => reports.push(problem));
  await store.open();
  return { store, file: join(dataDir, DB_FILE), reports, dataDir };
}

/** A copy of the store's file as it is now (an online backup), elsewhere. */
async function backupOf(file: string): Promise<string> {
  const path = join(freshDataDir(), 'backup.db');
  const db = new Database(file, { fileMustExist: true });
  await db.backup(path);
  db.close();
  return path;
}

describe('the SQLite store watching its file', () => {
  beforeEach(() => mock.timers.enable({ apis: ['setInterval'] }));
  afterEach(() => mock.timers.reset());

  it('notices a deleted file at the next check and refuses every call with the reason', async () => {
    const { store, file, reports } = await openStore();
    await store.writeBatch(batchOf('r', 1));
    unlinkSync(file);
    assert.equal(store.fileState, 'open', 'not before a check');
    mock.timers.tick(EVERY_MS);
    assert.equal(store.fileState, 'lost');
    assert.equal(reports.length, 1);
    assert.match(reports[0]!.message, /the database file .*chatserver\.db was deleted or moved away/);
    await assert.rejects(store.writeBatch(batchOf('r', 2)), /was deleted or moved away/);
    await assert.rejects(store.messages('r', { limit: 10 }), /was deleted or moved away/);
    await assert.rejects(store.reserveIds('r', 100), /was deleted or moved away/);
    // The lost handle's write-ahead log is not left to be laid over a file put back.
    assert.equal(existsSync(`${file}-wal`), false);
    for (let i = 0; i < 5; i++) mock.timers.tick(EVERY_MS);
    assert.equal(existsSync(file), false, 'no fresh database is created in its place');
    assert.equal(reports.length, 1, 'reported once');
    await store.close();
  });

  it('checks the file before a batch, without waiting for the timer', async () => {
    const { store, file, reports } = await openStore();
    unlinkSync(file);
    await assert.rejects(store.writeBatch(batchOf('r', 1)), /was deleted or moved away/);
    assert.equal(reports.length, 1);
    await store.close();
  });

  it('names a file replaced under it', async () => {
    const { store, file, reports } = await openStore();
    const other = await backupOf(file);
    renameSync(other, file);
    mock.timers.tick(EVERY_MS);
    assert.match(reports[0]!.message, /was replaced by another file/);
    await store.close();
  });

  it('reopens a database file put back once it is unchanged for a check, and writes the id marks into it again', async () => {
    const { store, file, reports } = await openStore();
    await store.writeBatch(batchOf('r', 1, 2));
    const backup = await backupOf(file);
    await store.reserveIds('r', 5_000);
    unlinkSync(file);
    mock.timers.tick(EVERY_MS);

    // An empty file is not a database: never opened (nor made one).
    writeFileSync(file, '');
    mock.timers.tick(EVERY_MS);
    mock.timers.tick(EVERY_MS);
    assert.equal(store.fileState, 'lost');
    assert.match(reports.at(-1)!.message, /deleted or moved away; the file now at the path is not a database/);
    unlinkSync(file);

    copyFileSync(backup, `${file}.tmp`);
    renameSync(`${file}.tmp`, file);
    mock.timers.tick(EVERY_MS);
    assert.equal(store.fileState, 'lost', 'seen once: not opened until unchanged at the next check');
    mock.timers.tick(EVERY_MS);
    assert.equal(store.fileState, 'open');
    assert.equal(reports.at(-1), null, 'reported usable again');

    const room = await store.room('r');
    assert.equal(room?.lastMessageId, 5_000, 'the mark reserved after the backup is written into it again');
    await store.writeBatch(batchOf('r', 3));
    assert.deepEqual(
      (await store.messages('r', { limit: 10 })).map((m) => m.id),
      [3, 2, 1],
    );
    await store.close();
  });
});
