/**
 * Between the store's records and MongoDB's documents: what a message and a ban
 * are stored as, what a message, a moderation entry and a tip read back as, and
 * which bulk-write errors only mean that the row is already there.
 */
import type { Role } from '../../protocol/frames.js';
import { decodeExtras, encodeExtras } from '../../protocol/message-extras.js';
import type {
  Actor,
  Ban,
  ModerationAction,
  ModerationEntry,
  NewMessage,
  TipEntry,
  TipOutcome,
  TranscriptMessage,
} from '../store.js';
import type { MessageDoc, ModerationDoc, TipDoc } from './models.js';

/** The document a new message is stored as: `at` for the TTL index, its extras as JSON when it has any. */
export function messageDoc(m: NewMessage): MessageDoc {
  const extras = encodeExtras(m);
  const doc: MessageDoc = {
    room: m.room,
    id: m.id,
    ts: m.ts,
    at: new Date(m.ts),
    user: { id: m.user.id, name: m.user.name, role: m.user.role },
    text: m.text,
    deleted: false,
    cleared: false,
  };
  if (extras !== null) doc.extras = extras;
  return doc;
}

/** A stored message as the transcript hands it out. */
export function transcriptMessageOf(d: MessageDoc): TranscriptMessage {
  return {
    room: d.room,
    id: d.id,
    ts: d.ts,
    user: { id: d.user.id, name: d.user.name, role: d.user.role as Role },
    text: d.text,
    ...decodeExtras(d.extras),
    deleted: d.deleted,
    cleared: d.cleared,
  };
}

/** A moderation log entry as the store hands it out (its id: the ObjectId's hex). */
export function moderationEntryOf(d: ModerationDoc): ModerationEntry {
  return {
    id: d._id.toHexString(),
    room: d.room,
    action: d.action as ModerationAction,
    by: { id: d.by.id, name: d.by.name, role: d.by.role as Actor['role'] },
    target: d.target ?? null,
    messageId: d.messageId ?? null,
    seconds: d.seconds ?? null,
    reason: d.reason,
    at: d.at,
  };
}

/** The document a ban is stored as: room "" for a ban from every room, until as a Date for the TTL index. */
export function banDoc(ban: Ban) {
  return {
    user: ban.user,
    room: ban.room ?? '',
    reason: ban.reason,
    by: ban.by,
    at: ban.at,
    until: ban.until === null ? null : new Date(ban.until),
    kind: ban.kind ?? 'ban',
    address: ban.address ?? null,
  };
}

/**
 * True when every failed write of a bulk insert was a duplicate key (the row is
 * already there) and the rest were confirmed. The driver throws for write errors
 * first: a write-concern error of the same operation (the new rows not confirmed
 * by a majority) is then only in its result, and must not pass as success.
 */
export function onlyDuplicates(error: unknown): boolean {
  const e = error as {
    code?: number;
    writeErrors?: Array<{ code?: number; err?: { code?: number } }>;
    result?: { getWriteConcernError?(): unknown };
  };
  const writeConcernError = e.result?.getWriteConcernError?.();
  if (writeConcernError !== undefined && writeConcernError !== null) return false;
  if (Array.isArray(e.writeErrors) && e.writeErrors.length > 0)
    return e.writeErrors.every((w) => (w.code ?? w.err?.code) === 11000);
  return e.code === 11000;
}

/** A tip as the store hands it out. */
export function tipOf(d: TipDoc): TipEntry {
  return {
    id: d._id.toHexString(),
    key: d.key,
    room: d.room,
    user: { id: d.user.id, name: d.user.name },
    amount: d.amount,
    messageId: d.messageId ?? null,
    answer: { status: d.answer.status, outcome: d.answer.outcome as TipOutcome, reason: d.answer.reason },
    at: d.at,
  };
}
