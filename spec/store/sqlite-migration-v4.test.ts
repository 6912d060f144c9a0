/**
 * SQLite schema version 4 on a file written before it: the messages table gains
 * its extras column, the pins and tips tables appear, the old rows read as they
 * were; opening the file again changes nothing more.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { it } from 'node:test';
import Database from 'better-sqlite3';
import { DB_FILE, SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { emptyBatch } from '../../src/store/store.js';

/** The messages table as schema versions 1 and 2 made it. */
const OLD_MESSAGES = `CREATE TABLE messages (
  room TEXT NOT NULL, id INTEGER NOT NULL, ts INTEGER NOT NULL, user_id TEXT NOT NULL, user_name TEXT NOT NULL,
  user_role TEXT NOT NULL, text TEXT NOT NULL, deleted INTEGER NOT NULL DEFAULT 0, cleared INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (room, id)) WITHOUT ROWID`;

it('SQLite migrates a file from before schema 4: old messages read as they were, extras, pins and tips are kept', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'chatserver-v4-'));
  try {
    const old = new Database(join(dir, DB_FILE));
    old.exec(OLD_MESSAGES);
    old
      .prepare(`INSERT INTO messages (room, id, ts, user_id, user_name, user_role, text) VALUES (?, ?, ?, ?, ?, ?, ?)`)
      .run('r', 1, 1, 'u', 'U', 'viewer', 'from before');
    old.pragma('user_version = 2');
    old.close();
    for (let open = 0; open < 2; open++) {
      const store = new SqliteStore({ dataDir: dir, retentionDays: 36_500 });
      await store.open();
      const user = { id: 'u', name: 'U', role: 'viewer' as const };
      if (open === 0)
        await store.writeBatch({
          ...emptyBatch(),
          messages: [{ room: 'r', id: 2, ts: 2, user, text: 'after', action: true }],
        });
      const [after, before] = await store.messages('r', { limit: 5 });
      assert.deepEqual(before, { room: 'r', id: 1, ts: 1, user, text: 'from before', deleted: false, cleared: false });
      assert.equal(after?.action, true);
      await store.savePin('r', { message: { type: 'message', id: 2, ts: 2, user, text: 'after' }, until: null });
      assert.equal((await store.pin('r'))?.message.id, 2);
      await store.close();
    }
    const reopened = new Database(join(dir, DB_FILE), { readonly: true });
    assert.equal(reopened.pragma('user_version', { simple: true }), 4);
    reopened.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
