/**
 * The error line under the log: what the room refused and, when it says how long
 * to wait, a countdown that removes the line when the wait is over.
 */
import type { ErrorFrame } from '../sdk.js';
import { byId, waitText } from './dom.js';

const box = byId('error');
let timer: ReturnType<typeof setInterval> | undefined;
/** Counts errors shown, so a late ack (sent once stored) does not hide a newer error. */
let shown = 0;

/** How many errors were shown so far; compare before and after to see if a newer one came. */
export const errorsShown = (): number => shown;

/** Shows an error under the log; with `until`, counts down and goes away when it passes. */
export function showError(text: string, until?: number): void {
  clearInterval(timer);
  shown += 1;
  const paint = () => {
    const left = until === undefined ? 0 : until - Date.now();
    if (until !== undefined && left <= 0) return hideError();
    box.textContent = until === undefined ? text : `${text} Try again in ${waitText(left)}.`;
  };
  box.hidden = false;
  paint();
  if (until !== undefined) timer = setInterval(paint, 1000);
}

export function hideError(): void {
  clearInterval(timer);
  box.hidden = true;
  box.textContent = '';
}

export function roomError(e: ErrorFrame): void {
  if (e.code === 'TIMED_OUT' && e.until !== undefined) return showError('You are timed out.', e.until);
  if (e.retryAfterMs !== undefined) return showError(ensureStop(e.message), Date.now() + e.retryAfterMs);
  showError(ensureStop(e.message));
}

export const ensureStop = (text: string): string => (/[.!?]$/.test(text) ? text : `${text}.`);
