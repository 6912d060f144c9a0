/**
 * Acks held until the store has the message: an `ack` means stored. Entries wait
 * in record order (sequence numbers only grow), so a `committed` notice releases
 * a prefix. The queue is bounded: when it is full, the room refuses new posts
 * (UNAVAILABLE) rather than grow without limit while the store falls behind. A
 * client that has closed before its ack is due simply never gets it.
 */
import type { Client } from './client.js';
import { encode } from './outbox.js';

/** Messages with a ref that may wait for the store at once, per room. */
export const MAX_PENDING_ACKS = 10_000;

interface PendingAck {
  seq: number;
  client: Client;
  ref: string;
  id: number;
}

export class PendingAcks {
  private queue: PendingAck[] = [];
  private head = 0;

  constructor(private readonly capacity = MAX_PENDING_ACKS) {}

  get size(): number {
    return this.queue.length - this.head;
  }

  get full(): boolean {
    return this.size >= this.capacity;
  }

  hold(seq: number, client: Client, ref: string, id: number): void {
    this.queue.push({ seq, client, ref, id });
  }

  /** Sends every held ack whose record is durable (seq ≤ through); returns how many were sent. */
  release(through: number): number {
    let sent = 0;
    const queue = this.queue;
    while (this.head < queue.length && queue[this.head]!.seq <= through) {
      const { client, ref, id } = queue[this.head]!;
      this.head += 1;
      if (client.isJoined) {
        client.push(encode({ type: 'ack', ref, id }));
        sent += 1;
      }
    }
    // Drop the released prefix now and then, not on every release.
    if (this.head > 1024 && this.head * 2 > queue.length) {
      this.queue = queue.slice(this.head);
      this.head = 0;
    }
    return sent;
  }
}
