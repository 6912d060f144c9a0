/**
 * The MongoDB collections and the indexes their queries need:
 * - messages: unique (room, id) — paging and recovery walk it, and it makes a
 *   retried batch insert nothing twice; TTL on `at` for TRANSCRIPT_RETENTION_DAYS.
 * - bans: unique (user, room); TTL on `until` (expireAfterSeconds 0: a ban goes
 *   when its time is up; one without `until` stays).
 * - moderation: (room, _id) — the room's log newest first; ObjectIds grow;
 *   unique (room, logKey) where logKey exists — a keyed entry is stored once.
 * - rooms and terms are keyed by _id (room name; "blocked"); pins by room name.
 * - tips: unique key (the debit's idempotency key); (room, _id) for the room's list.
 */
import type { RoomSettings } from '../../protocol/room-messages.js';
import { type Connection, Schema, type Types } from 'mongoose';
import { DAY_MS } from '../store.js';

/** No buffering: with the database unreachable, a call fails at once (the connection sets it too). */
const SCHEMA_OPTIONS = { versionKey: false, bufferCommands: false } as const;

const user = new Schema({ id: String, name: String, role: String }, { _id: false });

export interface MessageDoc {
  room: string;
  id: number;
  ts: number;
  /** `ts` as a Date, for the TTL index. */
  at: Date;
  user: { id: string; name: string; role: string };
  text: string;
  deleted: boolean;
  cleared: boolean;
  /** The message's extras as JSON (src/protocol/message-extras.ts); absent when it has none. */
  extras?: string;
}

export interface PinDoc {
  _id: string;
  /** The pinned message as JSON. */
  message: string;
  until: number | null;
}

export interface TipDoc {
  _id: Types.ObjectId;
  key: string;
  room: string;
  user: { id: string; name: string };
  amount: number;
  messageId: number | null;
  answer: { status: number; outcome: string; reason: string };
  at: number;
}

export interface RoomDoc {
  _id: string;
  server: string;
  createdAt: number;
  closedAt: number | null;
  /** Ids reserved through (Store.reserveIds), at least the highest stored id. */
  lastMessageId: number;
  slow: number;
  /** The room's chat modes, whole (slow is kept beside them for older readers). */
  modes?: RoomSettings;
}

export interface BanDoc {
  user: string;
  /** '' is a ban from every room, so (user, room) stays a plain unique key. */
  room: string;
  reason: string;
  by: string;
  at: number;
  until: Date | null;
  /** 'timeout': kept beside the bans; absent on bans written before timeouts were kept. */
  kind?: string;
  address?: string | null;
}

export interface TermsDoc {
  _id: string;
  terms: string[];
  updatedAt: number;
}

export interface ModerationDoc {
  _id: Types.ObjectId;
  room: string;
  action: string;
  by: { id: string; name: string; role: string };
  target: string | null;
  messageId: number | null;
  seconds: number | null;
  reason: string;
  at: number;
  /** The entry's cluster log key (NewModerationEntry.key); absent on an unkeyed entry. */
  logKey?: string;
}

export function defineModels(connection: Connection, retentionDays: number) {
  const messageSchema = new Schema<MessageDoc>(
    {
      room: { type: String, required: true },
      id: { type: Number, required: true },
      ts: { type: Number, required: true },
      at: { type: Date, required: true },
      user: { type: user, required: true },
      text: { type: String, required: true },
      deleted: { type: Boolean, default: false },
      cleared: { type: Boolean, default: false },
      extras: { type: String },
    },
    SCHEMA_OPTIONS,
  );
  messageSchema.index({ room: 1, id: 1 }, { unique: true });
  messageSchema.index({ at: 1 }, { expireAfterSeconds: ttlSeconds(retentionDays) });

  const roomSchema = new Schema<RoomDoc>(
    {
      _id: { type: String, required: true },
      server: { type: String, default: '' },
      createdAt: { type: Number, required: true },
      closedAt: { type: Number, default: null },
      lastMessageId: { type: Number, default: 0 },
      slow: { type: Number, default: 0 },
      modes: { type: Schema.Types.Mixed, default: undefined },
    },
    SCHEMA_OPTIONS,
  );

  const banSchema = new Schema<BanDoc>(
    {
      user: { type: String, required: true },
      room: { type: String, default: '' },
      reason: { type: String, default: '' },
      by: { type: String, required: true },
      at: { type: Number, required: true },
      until: { type: Date, default: null },
      kind: { type: String, default: 'ban' },
      address: { type: String, default: null },
    },
    SCHEMA_OPTIONS,
  );
  banSchema.index({ user: 1, room: 1 }, { unique: true });
  banSchema.index({ until: 1 }, { expireAfterSeconds: 0 });

  const termsSchema = new Schema<TermsDoc>(
    { _id: { type: String, required: true }, terms: [String], updatedAt: Number },
    SCHEMA_OPTIONS,
  );

  const moderationSchema = new Schema<ModerationDoc>(
    {
      room: { type: String, required: true },
      action: { type: String, required: true },
      by: { type: user, required: true },
      target: { type: String, default: null },
      messageId: { type: Number, default: null },
      seconds: { type: Number, default: null },
      reason: { type: String, default: '' },
      at: { type: Number, required: true },
      logKey: { type: String },
    },
    SCHEMA_OPTIONS,
  );
  moderationSchema.index({ room: 1, _id: -1 });
  // Partial: only keyed entries are unique per room; unkeyed ones (no logKey field) may be any number.
  moderationSchema.index(
    { room: 1, logKey: 1 },
    { unique: true, partialFilterExpression: { logKey: { $exists: true } } },
  );

  const pinSchema = new Schema<PinDoc>(
    { _id: { type: String, required: true }, message: { type: String, required: true }, until: Number },
    SCHEMA_OPTIONS,
  );

  const tipSchema = new Schema<TipDoc>(
    {
      key: { type: String, required: true },
      room: { type: String, required: true },
      user: { type: new Schema({ id: String, name: String }, { _id: false }), required: true },
      amount: { type: Number, required: true },
      messageId: { type: Number, default: null },
      answer: { type: new Schema({ status: Number, outcome: String, reason: String }, { _id: false }) },
      at: { type: Number, required: true },
    },
    SCHEMA_OPTIONS,
  );
  tipSchema.index({ key: 1 }, { unique: true });
  tipSchema.index({ room: 1, _id: -1 });

  return {
    pins: connection.model<PinDoc>('Pin', pinSchema, 'pins'),
    tips: connection.model<TipDoc>('Tip', tipSchema, 'tips'),
    messages: connection.model<MessageDoc>('Message', messageSchema, 'messages'),
    rooms: connection.model<RoomDoc>('Room', roomSchema, 'rooms'),
    bans: connection.model<BanDoc>('Ban', banSchema, 'bans'),
    terms: connection.model<TermsDoc>('Terms', termsSchema, 'terms'),
    moderation: connection.model<ModerationDoc>('Moderation', moderationSchema, 'moderation'),
  };
}

export type Models = ReturnType<typeof defineModels>;

/** MongoDB takes a TTL of at most 2^31 − 1 seconds (about 68 years): a longer retention is held to that. */
const MAX_TTL_S = 2_147_483_647;

export function ttlSeconds(retentionDays: number): number {
  return Math.min(Math.round((retentionDays * DAY_MS) / 1000), MAX_TTL_S);
}
