import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encode, FlushScheduler, Outbox, type OutboxTarget } from '../../../src/room/outbox.js';

class Target implements OutboxTarget {
  readonly sent: Buffer[] = [];
  readonly bufferedAmount = 0;
  failures: unknown[] = [];
  /** When set, the next write throws it (a transport that broke mid-pass). */
  breakWith: Error | undefined;
  send(data: Buffer): void {
    if (this.breakWith !== undefined) throw this.breakWith;
    this.sent.push(data);
  }
  onTooSlow(): void {
    throw new Error('not too slow');
  }
  onSendFailed(error: unknown): void {
    this.failures.push(error);
  }
}

const nextPass = () => new Promise((resolve) => setImmediate(resolve));

describe('room unit: one encoding of a broadcast per pass', () => {
  it('hands every reader the same bytes even when senders with an ack of their own come between them', async () => {
    const scheduler = new FlushScheduler();
    const targets = Array.from({ length: 7 }, () => new Target());
    const outboxes = targets.map((t) => new Outbox(t, scheduler, 1 << 20));
    const broadcast = encode({ type: 'message', id: 1, text: 'hi' });
    for (const outbox of outboxes) outbox.push(broadcast);
    // Senders 1, 3 and 5 also get an ack in this pass: lists of their own.
    for (const i of [1, 3, 5]) outboxes[i]!.push(encode({ type: 'ack', ref: `r${i}`, id: i }));
    await new Promise((resolve) => setImmediate(resolve));
    const readers = [0, 2, 4, 6].map((i) => targets[i]!.sent);
    for (const sent of readers) assert.equal(sent.length, 1);
    for (const sent of readers) assert.equal(sent[0], readers[0]![0], 'the very same Buffer, encoded once');
    for (const i of [1, 3, 5]) assert.match(targets[i]!.sent[0]!.toString(), new RegExp(`"ref":"r${i}"`));
  });
});

describe('room unit: a big pass yields between chunks', () => {
  it('lets a frame queued mid-pass leave with this pass for the members not yet written, in order, once each', async () => {
    const scheduler = new FlushScheduler(3); // chunks of three outboxes
    const targets = Array.from({ length: 10 }, () => new Target());
    const outboxes = targets.map((t) => new Outbox(t, scheduler, 1 << 20));
    const first = encode({ type: 'message', id: 1, text: 'first' });
    const second = encode({ type: 'message', id: 2, text: 'second' });
    for (const outbox of outboxes) outbox.push(first);
    // The pass starts in this setImmediate: after its first chunk, three members have `first`.
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(
      targets.map((t) => t.sent.length),
      [1, 1, 1, 0, 0, 0, 0, 0, 0, 0],
    );
    for (const outbox of outboxes) outbox.push(second); // a message read between chunks
    for (let i = 0; i < 10; i++) await new Promise((resolve) => setImmediate(resolve));
    const texts = targets.map((t) => t.sent.map((b) => b.toString()).join('\n'));
    // The first three get `second` in a pass of its own; the rest get both frames in one message of this pass.
    for (const i of [0, 1, 2]) assert.equal(targets[i]!.sent.length, 2);
    for (const i of [3, 4, 5, 6, 7, 8, 9]) assert.equal(targets[i]!.sent.length, 1);
    for (const text of texts) assert.equal(text, `${first.json}\n${second.json}`);
    // Members with the same frames still share one buffer.
    assert.equal(targets[3]!.sent[0], targets[9]!.sent[0]);
  });
});

describe('room unit: a write that throws ends only its own member', () => {
  it('writes the rest of the pass, tells the failed member once, and later passes still run', async () => {
    const scheduler = new FlushScheduler(2); // chunks of two: the failure falls inside a chunk, not at its end
    const targets = Array.from({ length: 5 }, () => new Target());
    const outboxes = targets.map((t) => new Outbox(t, scheduler, 1 << 20));
    const broken = new Error('socket gone');
    targets[2]!.breakWith = broken;
    const first = encode({ type: 'message', id: 1, text: 'first' });
    for (const outbox of outboxes) outbox.push(first);
    for (let i = 0; i < 5; i++) await nextPass();
    assert.deepEqual(
      targets.map((t) => t.sent.length),
      [1, 1, 0, 1, 1],
    );
    assert.deepEqual(targets[2]!.failures, [broken]);
    assert.equal(outboxes[2]!.pending.length, 0, "the failed member's frames are dropped, not retried");
    const second = encode({ type: 'message', id: 2, text: 'second' });
    for (const i of [0, 1, 3, 4]) outboxes[i]!.push(second);
    for (let i = 0; i < 5; i++) await nextPass();
    for (const i of [0, 1, 3, 4])
      assert.equal(targets[i]!.sent.map(String).join('\n'), `${first.json}\n${second.json}`);
    assert.equal(targets[2]!.failures.length, 1);
  });
});
