/**
 * One record waiting in the transcript writer's queue, and the pure functions
 * over the queue: turning records into a store batch, and laying queued records
 * over what the store returned (for a restored room's window and for admin
 * reads), so nothing has to be flushed before it can be seen.
 */
import type { ChatMessage } from '../../protocol/frames.js';
import { chatMessage, extrasOf } from '../../protocol/message-extras.js';
import type { ChatRecord, RestoredMessage } from '../../protocol/room-messages.js';
import {
  type Ban,
  type BanChange,
  emptyBatch,
  type NewModerationEntry,
  type TranscriptMessage,
  type WriteBatch,
} from '../../store/store.js';

/** A record of one room as the store will apply it: every part of it goes in the same batch. */
export interface QueuedRecord {
  room: string;
  /** The room instance (TranscriptWriter.begin) and its sequence number; none for admin entries. */
  seq?: { gen: number; n: number };
  message?: ChatMessage;
  deleteId?: number;
  clearThrough?: number;
  ban?: BanChange;
  moderation?: NewModerationEntry;
}

/**
 * The ban change a moderation record makes, if any (a ban with `seconds` ends
 * after them). A timeout is kept like a timed ban, of kind `timeout`, so it
 * outlives the room and the server; a guest's client address goes with either.
 */
export function banChangeOf(room: string, record: ChatRecord): BanChange | undefined {
  if (record.kind !== 'moderation' || record.target === null) return undefined;
  if (record.action === 'unban') return { op: 'remove', user: record.target, room };
  if (record.action !== 'ban' && record.action !== 'timeout') return undefined;
  const until = record.seconds === null || record.seconds <= 0 ? null : record.at + record.seconds * 1000;
  if (record.action === 'timeout' && until === null) return undefined;
  const ban: Ban = { user: record.target, room, reason: record.reason, by: record.by.id, at: record.at, until };
  if (record.action === 'timeout') ban.kind = 'timeout';
  if (record.address !== undefined) ban.address = record.address;
  return { op: 'add', ban };
}

export function queuedOf(room: string, record: ChatRecord, seq?: QueuedRecord['seq']): QueuedRecord {
  const q: QueuedRecord = seq === undefined ? { room } : { room, seq };
  if (record.kind === 'message') {
    q.message = record.message;
    return q;
  }
  const { kind: _kind, ...entry } = record;
  q.moderation = { room, ...entry };
  if (record.action === 'delete' && record.messageId !== null) q.deleteId = record.messageId;
  if (record.action === 'clear' && record.messageId !== null) q.clearThrough = record.messageId;
  const ban = banChangeOf(room, record);
  if (ban !== undefined) q.ban = ban;
  return q;
}

export function toBatch(records: readonly QueuedRecord[]): WriteBatch {
  const batch = emptyBatch();
  for (const q of records) {
    if (q.message !== undefined) {
      const { id, ts, user, text } = q.message;
      batch.messages.push({ room: q.room, id, ts, user, text, ...extrasOf(q.message) });
    }
    if (q.deleteId !== undefined) batch.deletions.push({ room: q.room, id: q.deleteId });
    if (q.clearThrough !== undefined) batch.clears.push({ room: q.room, throughId: q.clearThrough });
    if (q.ban !== undefined) batch.bans.push(q.ban);
    if (q.moderation !== undefined) batch.moderation.push(q.moderation);
  }
  return batch;
}

/** Lays the queued messages and marks of one room over stored messages; newest first, ids below `before`. */
export function overlayMessages(
  room: string,
  stored: readonly TranscriptMessage[],
  queued: readonly QueuedRecord[],
  before = Number.MAX_SAFE_INTEGER,
): TranscriptMessage[] {
  const byId = new Map(stored.map((m) => [m.id, { ...m }]));
  for (const q of queued)
    if (q.message !== undefined && q.message.id < before) {
      const { id, ts, user, text } = q.message;
      byId.set(id, { room, id, ts, user, text, ...extrasOf(q.message), deleted: false, cleared: false });
    }
  for (const q of queued) {
    if (q.deleteId !== undefined) {
      const m = byId.get(q.deleteId);
      if (m) m.deleted = true;
    }
    if (q.clearThrough !== undefined) for (const m of byId.values()) if (m.id <= q.clearThrough) m.cleared = true;
  }
  return [...byId.values()].sort((a, b) => b.id - a.id);
}

/** The same for a restored room's recovery window (oldest first). */
export function overlayWindow(
  room: string,
  stored: readonly RestoredMessage[],
  queued: readonly QueuedRecord[],
): RestoredMessage[] {
  const rows: TranscriptMessage[] = stored.map((m) => ({ room, ...m.message, deleted: m.deleted, cleared: m.cleared }));
  return overlayMessages(room, rows, queued)
    .reverse()
    .map((m) => ({ message: chatMessage(m), deleted: m.deleted, cleared: m.cleared }));
}
