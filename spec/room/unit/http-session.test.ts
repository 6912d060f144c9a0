/** The HTTP session model with a fake clock: keep-alive, idle end, the backlog limit, stream replacement. */
import assert from 'node:assert/strict';
import type { ServerResponse } from 'node:http';
import { describe, it } from 'node:test';
import type { Client } from '../../../src/room/client.js';
import { type HttpSession, HttpSessions, KEEP_ALIVE_MS } from '../../../src/room/http-session.js';
import { FakeClock } from '../fakes.js';

/** What a session writes to its stream, and whether it was ended. */
class FakeStream {
  written: string[] = [];
  ended = false;
  writableLength = 0;
  private onClose: () => void = () => undefined;
  write(chunk: string | Buffer): boolean {
    this.written.push(chunk.toString());
    return true;
  }
  end(chunk?: string): void {
    if (chunk !== undefined) this.written.push(chunk);
    this.ended = true;
    this.onClose();
  }
  destroy(): void {
    this.end();
  }
  on(event: string, fn: () => void): this {
    if (event === 'close') this.onClose = fn;
    return this;
  }
  get res(): ServerResponse {
    return this as unknown as ServerResponse;
  }
}

function setup(keepAliveMs?: number) {
  const clock = new FakeClock();
  const ended: HttpSession[] = [];
  const sessions = new HttpSessions({
    clock,
    idleMs: 30_000,
    slowReaderBytes: 100,
    ...(keepAliveMs === undefined ? {} : { keepAliveMs }),
    ended: (s) => ended.push(s),
  });
  const tooSlow: HttpSession[] = [];
  const open = () => {
    const session = sessions.create();
    session.client = { onTooSlow: () => tooSlow.push(session), pong: () => undefined } as unknown as Client;
    session.send(Buffer.from('{"type":"welcome"}'));
    return session;
  };
  return { clock, sessions, ended, tooSlow, open };
}

describe('HTTP sessions', () => {
  it('writes a keep-alive comment to every open stream every 15 s, and only to open ones', () => {
    const { clock, open } = setup();
    assert.equal(KEEP_ALIVE_MS, 15_000);
    const streamed = new FakeStream();
    open().attach(streamed.res, undefined, () => []);
    open(); // no stream: nothing to write to
    clock.advance(14_999);
    assert.deepEqual(streamed.written, []);
    clock.advance(1);
    assert.deepEqual(streamed.written, [': keep-alive\n\n']);
    clock.advance(15_000);
    assert.equal(streamed.written.length, 2);
  });

  it('takes the keep-alive interval as an option', () => {
    const { clock, open } = setup(1_000);
    const stream = new FakeStream();
    open().attach(stream.res, undefined, () => []);
    clock.advance(3_000);
    assert.equal(stream.written.length, 3);
  });

  it('ends a session after the idle time without a stream, never while one is open', () => {
    const { clock, ended, open, sessions } = setup();
    const session = open();
    const stream = new FakeStream();
    clock.advance(20_000);
    session.attach(stream.res, undefined, () => []);
    clock.advance(60_000);
    assert.deepEqual(ended, []);
    stream.end(); // the stream drops: the idle time starts again
    clock.advance(29_999);
    assert.deepEqual(ended, []);
    clock.advance(1);
    assert.deepEqual(ended, [session]);
    assert.equal(sessions.get(session.id), undefined);
  });

  it('cuts a session whose backlog without a stream passes the byte limit', () => {
    const { open, tooSlow } = setup();
    const session = open();
    session.send(Buffer.from('x'.repeat(60)));
    assert.deepEqual(tooSlow, []);
    session.send(Buffer.from('y'.repeat(60)));
    assert.deepEqual(tooSlow, [session]);
  });

  it('sends the backlog on the next stream, without messages Last-Event-ID already recovered', () => {
    const { open } = setup();
    const session = open();
    session.send(Buffer.from('{"type":"message","id":4,"text":"a"}\n{"type":"ack","ref":"r","id":4}'));
    session.send(Buffer.from('{"type":"message","id":5,"text":"b"}'));
    const stream = new FakeStream();
    const recovered = { type: 'message', id: 4, text: 'a' } as never;
    session.attach(stream.res, 3, () => [recovered]);
    assert.deepEqual(stream.written, [
      `id: 4\ndata: {"type":"message","id":4,"text":"a"}\n\n`,
      `data: {"type":"ack","ref":"r","id":4}\n\n`,
      `id: 5\ndata: {"type":"message","id":5,"text":"b"}\n\n`,
    ]);
  });

  it('ends the older stream when a newer one opens, and ends the last with the close event', () => {
    const { open, ended } = setup();
    const session = open();
    const first = new FakeStream();
    const second = new FakeStream();
    session.attach(first.res, undefined, () => []);
    session.attach(second.res, undefined, () => []);
    assert.equal(first.ended, true);
    assert.equal(second.ended, false);
    assert.deepEqual(ended, []);
    session.close(4003, 'Banned from this room');
    assert.deepEqual(second.written.at(-1), 'event: close\ndata: {"code":4003,"reason":"Banned from this room"}\n\n');
    assert.deepEqual(ended, [session]);
  });

  it('gives sessions ids that are long and never repeat', () => {
    const { sessions } = setup();
    const ids = new Set(Array.from({ length: 1000 }, () => sessions.create().id));
    assert.equal(ids.size, 1000);
    for (const id of ids) assert.match(id, /^[A-Za-z0-9_-]{24}$/);
  });
});
