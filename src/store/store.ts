/**
 * The Store: everything the server keeps across restarts, behind one interface
 * with two implementations (src/store/sqlite/ embedded, src/store/mongo/ for
 * MongoDB). Only the master talks to it; rooms get its data through the master's
 * cache and hand their messages to the master's transcript writer.
 *
 * Reads that page go newest first and take `before` (an id from the previous
 * page), so a page is stable while new rows arrive. Deletions and clears of
 * messages are marks on the stored rows, never erasures. Both implementations
 * pass one contract suite (spec/store/contract.ts).
 */
import type { ChatMessage, MessageExtras, UserInfo } from '../protocol/frames.js';
import type { Actor, ModerationAction, ModerationRecord } from '../protocol/room-messages.js';

export type StoreKind = 'sqlite' | 'mongodb';

/** An accepted chat message as the room gave it out, with its extras (reply, mentions, tip …). */
export interface NewMessage extends MessageExtras {
  room: string;
  id: number;
  ts: number;
  user: UserInfo;
  text: string;
}

/** A stored message with its moderation marks. */
export interface TranscriptMessage extends NewMessage {
  deleted: boolean;
  /** Hidden by a `clear` (history starts after it). */
  cleared: boolean;
}

/** A room's chat modes as kept (src/protocol/room-messages.ts). */
export type { RoomSettings } from '../protocol/room-messages.js';
import type { RoomSettings } from '../protocol/room-messages.js';

export interface StoredRoom {
  name: string;
  /** The server (host name) that last opened the room. */
  server: string;
  createdAt: number;
  closedAt: number | null;
  /**
   * The highest message id the room may have given out: ids are reserved here
   * (reserveIds) before a room hands them out, so this is "reserved through", at
   * least the highest stored id. A new instance of the room continues after it.
   */
  lastMessageId: number;
  settings: RoomSettings;
}

export interface Ban {
  user: string;
  /** null: banned from every room. */
  room: string | null;
  reason: string;
  /** Who banned: a moderator's user id, or "admin". */
  by: string;
  at: number;
  /** ms since the epoch; null: until lifted. */
  until: number | null;
  /** A timeout (the user may stay and read but not post) rather than a ban; absent: a ban. */
  kind?: 'ban' | 'timeout';
  /** A guest's client address the ban or timeout also holds. */
  address?: string;
}

/** Whether a stored entry is a timeout rather than a ban. */
export function isTimeout(ban: Ban): boolean {
  return ban.kind === 'timeout';
}

/** A ban as either store keeps it: room '' for every room; kind and address absent on older rows. */
type KeptBan = Omit<Ban, 'room' | 'kind' | 'address'> & { room: string; kind?: string; address?: string | null };

/** The ban a stored row or document reads back as (kind and address only where kept), the same from both stores. */
export function storedBan(kept: KeptBan): Ban {
  const ban: Ban = {
    user: kept.user,
    room: kept.room === '' ? null : kept.room,
    reason: kept.reason,
    by: kept.by,
    at: kept.at,
    until: kept.until,
  };
  if (kept.kind === 'timeout') ban.kind = 'timeout';
  if (typeof kept.address === 'string') ban.address = kept.address;
  return ban;
}

export type { Actor, ModerationAction };

/** One change to the bans table, applied with the moderation entry that records it. */
export type BanChange = { op: 'add'; ban: Ban } | { op: 'remove'; user: string; room: string | null };

/**
 * The room of a moderation entry for an act on every room (an admin's global ban
 * or unban): not a valid room name, so it can never be a real room's log.
 */
export const GLOBAL_ROOM = '*';

/** A moderation record (src/protocol/room-messages.ts) with the room it happened in. */
export interface NewModerationEntry extends ModerationRecord {
  room: string;
  /**
   * Unique within the room for one act, given by the cluster's shared log; an
   * entry whose key is already stored is not stored again, so every copy of a
   * room may write the acts it saw.
   */
  key?: string;
}

export interface ModerationEntry extends NewModerationEntry {
  /** Opaque, ordered within a room; pass it as `before` for the next page. */
  id: string;
}

/**
 * One transcript write, applied together (messages first, then the marks, the
 * ban changes in order, the log): a ban and its moderation entry are either both
 * stored or neither is.
 */
export interface WriteBatch {
  messages: NewMessage[];
  deletions: Array<{ room: string; id: number }>;
  /** Every message of `room` with an id up to `throughId` is marked cleared. */
  clears: Array<{ room: string; throughId: number }>;
  bans: BanChange[];
  moderation: NewModerationEntry[];
}

/** A room's pinned message and when the pin ends (ms since the epoch; null: until unpinned). */
export interface StoredPin {
  message: ChatMessage;
  until: number | null;
}

/** How the credit service answered a debit: paid (2xx), insufficient (402) or refused (another 4xx). */
export type TipOutcome = 'paid' | 'insufficient' | 'refused';

/**
 * One paid-message attempt the credit service answered, keyed by its idempotency
 * key: a retry with the same key replaces it (a refusal, then a payment).
 */
export interface TipRecord {
  key: string;
  room: string;
  user: Pick<UserInfo, 'id' | 'name'>;
  amount: number;
  /** The message shown for it; null when it was not paid. */
  messageId: number | null;
  /** The service's answer: HTTP status, what it meant, and its reason when it gave one. */
  answer: { status: number; outcome: TipOutcome; reason: string };
  at: number;
}

export interface TipEntry extends TipRecord {
  /** Opaque, ordered within a room; pass it as `before` for the next page. */
  id: string;
}

export interface Page {
  limit: number;
  /** Only rows older than this id (a message id, or a moderation entry id). */
  before?: number | string | undefined;
}

export interface Store {
  readonly kind: StoreKind;
  /** Connects (MongoDB keeps retrying in the background); resolves once the store is usable or the first attempt failed. */
  open(): Promise<void>;
  /** Idempotent. */
  close(): Promise<void>;
  /**
   * Optional: a store that watches what it stands on (the SQLite file) tells
   * `listener` the problem as soon as it cannot be used, and null once it can
   * again, before any call has to fail or succeed for it to be noticed.
   */
  watch?(listener: (problem: Error | null) => void): void;

  roomOpened(room: string, server: string, at: number): Promise<void>;
  roomClosed(room: string, at: number): Promise<void>;
  room(room: string): Promise<StoredRoom | null>;
  /**
   * Raises the room's reserved id high-water mark (lastMessageId) to at least
   * `through`, durably, before the room may hand those ids out. Never lowers it.
   */
  reserveIds(room: string, through: number): Promise<void>;
  /**
   * Atomically raises the room's mark (lastMessageId) by `count` (a positive
   * integer) from its stored value and returns the new mark: the block
   * (mark - count, mark] is this caller's alone, even with several servers on
   * one store calling at once. Creates the room's row when missing.
   */
  reserveBlock(room: string, count: number): Promise<number>;
  saveSettings(room: string, settings: RoomSettings): Promise<void>;

  /** Writes a batch (bans included); writing the same batch again (a retry) stores nothing twice. */
  writeBatch(batch: WriteBatch): Promise<void>;
  /** Newest first. */
  messages(room: string, page: Page): Promise<TranscriptMessage[]>;

  /**
   * Bans in force at `now` (an expired ban is as good as gone). Bans are only
   * written through writeBatch, with their moderation entry: an `add` adds or
   * replaces the ban of that user in that room (or globally), a `remove` lifts it.
   */
  bans(now: number): Promise<Ban[]>;

  /** null until a list has ever been saved (so the first start seeds it). */
  blockedTerms(): Promise<string[] | null>;
  setBlockedTerms(terms: string[]): Promise<void>;
  /** Terms that hold a message for review (empty until a list is saved). */
  reviewTerms(): Promise<string[]>;
  setReviewTerms(terms: string[]): Promise<void>;

  /** Newest first. */
  moderation(room: string, page: Page): Promise<ModerationEntry[]>;

  /** The room's pin, or none (null): written on every pin and unpin, read when the room opens again. */
  savePin(room: string, pin: StoredPin | null): Promise<void>;
  pin(room: string): Promise<StoredPin | null>;

  /** Adds a tip, or replaces the one with the same key. */
  saveTip(tip: TipRecord): Promise<void>;
  tip(key: string): Promise<TipRecord | null>;
  /** Newest first. */
  tips(room: string, page: Page): Promise<TipEntry[]>;

  /** Drops transcripts older than the retention and bans past their `until`; returns rows removed. */
  removeExpired(now: number): Promise<number>;
}

export const DAY_MS = 86_400_000;

/** Throws unless `count` is a block size reserveBlock accepts (a positive integer). */
export function checkBlockCount(count: number): void {
  if (!Number.isSafeInteger(count) || count < 1)
    throw new RangeError(`reserveBlock: count must be a positive integer, got ${String(count)}`);
}

/** Whether a ban still holds at `now` (an expired ban is as good as gone). */
export function inForce(ban: Ban, now: number): boolean {
  return ban.until === null || ban.until > now;
}

/** An empty batch to fill. */
export function emptyBatch(): WriteBatch {
  return { messages: [], deletions: [], clears: [], bans: [], moderation: [] };
}

export function batchSize(batch: WriteBatch): number {
  return (
    batch.messages.length + batch.deletions.length + batch.clears.length + batch.bans.length + batch.moderation.length
  );
}
