/**
 * A room that admits joins at a bounded rate answers the excess upgrade with
 * HTTP 503 and a Retry-After (src/room/join-admission.ts). The SDK then waits at
 * least that long, plus jitter, instead of its own backoff: the server has
 * already spread the refused clients over the seconds ahead, and a client that
 * came back sooner would only be refused again.
 *
 * Where the WebSocket implementation shows the refused answer (Node's `ws`
 * emits 'unexpected-response' with the response), the header is read; a
 * browser's WebSocket hides the status of a failed handshake, so there the
 * ordinary backoff with jitter applies.
 */

/** The part of a refused upgrade's HTTP response that is read. */
interface RefusedResponse {
  statusCode?: number;
  headers: Record<string, string | string[] | undefined>;
  resume?(): unknown;
}

/** A WebSocket that reports refused upgrades (Node's `ws`); the browser's has no `on`. */
interface ReportsRefusals {
  on(event: 'unexpected-response', listener: (request: unknown, response: RefusedResponse) => void): unknown;
  close(): void;
}

/** No Retry-After is believed past this (a misconfigured server must not park clients for hours). */
export const MAX_RETRY_AFTER_MS = 60_000;

/** IMF-fixdate, the form HTTP-dates are sent in: "Sun, 06 Nov 1994 08:49:37 GMT". */
const HTTP_DATE = /^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/;

/** Retry-After as milliseconds: delay-seconds or an HTTP-date (RFC 9110); undefined when absent or unreadable. */
export function parseRetryAfter(value: string | string[] | undefined, now: number = Date.now()): number | undefined {
  const text = (Array.isArray(value) ? value[0] : value)?.trim();
  if (text === undefined || text === '') return undefined;
  let ms: number;
  if (/^\d+$/.test(text)) ms = Number(text) * 1000;
  else if (HTTP_DATE.test(text)) ms = Date.parse(text) - now;
  else return undefined;
  if (!Number.isFinite(ms)) return undefined;
  return Math.min(MAX_RETRY_AFTER_MS, Math.max(0, ms));
}

/**
 * Calls `refused` with the Retry-After (ms) of a 503 answer to this socket's
 * upgrade, when the implementation shows it, and ends the attempt: the socket's
 * close event follows as for any failed connection.
 */
export function watchRefusal(socket: object, refused: (retryAfterMs: number) => void): void {
  const reporting = socket as Partial<ReportsRefusals>;
  if (typeof reporting.on !== 'function' || typeof reporting.close !== 'function') return;
  reporting.on('unexpected-response', (_request, response) => {
    const retryAfterMs = response.statusCode === 503 ? parseRetryAfter(response.headers['retry-after']) : undefined;
    if (retryAfterMs !== undefined) refused(retryAfterMs);
    response.resume?.(); // the body is not wanted
    reporting.close!();
  });
}

/** The wait after a refusal: at least `retryAfterMs`, up to `jitter` (0..1) of it more; `random` returns [0, 1). */
export function retryAfterDelay(retryAfterMs: number, jitter: number, random: () => number = Math.random): number {
  const share = Math.min(1, Math.max(0, jitter));
  return Math.round(retryAfterMs * (1 + share * random()));
}
