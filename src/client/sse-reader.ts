/**
 * A small Server-Sent Events reader over a fetch body, for platforms without
 * EventSource (Node 20 has none by default). It handles what a room's event
 * stream writes (src/room/sse.ts): `event:`, `data:` and `id:` fields, comment
 * lines, events ended by a blank line; CRLF and CR line ends are read too.
 */
export interface SseMessage {
  event: string;
  data: string;
  id: string | undefined;
}

/** Splits text/event-stream bytes into events as they arrive. */
export class SseParser {
  private buffered = '';
  private event = '';
  private data: string[] = [];
  private id: string | undefined;
  private readonly decoder = new TextDecoder();

  /** Feeds bytes; returns the events they complete. */
  push(chunk: Uint8Array): SseMessage[] {
    this.buffered += this.decoder.decode(chunk, { stream: true });
    const out: SseMessage[] = [];
    for (;;) {
      const match = /\r\n|\r|\n/.exec(this.buffered);
      // A CR at the very end may be the first half of a CRLF: wait for more.
      if (match === null || (match[0] === '\r' && match.index === this.buffered.length - 1)) break;
      const line = this.buffered.slice(0, match.index);
      this.buffered = this.buffered.slice(match.index + match[0].length);
      const message = this.line(line);
      if (message !== null) out.push(message);
    }
    return out;
  }

  private line(line: string): SseMessage | null {
    if (line === '') {
      const message =
        this.data.length > 0 ? { event: this.event || 'message', data: this.data.join('\n'), id: this.id } : null;
      this.event = '';
      this.data = [];
      return message;
    }
    if (line.startsWith(':')) return null;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') this.data.push(value);
    else if (field === 'event') this.event = value;
    else if (field === 'id') this.id = value;
    return null;
  }
}

/** Reads a whole event stream, calling `onEvent` for each event; resolves when the body ends. */
export async function readSse(body: ReadableStream<Uint8Array>, onEvent: (message: SseMessage) => void): Promise<void> {
  const parser = new SseParser();
  const reader = body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return;
    for (const message of parser.push(value)) onEvent(message);
  }
}
