/**
 * Between the store's records and MongoDB's documents: what a ban is stored as,
 * what a tip document reads back as, and which bulk-write errors only mean that
 * the row is already there.
 */
import type { Ban, TipEntry, TipOutcome } from '../store.js';
import type { TipDoc } from './models.js';

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
