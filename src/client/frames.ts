/**
 * Turning a WebSocket message from a room into frames: the server may batch
 * several frames in one message, newline-separated (FRAME_SEPARATOR). A line that
 * is not a JSON object with a string `type` is skipped rather than ending the
 * connection: the client stays usable when a newer server adds something.
 */
import { FRAME_SEPARATOR, type ServerFrame } from '../protocol/frames.js';

export function splitFrames(data: string): ServerFrame[] {
  const frames: ServerFrame[] = [];
  for (const line of data.split(FRAME_SEPARATOR)) {
    if (line.length === 0) continue;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      continue;
    }
    if (typeof parsed === 'object' && parsed !== null && typeof (parsed as { type?: unknown }).type === 'string')
      frames.push(parsed as ServerFrame);
  }
  return frames;
}

/**
 * The server frames the SDK hands on as the event of the same name, as they are.
 * Only these: a frame type from a newer server is ignored, never emitted under a
 * name a listener expects something else from.
 */
export const SAME_NAME_EVENTS: ReadonlySet<string> = new Set([
  'deleted',
  'cleared',
  'timeout',
  'ban',
  'system',
  'pinned',
  'unpinned',
  'held',
  'review',
  'reviewed',
  'warned',
]);
