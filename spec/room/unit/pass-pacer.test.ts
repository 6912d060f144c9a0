/** A big room's flush passes paced by their own measured length (src/room/pass-pacer.ts), on a fake clock. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encode, FlushScheduler, Outbox, type OutboxTarget, type PassTimers } from '../../../src/room/outbox.js';
import { PassPacer } from '../../../src/room/pass-pacer.js';

/**
 * A fake clock whose time also moves while a timer runs (each write takes time),
 * which the room's FakeClock does not model: advance() never moves time back.
 */
class FakeClock {
  time = 0;
  private timers: Array<{ at: number; seq: number; fn: () => void }> = [];
  private seq = 0;
  now(): number {
    return this.time;
  }
  setTimeout(fn: () => void, ms: number): void {
    this.timers.push({ at: this.time + Math.max(0, ms), seq: this.seq++, fn });
  }
  advance(ms: number): void {
    const end = this.time + ms;
    for (;;) {
      this.timers.sort((a, b) => a.at - b.at || a.seq - b.seq);
      const due = this.timers[0];
      if (due === undefined || due.at > end) break;
      this.timers.shift();
      this.time = Math.max(this.time, due.at);
      due.fn();
    }
    this.time = Math.max(this.time, end);
  }
}

/** A member whose every write takes `writeMs` of the fake clock's time. */
class Target implements OutboxTarget {
  readonly sent: string[] = [];
  readonly bufferedAmount = 0;
  onSend: (() => void) | undefined;
  constructor(
    private readonly clock: FakeClock,
    public writeMs = 1,
  ) {}
  send(data: Buffer): void {
    this.sent.push(data.toString());
    this.clock.time += this.writeMs;
    this.onSend?.();
  }
  onTooSlow(): void {
    throw new Error('not too slow');
  }
  onSendFailed(): void {
    throw new Error('no write fails here');
  }
}

function room(size: number, pacer: PassPacer, chunk = 2) {
  const clock = new FakeClock();
  const timers: PassTimers = { now: () => clock.now(), later: (fn, ms) => clock.setTimeout(fn, ms) };
  const scheduler = new FlushScheduler(chunk, timers, pacer);
  const targets = Array.from({ length: size }, () => new Target(clock));
  const outboxes = targets.map((t) => new Outbox(t, scheduler, 1 << 20));
  const frames = Array.from({ length: 5 }, (_, i) => encode({ type: 'message', id: i + 1 }));
  const pushAll = (i: number) => {
    for (const o of outboxes) o.push(frames[i]!);
  };
  return { clock, targets, frames, pushAll };
}

describe('room unit: pass pacing', () => {
  it('waits after a big pass for up to twice its length, capped, and never after small ones', () => {
    const pacer = new PassPacer(2, 100, 200);
    /** A pass over `members` from `start` to `end`; answers the wait asked for right at its end. */
    const pass = (start: number, members: number, end: number) => {
      pacer.started(start, members);
      pacer.ended(start, members, end);
      return pacer.waitMs(end);
    };
    assert.equal(pass(0, 99, 500), 0, 'a small pass is never paced');
    assert.equal(pass(1_000, 100, 1_050), 50, '50 ms pass: the next starts 100 ms after it started');
    assert.equal(pass(2_000, 100, 2_150), 50, '150 ms pass: capped at 200 ms from its start');
    assert.equal(pass(3_000, 100, 3_300), 0, 'a pass longer than the cap: the next follows at once');
    assert.equal(pacer.waitMs(1_000_000), 0);
  });

  it('sends what arrives during the wait together, in order, once each', () => {
    const { clock, targets, frames, pushAll } = room(6, new PassPacer(2, 4, 200));
    pushAll(0);
    clock.advance(6); // the first pass: 6 writes of 1 ms, in chunks of 2
    for (const t of targets) assert.deepEqual(t.sent, [frames[0]!.json]);
    pushAll(1);
    clock.advance(2);
    pushAll(2);
    clock.advance(3); // 11 ms after the first pass started: still waiting
    for (const t of targets) assert.equal(t.sent.length, 1);
    clock.advance(7); // the next pass starts at 12 ms, twice the first one's length
    for (const t of targets) assert.deepEqual(t.sent, [frames[0]!.json, `${frames[1]!.json}\n${frames[2]!.json}`]);
  });

  it('lets a frame read mid-pass join it for members not yet written, and holds the rest until that pass ends', () => {
    const { clock, targets, frames, pushAll } = room(6, new PassPacer(2, 4, 200));
    const log: number[] = [];
    targets.forEach((t, i) => (t.onSend = () => log.push(i)));
    pushAll(0);
    clock.advance(6); // first pass: 6 ms
    pushAll(1); // the second pass starts at 12 ms
    for (const t of targets) t.writeMs = 10; // and is slower than the first
    targets[1]!.onSend = () => {
      log.push(1);
      // A message read between chunks: members 0 and 1 are written, 2–5 not yet.
      if (targets[1]!.sent.length === 2) clock.setTimeout(() => pushAll(2), 0);
    };
    clock.advance(1_000);
    for (const i of [2, 3, 4, 5])
      assert.deepEqual(targets[i]!.sent.slice(1), [`${frames[1]!.json}\n${frames[2]!.json}`]);
    for (const i of [0, 1]) assert.deepEqual(targets[i]!.sent.slice(1), [frames[1]!.json, frames[2]!.json]);
    // Pass two wrote 0–5; the third (0 and 1 again) started only after it.
    assert.deepEqual(log.slice(6), [0, 1, 2, 3, 4, 5, 0, 1]);
  });

  it('does not pace a room below the size', () => {
    const { clock, targets, pushAll } = room(3, new PassPacer(2, 4, 200));
    pushAll(0);
    clock.advance(3);
    pushAll(1);
    clock.advance(3);
    for (const t of targets) assert.equal(t.sent.length, 2);
  });
});
