/**
 * Whole-server restarts with real processes on one DATA_DIR: a SIGTERM right
 * after a burst must lose no accepted message, and a room re-created after the
 * restart continues its ids and recovers a client's gap across it.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { type ChatServerProcess, spawnChatServer } from '../helpers/processes.js';
import { ADMIN_KEY, KEY } from '../helpers/server.js';
import { type Frame, TestClient } from '../helpers/ws-client.js';

interface ChatProcess {
  proc: ChatServerProcess;
  adminFetch(path: string): Promise<Response>;
  createRoom(name: string): Promise<number>;
}

async function start(dataDir: string, offset: number): Promise<ChatProcess> {
  const proc = await spawnChatServer(
    {
      KEY,
      ADMIN_KEY,
      DATA_DIR: dataDir,
      MAX_ROOMS: '4',
      RATE_LIMIT_MESSAGES: '100000',
      SHUTDOWN_TIMEOUT_MS: '10000',
    },
    { offset: 120 + offset },
  );
  const { api, admin } = proc;
  return {
    proc,
    adminFetch: (path) => fetch(`${admin}${path}`, { headers: { 'X-API-Key': ADMIN_KEY } }),
    async createRoom(name) {
      const res = await fetch(`${api}/room/${name}`, { method: 'POST', headers: { 'X-API-Key': KEY } });
      assert.ok(res.status === 201 || res.status === 200, `create ${name}: ${res.status}`);
      return ((await res.json()) as { data: { port: number } }).data.port;
    },
  };
}

/** A graceful stop (SIGTERM) that must end with exit code 0. */
async function stop(p: ChatProcess): Promise<void> {
  const code = await p.proc.kill('SIGTERM');
  assert.equal(code, 0, `exit code; last lines: ${JSON.stringify(p.proc.lines.slice(-5))}`);
}

type Stored = { id: number; text: string };

/** The whole stored transcript of a room, oldest first, read page by page. */
async function transcript(p: ChatProcess, room: string): Promise<Stored[]> {
  const out: Stored[] = [];
  let before: number | null | undefined;
  for (let page = 0; page < 100; page++) {
    const query = before === undefined ? '' : `&before=${before}`;
    const res = await p.adminFetch(`/room/${room}/messages?limit=500${query}`);
    const body = (await res.json()) as { data: { messages: Stored[]; next: number | null } };
    out.push(...body.data.messages);
    before = body.data.next;
    if (before === null) break;
  }
  return out.reverse();
}

describe('restarts on one DATA_DIR', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'chatserver-restart-'));
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  it('keeps all 2,000 messages sent across 3 rooms right before a SIGTERM, in order, none twice', async () => {
    const rooms = ['burst0', 'burst1', 'burst2'];
    const first = await start(dataDir, 0);
    const clients: TestClient[] = [];
    for (const room of rooms) {
      const port = await first.createRoom(room);
      clients.push((await TestClient.join(port, { name: `sender-${room}` })).client);
    }
    const sent: string[][] = [[], [], []];
    const lastRef = ['', '', ''];
    for (let i = 0; i < 2000; i++) {
      const r = i % 3;
      const text = `msg ${i}`;
      sent[r]!.push(text);
      lastRef[r] = `r${i}`;
      clients[r]!.send({ type: 'message', text, ref: lastRef[r] });
    }
    // Each room acks in order: its last ack means it accepted everything before.
    await Promise.all(clients.map((c, r) => c.next('ack', (f: Frame) => f.ref === lastRef[r])));
    for (const c of clients) assert.equal(c.frames.filter((f) => f.type === 'error').length, 0);
    await stop(first);
    const summary = first.proc.lines.find((l) => l.message === 'Transcripts written');
    assert.deepEqual([summary?.written, summary?.dropped], [2000, 0], 'the graceful stop wrote what was queued');

    const second = await start(dataDir, 1);
    let total = 0;
    for (let r = 0; r < 3; r++) {
      const stored = await transcript(second, rooms[r]!);
      total += stored.length;
      assert.deepEqual(
        stored.map((m) => m.text),
        sent[r],
        `${rooms[r]} holds every message in order`,
      );
      assert.deepEqual(
        stored.map((m) => m.id),
        sent[r]!.map((_, i) => i + 1),
        `${rooms[r]} ids 1..n, none twice`,
      );
    }
    assert.equal(total, 2000);
    await stop(second);
  });

  it('recovers exactly 41–60 for a client that saw 40 and reconnects after the whole server restarted', async () => {
    const first = await start(dataDir, 2);
    const port = await first.createRoom('recover');
    const { client: reader } = await TestClient.join(port, { name: 'Reader' });
    const { client: writer } = await TestClient.join(port, { name: 'Writer' });
    for (let i = 1; i <= 40; i++) writer.send({ type: 'message', text: `m${i}` });
    const seen = await reader.next('message', (f) => f.text === 'm40');
    assert.equal(seen.id, 40);
    reader.close();
    for (let i = 41; i <= 50; i++) writer.send({ type: 'message', text: `m${i}`, ref: `r${i}` });
    await writer.next('ack', (f) => f.ref === 'r50');
    await stop(first);

    const second = await start(dataDir, 3);
    const newPort = await second.createRoom('recover');
    const { client: writer2, welcome } = await TestClient.join(newPort, { name: 'Writer' });
    assert.equal((welcome.history as Frame[]).at(-1)?.id, 50, 'history continues across the restart');
    for (let i = 51; i <= 60; i++) writer2.send({ type: 'message', text: `m${i}`, ref: `r${i}` });
    const ack = await writer2.next('ack', (f) => f.ref === 'r51');
    assert.equal(ack.id, 51, 'ids continue across the restart');
    await writer2.next('ack', (f) => f.ref === 'r60');

    const { client: back, welcome: recovered } = await TestClient.join(newPort, { name: 'Reader', since: 40 });
    assert.equal(recovered.recovered, true);
    const history = recovered.history as Frame[];
    assert.deepEqual(
      history.map((m) => m.id),
      Array.from({ length: 20 }, (_, i) => 41 + i),
    );
    assert.deepEqual(
      history.map((m) => m.text),
      Array.from({ length: 20 }, (_, i) => `m${41 + i}`),
    );
    back.close();
    writer2.close();
    await stop(second);
  });
});
