/**
 * The connection status in the header, in the page's own words, and the "Retry
 * now" button beside it while a reconnect is waiting.
 */
import { byId, waitText } from './dom.js';

const status = byId('status');
const retry = byId<HTMLButtonElement>('retry');
let countdown: ReturnType<typeof setInterval> | undefined;

export function setStatus(state: string, text: string): void {
  clearInterval(countdown);
  retry.hidden = true;
  status.dataset.state = state;
  status.textContent = text;
}

/** Which transport the connection uses, in the status's tooltip (the HTTP fallback where WebSockets cannot go). */
export function setTransport(kind: 'websocket' | 'http' | null): void {
  status.dataset.transport = kind ?? '';
  status.title = kind === null ? '' : `Transport: ${kind === 'http' ? 'HTTP (Server-Sent Events)' : 'WebSocket'}`;
}

/** "Can't reach the chat server. Reconnecting in 3 s…", repainted each second until the retry. */
export function showReconnecting(words: string, verb: string, delayMs: number): void {
  setStatus('reconnecting', '');
  const at = Date.now() + delayMs;
  const paint = () => {
    const left = at - Date.now();
    status.textContent = left > 0 ? `${words} ${verb} in ${waitText(left)}…` : `${words} ${verb} now…`;
  };
  paint();
  countdown = setInterval(paint, 1000);
  retry.hidden = false;
}

export function onRetry(retryNow: () => void): void {
  retry.addEventListener('click', retryNow);
}
