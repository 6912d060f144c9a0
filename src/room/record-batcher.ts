/**
 * Collects what a room records for the store (accepted messages, moderation) and
 * posts it to the master once per event-loop pass: one thread message per pass,
 * not one per chat message, and no added delay when the room is quiet. The
 * worker flushes it before answering `close`, so nothing recorded is left behind.
 */
import type { ChatRecord, RecordBatch } from '../protocol/room-messages.js';

export class RecordBatcher {
  private records: ChatRecord[] = [];
  private scheduled = false;
  /** The sequence number the next record gets (RecordBatch). */
  private nextSeq = 1;

  constructor(private readonly send: (batch: RecordBatch) => void) {}

  /** Queues a record; returns its sequence number. */
  add(record: ChatRecord): number {
    this.records.push(record);
    const seq = this.nextSeq++;
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
    return seq;
  }

  flush(): void {
    this.scheduled = false;
    if (this.records.length === 0) return;
    const records = this.records;
    this.records = [];
    this.send({ firstSeq: this.nextSeq - records.length, records });
  }
}
