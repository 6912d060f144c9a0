/**
 * Refusing a client's frame: the client is told why in an error frame (with the
 * frame's ref, and when to try again or until when a timeout lasts), the refusal
 * is counted in the room's counters, and a client refused too often is closed.
 */
import { CloseCode, type ErrorFrame, type FrameErrorCode } from '../protocol/frames.js';
import type { Client } from './client.js';
import type { RoomCounters } from './counters.js';
import { encode } from './outbox.js';

export interface RefusalExtra {
  retryAfterMs?: number;
  until?: number;
}

/** How the room and its parts refuse a frame (bound to the room's counters). */
export type Refuse = (
  client: Client,
  code: FrameErrorCode,
  message: string,
  ref?: string,
  extra?: RefusalExtra,
) => void;

export function refuseFrame(
  client: Client,
  counters: RoomCounters,
  code: FrameErrorCode,
  message: string,
  ref?: string,
  extra?: RefusalExtra,
): void {
  const frame: ErrorFrame = { type: 'error', code, message };
  if (ref !== undefined) frame.ref = ref;
  if (extra?.retryAfterMs !== undefined) frame.retryAfterMs = extra.retryAfterMs;
  if (extra?.until !== undefined) frame.until = extra.until;
  client.push(encode(frame));
  counters.refuse(code);
  if (client.refused(code === 'BAD_FRAME')) client.close(CloseCode.TOO_MANY_REFUSALS, 'Too many refused frames');
}
