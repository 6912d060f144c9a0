import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { createStore, databaseIn, StoreOpenError } from '../../src/store/create-store.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { freshDataDir } from '../helpers/data-dir.js';
import { testLogger } from '../helpers/server.js';

describe('createStore', () => {
  it('builds the embedded SQLite store when MONGODB_URI is unset, and opens DATA_DIR only in open()', async () => {
    const dataDir = join(freshDataDir(), 'nested', 'data');
    const store = createStore({ mongodbUri: '', dataDir, transcriptRetentionDays: 30 }, testLogger());
    assert.ok(store instanceof SqliteStore);
    assert.equal(store.kind, 'sqlite');
    assert.equal(existsSync(dataDir), false, 'building a store creates nothing');
    await store.open();
    assert.ok(existsSync(join(dataDir, 'chatserver.db')));
    await store.close();
    await store.close();
  });

  it('picks MongoDB when MONGODB_URI is set, without connecting until opened', async () => {
    const store = createStore(
      { mongodbUri: 'mongodb://127.0.0.1:1/chat', dataDir: '/nonexistent', transcriptRetentionDays: 30 },
      testLogger(),
    );
    assert.equal(store.kind, 'mongodb');
    await store.close();
  });

  it('names DATA_DIR, the path and why when the embedded store cannot be opened', async () => {
    const file = join(freshDataDir(), 'a-file');
    writeFileSync(file, '');
    const store = createStore({ mongodbUri: '', dataDir: file, transcriptRetentionDays: 30 }, testLogger());
    await assert.rejects(
      () => store.open(),
      (error: Error) =>
        error instanceof StoreOpenError &&
        error.message.startsWith(`DATA_DIR=${file}:`) &&
        error.message.includes(`${file} is not a directory`),
    );
    await store.close();
  });

  it('reads the database name from a MongoDB URI', () => {
    assert.equal(databaseIn('mongodb://db.example:27017/chat?retryWrites=true'), 'chat');
    assert.equal(databaseIn('mongodb+srv://u:p@cluster.example/prod'), 'prod');
    assert.equal(databaseIn('mongodb://a:1,b:2/?replicaSet=r'), '');
    assert.equal(databaseIn('mongodb://db.example:27017'), '');
  });
});
