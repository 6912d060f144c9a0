/**
 * A minimal WebSocket client over a raw TCP socket, for the load generator. It
 * exists so the load generator costs as little per frame as possible: it never
 * builds a string for a message it only has to count (it counts newlines in the
 * bytes as they arrive), it masks with the all-zero key (valid per RFC 6455 and
 * free to apply), and it answers pings and Engine.IO heartbeats itself.
 * Loopback only: it connects to 127.0.0.1 (from another 127.0.0.x when asked, so
 * that tens of thousands of connections do not share one source address's ports).
 */
import { connect, type Socket } from 'node:net';

const NEWLINE = 0x0a;
const HANDSHAKE_END = Buffer.from('\r\n\r\n');
/** One read buffer for every connection: reads are handled synchronously, one at a time. */
const READ_BUFFER = Buffer.allocUnsafe(256 * 1024);

/** How a connection treats a complete data message. */
export type ReadMode = 'collect' | 'count' | 'discard';

export interface RawWsHandlers {
  /** A whole text message, in 'collect' mode. */
  message?(conn: RawWs, text: string): void;
  /** In 'count' mode: the message's first byte, its length, and the newlines it held. */
  counted?(conn: RawWs, firstByte: number, length: number, newlines: number): void;
  close?(conn: RawWs): void;
}

/** A client frame header with the zero mask key: the payload goes out as it is. */
export function maskedFrame(payload: string | Buffer, opcode = 0x1): Buffer {
  const data = typeof payload === 'string' ? Buffer.from(payload) : payload;
  const len = data.length;
  const headerLength = len < 126 ? 6 : len < 65536 ? 8 : 14;
  const out = Buffer.allocUnsafe(headerLength + len);
  out[0] = 0x80 | opcode;
  if (len < 126) {
    out[1] = 0x80 | len;
  } else if (len < 65536) {
    out[1] = 0x80 | 126;
    out.writeUInt16BE(len, 2);
  } else {
    out[1] = 0x80 | 127;
    out.writeBigUInt64BE(BigInt(len), 2);
  }
  out.writeUInt32BE(0, headerLength - 4);
  data.copy(out, headerLength);
  return out;
}

/** An upgrade answered with something other than 101: its status and headers, for a client that retries. */
export class UpgradeRefused extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly headers: Record<string, string>,
  ) {
    super(message);
  }
}

function headersOf(head: string): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const line of head.split('\r\n').slice(1)) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return headers;
}

export class RawWs {
  mode: ReadMode = 'collect';
  closed = false;
  private partial: Buffer | null = null;
  private remaining = 0;
  private inPayload = false;
  private frameOpcode = 0;
  private fin = false;
  private messageOpcode = 0;
  private firstByte = -1;
  private messageLength = 0;
  private newlines = 0;
  private chunks: Buffer[] = [];
  private control: Buffer[] = [];

  private constructor(
    readonly socket: Socket,
    public handlers: RawWsHandlers,
  ) {
    socket.setNoDelay(true);
    socket.on('error', () => undefined);
    socket.on('close', () => {
      this.closed = true;
      this.handlers.close?.(this);
    });
  }

  /**
   * Opens ws://127.0.0.1:<port><path>; resolves after the 101 response. Reads go
   * into one buffer shared by every connection (net's `onread`), so a read costs no
   * allocation; whatever must outlive the read is copied.
   */
  static open(
    port: number,
    path: string,
    handlers: RawWsHandlers,
    timeoutMs = 10_000,
    localAddress?: string,
  ): Promise<RawWs> {
    return new Promise((resolve, reject) => {
      let conn: RawWs | null = null;
      let head = Buffer.alloc(0);
      const socket = connect({
        host: '127.0.0.1',
        port,
        ...(localAddress === undefined ? {} : { localAddress }),
        onread: {
          buffer: READ_BUFFER,
          callback: (bytes: number, buffer: Uint8Array) => {
            const chunk = (buffer as Buffer).subarray(0, bytes);
            if (conn !== null) conn.read(chunk);
            else handshake(chunk);
            return true;
          },
        },
      });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`WebSocket handshake on port ${port} timed out`));
      }, timeoutMs);
      const handshake = (chunk: Buffer) => {
        head = Buffer.concat([head, chunk]);
        const end = head.indexOf(HANDSHAKE_END);
        if (end < 0) return;
        clearTimeout(timer);
        socket.off('error', onError);
        const status = head.subarray(0, head.indexOf('\r\n')).toString();
        if (!status.includes(' 101 ')) {
          socket.destroy();
          const text = head.subarray(0, end).toString('latin1');
          const code = Number(status.split(' ')[1]);
          reject(new UpgradeRefused(`WebSocket handshake on port ${port}: ${status}`, code, headersOf(text)));
          return;
        }
        conn = new RawWs(socket, handlers);
        resolve(conn);
        const rest = head.subarray(end + 4);
        if (rest.length > 0) conn.read(rest);
      };
      const onError = (error: Error) => {
        clearTimeout(timer);
        reject(error);
      };
      socket.once('error', onError);
      socket.once('connect', () =>
        socket.write(
          `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
            'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
        ),
      );
    });
  }

  send(text: string | Buffer): void {
    if (!this.closed) this.socket.write(maskedFrame(text));
  }

  /** Writes frames already built with maskedFrame (several at once: one system call). */
  write(frames: Buffer): boolean {
    return this.closed ? true : this.socket.write(frames);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.socket.destroy();
  }

  private read(input: Buffer): void {
    let chunk = input;
    if (this.partial !== null) {
      chunk = Buffer.concat([this.partial, chunk]);
      this.partial = null;
    }
    let pos = 0;
    const end = chunk.length;
    while (pos < end) {
      if (this.inPayload) {
        const take = Math.min(this.remaining, end - pos);
        this.payload(chunk, pos, pos + take);
        pos += take;
        this.remaining -= take;
        if (this.remaining === 0) this.endFrame();
        continue;
      }
      if (end - pos < 2) break;
      const b0 = chunk[pos]!;
      const b1 = chunk[pos + 1]!;
      let length = b1 & 0x7f;
      let header = 2;
      if (length === 126) {
        if (end - pos < 4) break;
        length = chunk.readUInt16BE(pos + 2);
        header = 4;
      } else if (length === 127) {
        if (end - pos < 10) break;
        length = Number(chunk.readBigUInt64BE(pos + 2));
        header = 10;
      }
      if (b1 & 0x80) header += 4; // servers do not mask, but skip a key if one is there
      if (end - pos < header) break;
      pos += header;
      this.fin = (b0 & 0x80) !== 0;
      this.frameOpcode = b0 & 0x0f;
      if (this.frameOpcode !== 0 && this.frameOpcode < 8) {
        this.messageOpcode = this.frameOpcode;
        this.firstByte = -1;
        this.messageLength = 0;
        this.newlines = 0;
      }
      this.remaining = length;
      this.inPayload = true;
      if (length === 0) this.endFrame();
    }
    if (pos < end) this.partial = Buffer.from(chunk.subarray(pos)); // the read buffer is reused
  }

  private payload(chunk: Buffer, start: number, stop: number): void {
    if (this.frameOpcode >= 8) {
      this.control.push(Buffer.from(chunk.subarray(start, stop)));
      return;
    }
    if (this.messageLength === 0 && stop > start) this.firstByte = chunk[start]!;
    this.messageLength += stop - start;
    if (this.mode === 'count') {
      let at = chunk.indexOf(NEWLINE, start);
      while (at >= 0 && at < stop) {
        this.newlines += 1;
        at = chunk.indexOf(NEWLINE, at + 1);
      }
    } else if (this.mode === 'collect') {
      this.chunks.push(Buffer.from(chunk.subarray(start, stop)));
    }
  }

  private endFrame(): void {
    this.inPayload = false;
    const opcode = this.frameOpcode;
    if (opcode >= 8) {
      const body = Buffer.concat(this.control);
      this.control = [];
      if (opcode === 0x9 && !this.closed) this.socket.write(maskedFrame(body, 0xa));
      else if (opcode === 0x8) this.close();
      return;
    }
    if (!this.fin) return;
    if (this.messageOpcode !== 0x1) {
      this.chunks = [];
      return;
    }
    if (this.mode === 'count') {
      this.handlers.counted?.(this, this.firstByte, this.messageLength, this.newlines);
    } else if (this.mode === 'collect') {
      const text = Buffer.concat(this.chunks).toString();
      this.chunks = [];
      this.handlers.message?.(this, text);
    }
  }
}
