/**
 * Writes what rooms record (accepted messages, deletions, clears, ban changes and
 * the moderation log) to the store by group commit: as soon as no write is
 * running, everything that has accumulated (up to 500 records) goes in one
 * writeBatch. An idle store sees a record at once; a busy one sees fewer, larger
 * writes, one after the other, never two at a time.
 *
 * The queue keeps the rooms' order, and a record is only taken off it once the
 * store has it; a failed batch is retried (with a doubling pause, up to 10 s) with
 * the same records, which the store writes at most once. The queue is bounded:
 * while the store is down it fills, and once full, new records are dropped,
 * counted and logged. A graceful stop writes everything queued (within its
 * deadline).
 *
 * After each batch, every room whose records went in is told how far its records
 * are durable (`onCommitted`): the highest sequence number up to which every
 * record of the room's current instance is stored. It only moves over contiguous
 * numbers, so a record dropped at the queue bound is never covered by a later
 * one; records of an earlier instance of the room (before `begin`) report nothing.
 */
import type { Logger } from '../logger.js';
import type { RecordBatch, RestoredMessage } from '../protocol/room-messages.js';
import type { BanChange, NewModerationEntry, Store } from '../store/store.js';
import { settleWithin } from '../lifecycle.js';
import { overlayWindow, type QueuedRecord, queuedOf, toBatch } from './data/queued.js';
import type { StoreHealth } from './store-health.js';

export interface TranscriptWriterOptions {
  store: Store;
  health: StoreHealth;
  logger: Logger;
  /** Most records queued; beyond it new ones are dropped. */
  queueLimit: number;
  batchMax?: number;
  /** The first pause after a failed batch; it doubles up to retryMaxMs. */
  retryMinMs?: number;
  retryMaxMs?: number;
  /** Every record of `room`'s current instance up to sequence number `through` is now in the store. */
  onCommitted?(room: string, through: number): void;
  /** One batch write ended: how long it took and whether the store took it. */
  onBatch?(seconds: number, ok: boolean): void;
}

export interface WriterStatus {
  queued: number;
  written: number;
  dropped: number;
}

/** Per room: its current instance and how far that instance's records are durable. */
interface RoomProgress {
  gen: number;
  through: number;
  /** Stored sequence numbers above `through`, waiting for the gap below them to fill. */
  ahead: Set<number>;
}

const DROP_LOG_INTERVAL_MS = 10_000;

export class TranscriptWriter {
  private queue: QueuedRecord[] = [];
  private timer: NodeJS.Timeout | undefined;
  private kick: NodeJS.Immediate | undefined;
  private writing: Promise<void> | null = null;
  private failures = 0;
  private written = 0;
  private dropped = 0;
  private droppedUnlogged = 0;
  private lastDropLog = 0;
  private stopped = false;
  private readonly progress = new Map<string, RoomProgress>();
  /** Batches the store took and refused, for the metrics. */
  readonly batches = { ok: 0, failed: 0 };
  private readonly batchMax: number;
  private readonly retryMinMs: number;
  private readonly retryMaxMs: number;
  private readonly log: Logger;

  constructor(private readonly options: TranscriptWriterOptions) {
    this.batchMax = options.batchMax ?? 500;
    this.retryMinMs = options.retryMinMs ?? 250;
    this.retryMaxMs = options.retryMaxMs ?? 10_000;
    this.log = options.logger.child({ component: 'transcripts' });
  }

  status(): WriterStatus {
    return { queued: this.queue.length, written: this.written, dropped: this.dropped };
  }

  /** A new instance of `room` begins: its sequence numbers start again from 1. */
  begin(room: string): void {
    const gen = (this.progress.get(room)?.gen ?? 0) + 1;
    this.progress.set(room, { gen, through: 0, ahead: new Set() });
  }

  /** Forgets a room's progress once its instance has ended and nothing of it is queued. */
  end(room: string): void {
    if (!this.queue.some((q) => q.room === room)) this.progress.delete(room);
  }

  private progressOf(room: string): RoomProgress {
    let p = this.progress.get(room);
    if (p === undefined) this.progress.set(room, (p = { gen: 1, through: 0, ahead: new Set() }));
    return p;
  }

  /** Queues what a room recorded. */
  add(room: string, { firstSeq, records }: RecordBatch): void {
    const { gen } = this.progressOf(room);
    records.forEach((record, i) => this.push(queuedOf(room, record, { gen, n: firstSeq + i })));
    this.schedule();
  }

  /** Queues a moderation entry made outside a room (the admin API), with its ban change if any. */
  addModeration(entry: NewModerationEntry, ban?: BanChange): void {
    this.push(
      ban === undefined ? { room: entry.room, moderation: entry } : { room: entry.room, moderation: entry, ban },
    );
    this.schedule();
  }

  private push(record: QueuedRecord): void {
    if (this.queue.length < this.options.queueLimit) {
      this.queue.push(record);
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

  /** The queued records of `room` (or of every room), oldest first: what the store does not have yet. */
  queued(room?: string): QueuedRecord[] {
    return room === undefined ? [...this.queue] : this.queue.filter((q) => q.room === room);
  }

  /** Every queued ban change, in order. */
  queuedBans(): BanChange[] {
    return this.queue.flatMap((q) => (q.ban === undefined ? [] : [q.ban]));
  }

  /** Lays the queued records of `room` over a window read from the store. */
  overlay(room: string, stored: RestoredMessage[]): RestoredMessage[] {
    return overlayWindow(room, stored, this.queued(room));
  }

  /** How long until the next attempt while batches fail (0 while they succeed). */
  retryInMs(): number {
    return this.failures === 0 ? 0 : this.retryDelay();
  }

  private schedule(): void {
    if (this.stopped || this.writing !== null || this.queue.length === 0) return;
    if (this.timer !== undefined || this.kick !== undefined) return;
    if (this.failures === 0) {
      // Next turn of the event loop: the records that arrive in this one go together.
      this.kick = setImmediate(() => {
        this.kick = undefined;
        void this.writeNext();
      });
      return;
    }
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.writeNext();
    }, this.retryDelay());
    this.timer.unref();
  }

  private retryDelay(): number {
    return Math.min(this.retryMinMs * 2 ** (this.failures - 1), this.retryMaxMs);
  }

  private cancelScheduled(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.kick !== undefined) clearImmediate(this.kick);
    this.kick = undefined;
  }

  /** Writes the oldest batch once; the promise never rejects. */
  private writeNext(): Promise<void> {
    if (this.writing !== null) return this.writing;
    if (this.queue.length === 0) return Promise.resolve();
    const records = this.queue.slice(0, this.batchMax);
    const started = performance.now();
    const took = () => (performance.now() - started) / 1000;
    this.writing = this.options.store
      .writeBatch(toBatch(records))
      .then(
        () => {
          // Only now is the batch off the queue: nothing is lost if the write failed.
          this.queue.splice(0, records.length);
          this.written += records.filter((q) => q.message !== undefined).length;
          this.failures = 0;
          this.batches.ok += 1;
          this.options.health.ok();
          this.reportBatch(took(), true);
          this.reportCommitted(records);
        },
        (error: unknown) => {
          this.batches.failed += 1;
          this.failures += 1;
          this.options.health.failed(error);
          this.reportBatch(took(), false);
          if (this.failures === 1 || this.failures % 10 === 0)
            this.log.warn('Transcript batch not written; retrying', {
              records: records.length,
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

  private reportBatch(seconds: number, ok: boolean): void {
    this.options.onBatch?.(seconds, ok);
  }

  private reportCommitted(records: readonly QueuedRecord[]): void {
    const moved = new Set<string>();
    for (const q of records) {
      if (q.seq === undefined) continue;
      const p = this.progress.get(q.room);
      if (p === undefined || p.gen !== q.seq.gen || q.seq.n <= p.through) continue;
      p.ahead.add(q.seq.n);
      while (p.ahead.delete(p.through + 1)) {
        p.through += 1;
        moved.add(q.room);
      }
    }
    for (const room of moved) this.options.onCommitted?.(room, this.progress.get(room)!.through);
  }

  /** Writes everything queued, retrying until `deadline` (ms since the epoch); resolves with what is left. */
  async flush(deadline: number): Promise<number> {
    while (this.queue.length > 0 && Date.now() < deadline) {
      if (this.failures === 0) this.cancelScheduled();
      const failuresBefore = this.failures;
      // A store that hangs must not hold the stop past its deadline.
      await settleWithin(this.writeNext(), Math.max(0, deadline - Date.now()));
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
    this.cancelScheduled();
    if (left > 0) this.log.error('Stopping with transcript records not written', { records: left });
    else this.log.info('Transcripts written', { written: this.written, dropped: this.dropped });
  }
}
