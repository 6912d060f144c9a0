/** The store contract on the embedded SQLite store, in a fresh temporary directory. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
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
