/**
 * Whole-server restarts with real processes on one DATA_DIR: a SIGTERM right
 * after a burst must lose no accepted message, a room re-created after the
 * restart continues its ids and recovers a client's gap across it, and SIGKILLs
 * under load never make a room give an id twice or lose an acknowledged message.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { type ChatServerProcess, spawnChatServer } from '../helpers/processes.js';
import { ADMIN_KEY, KEY } from '../helpers/server.js';
import { eventually } from '../helpers/wait.js';
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
    // After the block reserved before the restart: ids skip, never repeat.
    assert.ok((ack.id as number) > 50, `ids continue above 50 across the restart (got ${String(ack.id)})`);
    await writer2.next('ack', (f) => f.ref === 'r60');

    const { client: back, welcome: recovered } = await TestClient.join(newPort, { name: 'Reader', since: 40 });
    assert.equal(recovered.recovered, true);
    const history = recovered.history as Frame[];
    const resumed = ack.id as number;
    assert.deepEqual(
      history.map((m) => m.id),
      [...Array.from({ length: 10 }, (_, i) => 41 + i), ...Array.from({ length: 10 }, (_, i) => resumed + i)],
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

/** One room's view across SIGKILL rounds: what its sender was acked and every id anyone was given. */
interface RoomLog {
  /** text → id, for every message acked to its sender. */
  acked: Map<string, number>;
  /** Per round, every id seen (acks and the reader's frames). */
  ids: number[][];
  /** The highest id the reader has seen, for its `since`. */
  readerSeen: number;
}

describe('SIGKILL under load, three rounds on one DATA_DIR (issue 14)', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'chatserver-sigkill-'));
  after(() => rmSync(dataDir, { recursive: true, force: true }));
  const rooms = ['ka', 'kb', 'kc'];
  const logs: RoomLog[] = rooms.map(() => ({ acked: new Map(), ids: [], readerSeen: 0 }));
  let sent = 0;

  /** ~200 messages/s over the three rooms until the process is killed; then every client is closed. */
  async function round(k: number): Promise<void> {
    const p = await start(dataDir, 4 + k);
    const senders: TestClient[] = [];
    const readers: TestClient[] = [];
    for (const [r, room] of rooms.entries()) {
      const port = await p.createRoom(room);
      const log = logs[r]!;
      const ids: number[] = [];
      log.ids.push(ids);
      const { client: sender } = await TestClient.join(port, { name: `s-${room}` });
      // Each message's ref is its text.
      sender.ws.on('message', (data) => {
        for (const line of data.toString().split('\n')) {
          const f = JSON.parse(line) as Frame;
          if (f.type !== 'ack' || typeof f.id !== 'number') continue;
          ids.push(f.id);
          log.acked.set(f.ref as string, f.id);
        }
      });
      senders.push(sender);
      // The reader comes back with what it saw before the kill: it must recover every later message.
      const since = log.readerSeen;
      const { client: reader, welcome } = await TestClient.join(
        port,
        since === 0 ? { name: 'r' } : { name: 'r', since },
      );
      if (since > 0) assert.equal(welcome.recovered, true, `${room}: round ${k} recovers after ${since}`);
      const seenIds = (f: Frame) => {
        if (f.type !== 'message' || typeof f.id !== 'number') return;
        ids.push(f.id);
        log.readerSeen = Math.max(log.readerSeen, f.id);
      };
      for (const f of (welcome.history as Frame[] | undefined) ?? []) seenIds(f);
      reader.ws.on('message', (data) => {
        for (const line of data.toString().split('\n')) seenIds(JSON.parse(line) as Frame);
      });
      readers.push(reader);
    }
    const load = setInterval(() => {
      for (const sender of senders) {
        const text = `k${k} m${sent++}`;
        sender.send({ type: 'message', text, ref: text });
      }
    }, 15);
    try {
      const before = logs.map((l) => l.acked.size);
      await eventually(
        `150 acks per room in round ${k}`,
        () => logs.every((l, r) => l.acked.size - before[r]! >= 150),
        20_000,
      );
      assert.equal(await p.proc.kill('SIGKILL'), null, 'killed, not exited');
    } finally {
      clearInterval(load);
      for (const c of [...senders, ...readers]) c.close();
    }
  }

  it('never gives an id twice: after each restart every id is above every id given before', async () => {
    for (let k = 0; k < 3; k++) await round(k);
    for (const [r, log] of logs.entries()) {
      for (let k = 1; k < log.ids.length; k++) {
        const earlier = Math.max(...log.ids.slice(0, k).flat());
        const now = Math.min(...log.ids[k]!);
        assert.ok(now > earlier, `${rooms[r]}: round ${k} gave ${now} after ${earlier} was given`);
      }
    }
  });

  it('keeps every acknowledged message in the store exactly once', async () => {
    const p = await start(dataDir, 8);
    for (const [r, room] of rooms.entries()) {
      assert.ok(logs[r]!.acked.size >= 3 * 150, `${room}: the load above acked ${logs[r]!.acked.size} messages`);
      const stored = await transcript(p, room);
      const byText = new Map<string, number[]>();
      for (const m of stored) byText.set(m.text, [...(byText.get(m.text) ?? []), m.id]);
      const missing = [...logs[r]!.acked].filter(([text, id]) => byText.get(text)?.join() !== String(id));
      assert.deepEqual(missing.slice(0, 5), [], `${room}: ${missing.length} of ${logs[r]!.acked.size} acked lost`);
      assert.equal(new Set(stored.map((m) => m.id)).size, stored.length, `${room}: no id stored twice`);
    }
    await stop(p);
  });
});
