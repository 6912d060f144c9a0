/**
 * Collects what a room records for the store (accepted messages, moderation) and
 * posts it to the master once per event-loop pass: one thread message per pass,
 * not one per chat message, and no added delay when the room is quiet. The
 * worker flushes it before answering `close`, so nothing recorded is left behind.
 */
import type { ChatRecord } from '../protocol/room-messages.js';

export class RecordBatcher {
  private records: ChatRecord[] = [];
  private scheduled = false;

  constructor(private readonly send: (records: ChatRecord[]) => void) {}

  add(record: ChatRecord): void {
    this.records.push(record);
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.flush());
  }

  flush(): void {
    this.scheduled = false;
    if (this.records.length === 0) return;
    const records = this.records;
    this.records = [];
    this.send(records);
  }
}
