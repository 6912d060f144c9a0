/**
 * Per-pass write coalescing, seen from a reader of a real room: frames that leave
 * together keep their order, are never split, and stay within the protocol's
 * 64 KiB per WebSocket message; a quiet room sends each message on its own at once.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { WebSocket } from 'ws';
import { MAX_BATCH_BYTES } from '../../src/protocol/frames.js';
import { startTestServer } from '../helpers/server.js';
import { eventually } from '../helpers/wait.js';
import { TestClient } from '../helpers/ws-client.js';

interface ChatFrame {
  type: string;
  id?: number;
  text?: string;
}

/** A reader that keeps every WebSocket message exactly as it arrived. */
class RawReader {
  readonly messages: Buffer[] = [];
  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data: Buffer) => this.messages.push(data));
  }

  static async join(port: number, name: string): Promise<RawReader> {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/`);
    ws.on('error', () => undefined);
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    const reader = new RawReader(ws);
    ws.send(JSON.stringify({ type: 'join', name }));
    await eventually(`${name}'s welcome`, () => reader.frames().some((f) => f.type === 'welcome'));
    return reader;
  }

  /** Every frame received, in order: each message split on newlines, each line parsed. */
  frames(): ChatFrame[] {
    return this.messages.flatMap((m) =>
      m
        .toString()
        .split('\n')
        .map((line) => JSON.parse(line) as ChatFrame),
    );
  }

  chat(): ChatFrame[] {
    return this.frames().filter((f) => f.type === 'message');
  }

  close(): void {
    this.ws.close();
  }
}

// Presence is held back for the whole test, so only the frames the test causes arrive.
const ENV = { PRESENCE_INTERVAL_MS: '60000', RATE_LIMIT_MESSAGES: '10000', MAX_MESSAGE_CHARS: '500' };

describe('per-pass write coalescing', () => {
  it('delivers a burst from several clients to every reader once, in order, in whole frames of at most 64 KiB a message', async () => {
    const server = await startTestServer(ENV);
    const port = await server.createRoom('burst');
    const readers = [await RawReader.join(port, 'reader1'), await RawReader.join(port, 'reader2')];
    const publishers = await Promise.all(
      ['alice', 'bob', 'carol'].map(async (name) => (await TestClient.join(port, { name })).client),
    );
    after(() => [...readers, ...publishers].forEach((c) => c.close()));

    const perPublisher = 150;
    // ~450-character texts: a burst of 450 messages is several times 64 KiB, so
    // batches must be cut, and a cut in the middle of a frame would show.
    const pad = 'x'.repeat(440);
    for (let i = 0; i < perPublisher; i++) {
      for (const [p, publisher] of publishers.entries()) publisher.send({ type: 'message', text: `${p}:${i}:${pad}` });
    }
    const total = perPublisher * publishers.length;
    for (const reader of readers) await eventually('every message', () => reader.chat().length >= total, 10000);

    for (const reader of readers) {
      for (const message of reader.messages) {
        const lines = message.toString().split('\n');
        assert.ok(
          message.length <= MAX_BATCH_BYTES || lines.length === 1,
          `a ${message.length}-byte message holds ${lines.length} frames`,
        );
        for (const line of lines) assert.doesNotThrow(() => JSON.parse(line), 'every line is a whole JSON frame');
      }
      const chat = reader.chat();
      assert.equal(chat.length, total, 'every message exactly once');
      const ids = chat.map((f) => f.id!);
      assert.deepEqual(
        ids,
        [...ids].sort((a, b) => a - b),
        'in the order the room accepted them',
      );
      assert.equal(new Set(ids).size, total);
      for (let p = 0; p < publishers.length; p++) {
        const own = chat.filter((f) => f.text!.startsWith(`${p}:`)).map((f) => Number(f.text!.split(':')[1]));
        assert.deepEqual(
          own,
          Array.from({ length: perPublisher }, (_, i) => i),
          `publisher ${p}'s messages in the order sent`,
        );
      }
      assert.ok(reader.messages.length < total, 'frames ready together left together');
    }
    assert.deepEqual(
      readers[0]!.chat().map((f) => f.id),
      readers[1]!.chat().map((f) => f.id),
      'every reader sees the same sequence',
    );
  });

  it('sends each message of a quiet room at once, as its own WebSocket message', async () => {
    const server = await startTestServer(ENV);
    const port = await server.createRoom('quiet');
    const readers = [await RawReader.join(port, 'reader1'), await RawReader.join(port, 'reader2')];
    const { client: publisher } = await TestClient.join(port, { name: 'alice' });
    after(() => [...readers, publisher].forEach((c) => c.close()));

    for (let i = 0; i < 3; i++) {
      const before = readers.map((r) => r.messages.length);
      publisher.send({ type: 'message', text: `quiet ${i}` });
      // Nothing else is sent: the message must arrive without waiting for more traffic.
      for (const [n, reader] of readers.entries())
        await eventually(`message ${i} at reader ${n + 1}`, () => reader.messages.length > before[n]!);
      for (const [n, reader] of readers.entries()) {
        const arrived = reader.messages.slice(before[n]!);
        assert.equal(arrived.length, 1, 'one WebSocket message');
        const frames = arrived[0]!.toString().split('\n');
        assert.equal(frames.length, 1, 'holding one frame');
        const frame = JSON.parse(frames[0]!) as ChatFrame;
        assert.equal(frame.type, 'message');
        assert.equal(frame.text, `quiet ${i}`);
      }
    }
  });
});
