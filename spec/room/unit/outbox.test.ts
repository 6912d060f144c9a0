import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encode, FlushScheduler, Outbox, type OutboxTarget } from '../../../src/room/outbox.js';

class Target implements OutboxTarget {
  readonly sent: Buffer[] = [];
  readonly bufferedAmount = 0;
  send(data: Buffer): void {
    this.sent.push(data);
  }
  onTooSlow(): void {
    throw new Error('not too slow');
  }
}

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
