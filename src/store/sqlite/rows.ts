/**
 * Between SQLite's rows and the store's records: the columns each table's
 * SELECT * answers (schema.ts), and the record the store hands out for each.
 * Apart from the store so each conversion (NULLs, 0/1 flags, JSON columns, the
 * empty room of a ban from every room) is written once, beside its row.
 */
import type { Role } from '../../protocol/frames.js';
import { decodeExtras } from '../../protocol/message-extras.js';
import {
  type Actor,
  type Ban,
  type ModerationAction,
  type ModerationEntry,
  type RoomSettings,
  type StoredRoom,
  storedBan,
  type TipEntry,
  type TipOutcome,
  type TranscriptMessage,
} from '../store.js';

export interface MessageRow {
  room: string;
  id: number;
  ts: number;
  user_id: string;
  user_name: string;
  user_role: string;
  text: string;
  deleted: number;
  cleared: number;
  extras: string | null;
}
export interface TipRow {
  id: number;
  key: string;
  room: string;
  user_id: string;
  user_name: string;
  amount: number;
  message_id: number | null;
  status: number;
  outcome: string;
  reason: string;
  at: number;
}
export interface RoomRow {
  name: string;
  server: string;
  created_at: number;
  closed_at: number | null;
  last_message_id: number;
  slow_seconds: number;
  settings: string | null;
}
export interface BanRow {
  user_id: string;
  room: string;
  reason: string;
  by: string;
  at: number;
  until: number | null;
  kind: string;
  address: string | null;
}
export interface ModerationRow {
  id: number;
  room: string;
  action: string;
  by_id: string;
  by_name: string;
  by_role: string;
  target: string | null;
  message_id: number | null;
  seconds: number | null;
  reason: string;
  at: number;
}

export function roomOf(row: RoomRow): StoredRoom {
  return {
    name: row.name,
    server: row.server,
    createdAt: row.created_at,
    closedAt: row.closed_at,
    lastMessageId: row.last_message_id,
    settings: roomSettings(row),
  };
}

/** A room's stored modes: the JSON object when there is one (slow_seconds is kept beside it for older readers). */
function roomSettings(row: RoomRow): RoomSettings {
  if (row.settings === null) return { slow: row.slow_seconds };
  try {
    return { ...(JSON.parse(row.settings) as RoomSettings), slow: row.slow_seconds };
  } catch {
    return { slow: row.slow_seconds };
  }
}

export function messageOf(r: MessageRow): TranscriptMessage {
  return {
    room: r.room,
    id: r.id,
    ts: r.ts,
    user: { id: r.user_id, name: r.user_name, role: r.user_role as Role },
    text: r.text,
    ...decodeExtras(r.extras),
    deleted: r.deleted === 1,
    cleared: r.cleared === 1,
  };
}

export function banOf(r: BanRow): Ban {
  return storedBan({ ...r, user: r.user_id });
}

export function moderationOf(r: ModerationRow): ModerationEntry {
  return {
    id: String(r.id),
    room: r.room,
    action: r.action as ModerationAction,
    by: { id: r.by_id, name: r.by_name, role: r.by_role as Actor['role'] },
    target: r.target,
    messageId: r.message_id,
    seconds: r.seconds,
    reason: r.reason,
    at: r.at,
  };
}

export function tipOf(r: TipRow): TipEntry {
  return {
    id: String(r.id),
    key: r.key,
    room: r.room,
    user: { id: r.user_id, name: r.user_name },
    amount: r.amount,
    messageId: r.message_id,
    answer: { status: r.status, outcome: r.outcome as TipOutcome, reason: r.reason },
    at: r.at,
  };
}
