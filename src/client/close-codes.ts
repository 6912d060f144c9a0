/**
 * What a room's close code means to a client: whether reconnecting can help, and
 * a sentence a person can read. 4001 (not allowed to join) and 4003 (banned) are
 * final: the same join would be refused again, so the SDK stops there.
 */
import { CloseCode } from '../protocol/frames.js';

/** Close codes after which the SDK does not reconnect. */
export const FINAL_CLOSE_CODES: readonly number[] = [CloseCode.UNAUTHORIZED, CloseCode.BANNED];

export function isFinalClose(code: number): boolean {
  return FINAL_CLOSE_CODES.includes(code);
}

/** A readable explanation of a close; the server's reason is kept when it has one. */
export function describeClose(code: number, reason: string): string {
  const why = reason ? `: ${reason}` : '';
  switch (code) {
    case 1000:
      return 'Disconnected';
    case CloseCode.GOING_AWAY:
      return `The room closed or the server is restarting${why}`;
    case CloseCode.TOO_LARGE:
      return 'The connection was closed: a frame was too large';
    case CloseCode.UNAUTHORIZED:
      return `Not allowed to join${why}`;
    case CloseCode.BANNED:
      return 'You are banned from this room';
    case CloseCode.KICKED:
      return `Removed from the room${why}`;
    case CloseCode.TOO_MANY_REFUSALS:
      return 'The connection was closed after too many refused messages';
    case CloseCode.SLOW_READER:
      return 'The connection was closed because it fell behind';
    default:
      return reason || 'The connection was lost';
  }
}
