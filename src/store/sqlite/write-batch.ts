/**
 * One transcript batch written into the file: every message, deletion, clear,
 * ban change and moderation entry of the batch, run inside the one transaction the
 * store opens for it, so a crash leaves the whole batch or none of it. Apart from
 * the store because it is the one place that decides what a retried batch adds
 * (nothing it already holds), and in which order a batch's changes land.
 */
import { encodeExtras } from '../../protocol/message-extras.js';
import type { NewModerationEntry, WriteBatch } from '../store.js';
import type { Statements } from './statements.js';

/** `written`: moderation entries already committed by an earlier try of this batch, which are not written again. */
export function applyBatch(sql: Statements, batch: WriteBatch, written: WeakSet<NewModerationEntry>): void {
  const lastIds = new Map<string, number>();
  const now = Date.now();
  for (const m of batch.messages) {
    sql.insertMessage.run(m.room, m.id, m.ts, m.user.id, m.user.name, m.user.role, m.text, encodeExtras(m));
    lastIds.set(m.room, Math.max(lastIds.get(m.room) ?? 0, m.id));
  }
  for (const [room, id] of lastIds) sql.raiseLastId.run({ room, id, at: now });
  for (const d of batch.deletions) sql.markDeleted.run(d.room, d.id);
  for (const c of batch.clears) sql.markCleared.run(c.room, c.throughId);
  // In order: a ban and its lifting in one batch end lifted.
  for (const b of batch.bans) {
    if (b.op === 'add') {
      const { user, room, reason, by, at, until, kind, address } = b.ban;
      sql.addBan.run(user, room ?? '', reason, by, at, until, kind ?? 'ban', address ?? null);
    } else sql.removeBan.run(b.user, b.room ?? '');
  }
  for (const e of batch.moderation) {
    if (written.has(e)) continue;
    sql.insertModeration.run(
      e.room,
      e.action,
      e.by.id,
      e.by.name,
      e.by.role,
      e.target,
      e.messageId,
      e.seconds,
      e.reason,
      e.at,
      e.key ?? null,
    );
  }
}
