/**
 * How the chat page waits and what it says while a connection is down. The delay
 * is capped at a few seconds: a viewer watching a stream wants the chat back as
 * soon as the room is, and jitter still spreads a crowd's reconnects.
 */
import type { BackoffOptions } from '../sdk.js';

/** About 1, 2, 4, then 5 s between attempts, each up to a fifth shorter at random. */
export const RECONNECT_BACKOFF: BackoffOptions = { initialMs: 1000, factor: 2, maxMs: 5000, jitter: 0.2 };

/**
 * The page's own words for why it is reconnecting. Code 0 means no socket was
 * reached at all (the lookup or the connection failed), where the browser's text
 * ("Failed to fetch") says nothing a viewer can use.
 */
export function lostWords(code: number, reason: string, explanation: string): string {
  if (code === 0 && /^There is no room/.test(reason)) return `${reason}.`;
  if (code === 0) return "Can't reach the chat server.";
  if (code === 1006 || code === 1005) return 'Connection lost.';
  return /[.!?]$/.test(explanation) ? explanation : `${explanation}.`;
}
