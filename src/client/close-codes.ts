/**
 * What a room's close code means to a client: whether reconnecting can help (the
 * protocol's rule, src/protocol/frames.ts: 4001 not allowed and 4003 banned are
 * final, so the SDK stops there; a late join, 4002, is not), and a sentence a
 * person can read.
 */
import { CloseCode } from '../protocol/frames.js';

export { FINAL_CLOSE_CODES, isFinalClose } from '../protocol/frames.js';

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
    case CloseCode.JOIN_TIMEOUT:
      return 'The connection did not join in time';
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
