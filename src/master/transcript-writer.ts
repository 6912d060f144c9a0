/**
 * Writes what rooms record (accepted messages, deletions, clears, the moderation
 * log) to the store in batches: one writeBatch per 250 ms or per 500 queued
 * records, whichever comes first, so the store sees a few large writes instead of
 * one per message.
 *
 * The queue keeps the rooms' order, and a batch is only taken off it once the
 * store has it; a failed batch is retried (with a doubling pause, up to 10 s) with
 * the same records, which the store writes at most once. The queue is bounded:
 * while the store is down it fills, and once full, new records are dropped,
 * counted and logged — the server keeps chatting rather than growing without
 * limit. A graceful stop writes everything queued (within its deadline).
 */
import type { Logger } from '../logger.js';
import type { ChatMessage } from '../protocol/frames.js';
import type { RecordBatch, RestoredMessage } from '../protocol/room-messages.js';
import { emptyBatch, type NewModerationEntry, type Store, type WriteBatch } from '../store/store.js';
import type { StoreHealth } from './store-health.js';

/** `seq`: the room's record sequence number (RecordBatch), for `committed`; none for admin entries. */
type Op = { seq?: number } & (
  | { op: 'message'; room: string; message: ChatMessage }
  | { op: 'delete'; room: string; id: number }
  | { op: 'clear'; room: string; throughId: number }
  | { op: 'moderation'; entry: NewModerationEntry }
);

export interface TranscriptWriterOptions {
  store: Store;
  health: StoreHealth;
  logger: Logger;
  /** Most records queued; beyond it new ones are dropped. */
  queueLimit: number;
  batchMax?: number;
  intervalMs?: number;
  retryMaxMs?: number;
  /** Every record of `room` up to sequence number `through` is now in the store. */
  onCommitted?(room: string, through: number): void;
}

export interface WriterStatus {
  queued: number;
  written: number;
  dropped: number;
}

const DROP_LOG_INTERVAL_MS = 10_000;

export class TranscriptWriter {
  private queue: Op[] = [];
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> | null = null;
  private failures = 0;
  private written = 0;
  private dropped = 0;
  private droppedUnlogged = 0;
  private lastDropLog = 0;
  private stopped = false;
  /** Batches the store took and refused, for the metrics. */
  readonly batches = { ok: 0, failed: 0 };
  /** Told how long each batch write took (seconds) and whether it succeeded; set by the metrics. */
  onBatch: ((seconds: number, ok: boolean) => void) | null = null;
  /** The highest message id seen per room, written or not, so a re-created room never reuses one. */
  private readonly lastIds = new Map<string, number>();
  private readonly batchMax: number;
  private readonly intervalMs: number;
  private readonly retryMaxMs: number;
  private readonly log: Logger;

  constructor(private readonly options: TranscriptWriterOptions) {
    this.batchMax = options.batchMax ?? 500;
    this.intervalMs = options.intervalMs ?? 250;
    this.retryMaxMs = options.retryMaxMs ?? 10_000;
    this.log = options.logger.child({ component: 'transcripts' });
  }

  status(): WriterStatus {
    return { queued: this.queue.length, written: this.written, dropped: this.dropped };
  }

  /** Queues what a room recorded. */
  add(room: string, { firstSeq, records }: RecordBatch): void {
    records.forEach((record, i) => {
      const seq = firstSeq + i;
      if (record.kind === 'message') {
        this.lastIds.set(room, Math.max(this.lastIds.get(room) ?? 0, record.message.id));
        this.push({ op: 'message', room, message: record.message, seq });
        return;
      }
      const { kind: _kind, ...entry } = record;
      if (record.action === 'delete' && record.messageId !== null)
        this.push({ op: 'delete', room, id: record.messageId });
      if (record.action === 'clear' && record.messageId !== null)
        this.push({ op: 'clear', room, throughId: record.messageId });
      this.push({ op: 'moderation', entry: { room, ...entry }, seq });
    });
    this.schedule();
  }

  /** Queues a moderation entry made outside a room (the admin API). */
  addModeration(entry: NewModerationEntry): void {
    this.push({ op: 'moderation', entry });
    this.schedule();
  }

  private push(op: Op): void {
    if (this.queue.length < this.options.queueLimit) {
      this.queue.push(op);
      return;
    }
    this.dropped += 1;
    this.droppedUnlogged += 1;
    const now = Date.now();
    if (now - this.lastDropLog >= DROP_LOG_INTERVAL_MS) {
      this.log.error('Transcript queue is full; dropping records until the store catches up', {
        droppedNow: this.droppedUnlogged,
        droppedTotal: this.dropped,
        queueLimit: this.options.queueLimit,
      });
      this.lastDropLog = now;
      this.droppedUnlogged = 0;
    }
  }

  /** Remembers the id a room continues after, for when it is re-created again. */
  noteLastId(room: string, id: number): void {
    this.lastIds.set(room, Math.max(this.lastIds.get(room) ?? 0, id));
  }

  /** The highest message id of `room` this process has seen (0 if none). */
  lastIdOf(room: string): number {
    return this.lastIds.get(room) ?? 0;
  }

  /**
   * Lays the queued (not yet stored) records of `room` over a window read from the
   * store, so a room re-created before its last batch was written still gets it.
   */
  overlay(room: string, stored: RestoredMessage[]): RestoredMessage[] {
    const byId = new Map(stored.map((m) => [m.message.id, { ...m }]));
    for (const op of this.queue) {
      if (op.op === 'message' && op.room === room)
        byId.set(op.message.id, { message: op.message, deleted: false, cleared: false });
    }
    for (const op of this.queue) {
      if (op.op === 'delete' && op.room === room) {
        const m = byId.get(op.id);
        if (m) m.deleted = true;
      } else if (op.op === 'clear' && op.room === room) {
        for (const m of byId.values()) if (m.message.id <= op.throughId) m.cleared = true;
      }
    }
    return [...byId.values()].sort((a, b) => a.message.id - b.message.id);
  }

  private schedule(): void {
    if (this.stopped || this.writing !== null || this.queue.length === 0) return;
    if (this.failures === 0 && this.queue.length >= this.batchMax) {
      // A full batch goes now, not when the interval's timer fires.
      clearTimeout(this.timer);
      this.timer = undefined;
      void this.writeNext();
      return;
    }
    if (this.timer !== undefined) return;
    const delay = this.failures === 0 ? this.intervalMs : this.retryDelay();
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.writeNext();
    }, delay);
    this.timer.unref();
  }

  private retryDelay(): number {
    return Math.min(this.intervalMs * 2 ** this.failures, this.retryMaxMs);
  }

  /** Writes the oldest batch once; the promise never rejects. */
  private writeNext(): Promise<void> {
    if (this.writing !== null) return this.writing;
    if (this.queue.length === 0) return Promise.resolve();
    const ops = this.queue.slice(0, this.batchMax);
    const started = performance.now();
    const took = () => (performance.now() - started) / 1000;
    this.writing = this.options.store
      .writeBatch(toBatch(ops))
      .then(
        () => {
          this.batches.ok += 1;
          this.onBatch?.(took(), true);
          // Only now is the batch off the queue: nothing is lost if the write failed.
          this.queue.splice(0, ops.length);
          this.written += ops.filter((o) => o.op === 'message').length;
          this.reportCommitted(ops);
          this.failures = 0;
          this.options.health.ok();
        },
        (error: unknown) => {
          this.batches.failed += 1;
          this.onBatch?.(took(), false);
          this.failures += 1;
          this.options.health.failed(error);
          if (this.failures === 1 || this.failures % 10 === 0)
            this.log.warn('Transcript batch not written; retrying', {
              records: ops.length,
              queued: this.queue.length,
              attempts: this.failures,
              error: error instanceof Error ? error.message : String(error),
            });
        },
      )
      .finally(() => {
        this.writing = null;
        this.schedule();
      });
    return this.writing;
  }

  private reportCommitted(ops: readonly Op[]): void {
    const onCommitted = this.options.onCommitted;
    if (onCommitted === undefined) return;
    const through = new Map<string, number>();
    for (const op of ops) {
      if (op.seq === undefined) continue;
      const room = op.op === 'moderation' ? op.entry.room : op.room;
      through.set(room, Math.max(through.get(room) ?? 0, op.seq));
    }
    for (const [room, seq] of through) onCommitted(room, seq);
  }

  /** Writes everything queued, retrying until `deadline` (ms since the epoch); resolves with what is left. */
  async flush(deadline: number): Promise<number> {
    while (this.queue.length > 0 && Date.now() < deadline) {
      if (this.timer !== undefined && this.failures === 0) {
        clearTimeout(this.timer);
        this.timer = undefined;
      }
      const failuresBefore = this.failures;
      // A store that hangs must not hold the stop past its deadline.
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<void>((resolve) => (timer = setTimeout(resolve, Math.max(0, deadline - Date.now()))));
      await Promise.race([this.writeNext(), late]);
      clearTimeout(timer);
      if (this.failures > failuresBefore) {
        const pause = Math.min(this.retryDelay(), deadline - Date.now());
        if (pause > 0) await new Promise((resolve) => setTimeout(resolve, pause));
      }
    }
    return this.queue.length;
  }

  /** Flushes within the deadline and stops; what could not be written is counted in the log. */
  async stop(deadline: number): Promise<void> {
    if (this.stopped) return;
    const left = await this.flush(deadline);
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    if (left > 0) this.log.error('Stopping with transcript records not written', { records: left });
    else this.log.info('Transcripts written', { written: this.written, dropped: this.dropped });
  }
}

function toBatch(ops: readonly Op[]): WriteBatch {
  const batch = emptyBatch();
  for (const op of ops) {
    if (op.op === 'message') {
      const { id, ts, user, text } = op.message;
      batch.messages.push({ room: op.room, id, ts, user, text });
    } else if (op.op === 'delete') batch.deletions.push({ room: op.room, id: op.id });
    else if (op.op === 'clear') batch.clears.push({ room: op.room, throughId: op.throughId });
    else batch.moderation.push(op.entry);
  }
  return batch;
}
