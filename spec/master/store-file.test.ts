/**
 * The SQLite database file deleted or replaced under a running server: the store
 * reports down within seconds (with why, in /load), rooms refuse new messages as
 * UNAVAILABLE and nothing is acknowledged that is not stored; once a database file
 * is put back, the store reopens it, writes what was queued, and every message
 * ever acknowledged is in the file, with ids that never went backwards.
 */
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, renameSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { loadConfig } from '../../src/config.js';
import { ChatServer } from '../../src/server.js';
import { DB_FILE } from '../../src/store/sqlite/sqlite-store.js';
import { freshDataDir } from '../helpers/data-dir.js';
import { capturingLogger } from '../helpers/logs.js';
import { ADMIN_KEY, KEY, startTestServer, type TestServer, testLogger } from '../helpers/server.js';
import { eventually } from '../helpers/wait.js';
import { type Frame, TestClient } from '../helpers/ws-client.js';

type Store = Record<string, unknown>;

async function storeState(t: TestServer): Promise<Store> {
  const load = (await (await t.adminFetch('/load')).json()) as { data: { store: Store } };
  return load.data.store;
}

/** Every message text in the file, read with a connection of its own. */
function storedTexts(file: string, room: string): string[] {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const rows = db.prepare('SELECT text FROM messages WHERE room = ? ORDER BY id').all(room) as Array<{
      text: string;
    }>;
    return rows.map((r) => r.text);
  } finally {
    db.close();
  }
}

const answer = (client: TestClient, ref: string): Frame | undefined =>
  client.frames.find((f) => (f.type === 'ack' || f.type === 'error') && f.ref === ref);

/** Sends `count` messages `<prefix><i>` with refs of the same name. */
function send(client: TestClient, prefix: string, count: number): string[] {
  const refs = Array.from({ length: count }, (_, i) => `${prefix}${i + 1}`);
  for (const ref of refs) client.send({ type: 'message', text: ref, ref });
  return refs;
}

describe('the database file watched', () => {
  it('is not opened by building a server, only by starting it', async () => {
    const dataDir = join(freshDataDir(), 'not-yet');
    const config = loadConfig({ NODE_ENV: 'test', DATA_DIR: dataDir, KEY, ADMIN_KEY, PORT: '0', ADMIN_PORT: '0' });
    const server = new ChatServer(config, testLogger());
    assert.equal(existsSync(dataDir), false, 'building a ChatServer creates and opens nothing');
    await server.stop(0, 'never started');
  });

  it('reports a deleted database down within 5 s, acknowledges nothing it cannot store, and stores it all once a file is back', async () => {
    const dataDir = freshDataDir();
    const file = join(dataDir, DB_FILE);
    const { logger, lines } = capturingLogger('warn');
    const t = await startTestServer({ DATA_DIR: dataDir, RATE_LIMIT_MESSAGES: '1000', ALLOW_GUESTS: 'on' }, { logger });
    const port = await t.createRoom('watched');
    const { client } = await TestClient.join(port, { name: 'Ann' });

    const before = send(client, 'b', 20);
    for (const ref of before) await eventually(`${ref} acknowledged`, () => answer(client, ref)?.type === 'ack');
    const highestBefore = Math.max(...client.frames.filter((f) => f.type === 'ack').map((f) => f.id as number));

    // A backup taken while the server runs (better-sqlite3's online backup), then the file deleted.
    const backup = join(freshDataDir(), 'backup.db');
    const reader = new Database(file, { fileMustExist: true });
    await reader.backup(backup);
    reader.close();
    unlinkSync(file);

    const down = await eventually(
      'the store reported down',
      async () => {
        const s = await storeState(t);
        return s.state === 'down' && s;
      },
      { timeoutMs: 5_000 },
    );
    assert.match(String(down.lastError), /database file .*chatserver\.db was deleted or moved away/);
    assert.equal(down.writable, false);

    // Rooms were told: new messages are refused as UNAVAILABLE, and none is acknowledged.
    const during = send(client, 'd', 20);
    await eventually('a refusal as UNAVAILABLE', () =>
      client.frames.some((f) => f.type === 'error' && f.code === 'UNAVAILABLE' && during.includes(f.ref as string)),
    );
    assert.equal(
      client.frames.filter((f) => f.type === 'ack' && during.includes(f.ref as string)).length,
      0,
      'nothing acknowledged while the file is gone',
    );
    assert.equal((await storeState(t)).state, 'down');
    const errors = lines.filter((l) => l.level === 'error');
    assert.equal(errors.length, 1, `one error logged for the loss: ${JSON.stringify(errors)}`);
    assert.match(String(errors[0]!.error), /was deleted or moved away/);

    // The operator puts the backup back (copied beside it, then renamed into place).
    copyFileSync(backup, `${file}.restoring`);
    renameSync(`${file}.restoring`, file);
    await eventually(
      'the store up again with its queue written',
      async () => {
        const s = await storeState(t);
        return s.state === 'up' && s.queued === 0 && s.writable === true;
      },
      { timeoutMs: 15_000 },
    );

    const afterRefs = send(client, 'a', 10);
    for (const ref of afterRefs) await eventually(`${ref} acknowledged`, () => answer(client, ref)?.type === 'ack');
    for (const ref of during) await eventually(`${ref} answered`, () => answer(client, ref) !== undefined);
    const acks = client.frames.filter((f) => f.type === 'ack');
    const ackedAfter = acks.filter((f) => afterRefs.includes(f.ref as string)).map((f) => f.id as number);
    assert.ok(Math.min(...ackedAfter) > highestBefore, 'ids only grow across the loss and the restore');

    client.close();
    await t.stop();
    const stored = new Set(storedTexts(file, 'watched'));
    const missing = acks.map((f) => f.ref as string).filter((ref) => !stored.has(ref));
    assert.deepEqual(missing, [], 'every acknowledged message is in the file put back');
  });
});
