/** The store contract on the embedded SQLite store, in a fresh temporary directory. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { emptyBatch, type NewModerationEntry } from '../../src/store/store.js';
import { storeContract } from './contract.js';

const root = mkdtempSync(join(tmpdir(), 'chatserver-sqlite-'));

storeContract('SQLite', {
  async open(name, retentionDays = 30) {
    const store = new SqliteStore({ dataDir: join(root, name), retentionDays });
    await store.open();
    return store;
  },
  async cleanup() {
    rmSync(root, { recursive: true, force: true });
  },
});

it('SQLite writes a ban and its log entry in one transaction: a batch that fails stores neither', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'chatserver-sqlite-tx-'));
  const store = new SqliteStore({ dataDir: dir, retentionDays: 30 });
  await store.open();
  const now = Date.now();
  const ban = { user: 'u', room: 'r', reason: '', by: 'm', at: now, until: null };
  // A NOT NULL column left null: the log insert fails after the ban was applied in the transaction.
  const broken = {
    room: 'r',
    action: 'ban',
    by: { id: null, name: 'M', role: 'mod' },
  } as unknown as NewModerationEntry;
  await assert.rejects(store.writeBatch({ ...emptyBatch(), bans: [{ op: 'add', ban }], moderation: [broken] }));
  assert.deepEqual(await store.bans(now), []);
  assert.deepEqual(await store.moderation('r', { limit: 10 }), []);
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});
