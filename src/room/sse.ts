/**
 * Room frames as Server-Sent Events, for members on the HTTP fallback
 * (src/room/http-session.ts). Each frame is one event: `data:` its JSON and, on a
 * `message` frame, `id:` the message id, so a browser's EventSource sends it back
 * as Last-Event-ID when it reconnects. A batch from the outbox is one Buffer
 * shared by every member it goes to, so its events are encoded once per batch
 * (a WeakMap keyed by that Buffer) rather than once per member.
 */
import { FRAME_SEPARATOR } from '../protocol/frames.js';

/**
 * Both engines build a message frame with `type` then `id` first
 * (local-engine.ts, redis-engine.ts); reading the id from the text spares a JSON
 * parse per frame. A frame that does not match is parsed.
 */
const MESSAGE_ID = /^\{"type":"message","id":(\d+),/;
const MESSAGE_PREFIX = '{"type":"message"';

/** The message id of a frame's JSON, or undefined for any other frame. */
export function messageIdOf(json: string): number | undefined {
  if (!json.startsWith(MESSAGE_PREFIX)) return undefined;
  const match = MESSAGE_ID.exec(json);
  if (match !== null) return Number(match[1]);
  try {
    const frame = JSON.parse(json) as { type?: unknown; id?: unknown };
    return frame.type === 'message' && typeof frame.id === 'number' ? frame.id : undefined;
  } catch {
    return undefined;
  }
}

/** One frame's JSON as one event (JSON.stringify never writes a raw newline, so one `data:` line holds it). */
export function sseEvent(json: string): string {
  const id = messageIdOf(json);
  return id === undefined ? `data: ${json}\n\n` : `id: ${id}\ndata: ${json}\n\n`;
}

const encoded = new WeakMap<Buffer, Buffer>();

/**
 * The events of one outbox batch (frames joined by FRAME_SEPARATOR). With
 * `skipThrough`, message frames of that id or below are left out (they were
 * already replayed from the room's history); such a batch is not cached.
 */
export function sseBatch(batch: Buffer, skipThrough = 0): Buffer {
  if (skipThrough === 0) {
    const cached = encoded.get(batch);
    if (cached !== undefined) return cached;
  }
  let text = '';
  for (const json of batch.toString().split(FRAME_SEPARATOR)) {
    if (json.length === 0) continue;
    if (skipThrough > 0) {
      const id = messageIdOf(json);
      if (id !== undefined && id <= skipThrough) continue;
    }
    text += sseEvent(json);
  }
  const bytes = Buffer.from(text);
  if (skipThrough === 0) encoded.set(batch, bytes);
  return bytes;
}

/** The last event of a stream whose member is closed: the close code and reason, as a WebSocket's close. */
export function sseClose(code: number, reason: string): string {
  return `event: close\ndata: ${JSON.stringify({ code, reason })}\n\n`;
}

/** A comment line: keeps proxies and the browser from taking a quiet stream for a dead one. */
export const SSE_KEEP_ALIVE = ': keep-alive\n\n';
