/**
 * A WebSocket client written by hand on a TCP socket, for what a well-behaved
 * library will not send: unmasked frames, reserved bits, bad opcodes, invalid
 * UTF-8, pings left unanswered.
 */
import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { eventually } from './wait.js';

export class RawSocket {
  received = Buffer.alloc(0);
  readonly ended: Promise<void>;

  private constructor(readonly socket: Socket) {
    socket.on('data', (d: Buffer) => (this.received = Buffer.concat([this.received, d])));
    socket.on('error', () => undefined);
    this.ended = new Promise((resolve) => socket.on('close', () => resolve()));
  }

  /** Opens a TCP connection and completes the HTTP upgrade; never reads frames unless asked. */
  static async open(port: number): Promise<RawSocket> {
    const socket = connect(port, '127.0.0.1');
    const raw = new RawSocket(socket);
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    const key = randomBytes(16).toString('base64');
    socket.write(
      `GET / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
    );
    await eventually('the upgrade answer', () => raw.received.includes('\r\n\r\n'), { timeoutMs: 2_000, everyMs: 10 });
    const head = raw.received.toString('latin1');
    if (!head.startsWith('HTTP/1.1 101')) throw new Error(`upgrade refused: ${head.split('\r\n')[0]}`);
    raw.received = raw.received.subarray(raw.received.indexOf('\r\n\r\n') + 4);
    return raw;
  }

  /** Writes one frame; by default FIN, masked, as a client must. */
  frame(opcode: number, payload: Buffer | string, options: { fin?: boolean; mask?: boolean; rsv?: number } = {}): void {
    const data = typeof payload === 'string' ? Buffer.from(payload) : payload;
    const { fin = true, mask = true, rsv = 0 } = options;
    const head: number[] = [(fin ? 0x80 : 0) | (rsv << 4) | opcode];
    const maskBit = mask ? 0x80 : 0;
    if (data.length < 126) head.push(maskBit | data.length);
    else if (data.length < 65536) head.push(maskBit | 126, data.length >> 8, data.length & 255);
    else {
      head.push(maskBit | 127, 0, 0, 0, 0);
      head.push((data.length >>> 24) & 255, (data.length >>> 16) & 255, (data.length >>> 8) & 255, data.length & 255);
    }
    let body = data;
    const parts: Buffer[] = [Buffer.from(head)];
    if (mask) {
      const key = randomBytes(4);
      body = Buffer.from(data.map((b, i) => b ^ key[i % 4]!));
      parts.push(key);
    }
    parts.push(body);
    this.socket.write(Buffer.concat(parts));
  }

  text(payload: string | Buffer): void {
    this.frame(0x1, payload);
  }

  write(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  /** The close code of a close frame the server sent, if one arrived. */
  closeCode(): number | undefined {
    // Walk server frames (unmasked) looking for opcode 8.
    let offset = 0;
    const buf = this.received;
    while (offset + 2 <= buf.length) {
      const opcode = buf[offset]! & 0x0f;
      let length = buf[offset + 1]! & 0x7f;
      let start = offset + 2;
      if (length === 126) {
        length = buf.readUInt16BE(offset + 2);
        start += 2;
      } else if (length === 127) {
        length = Number(buf.readBigUInt64BE(offset + 2));
        start += 8;
      }
      if (opcode === 0x8 && length >= 2 && start + 2 <= buf.length) return buf.readUInt16BE(start);
      offset = start + length;
    }
    return undefined;
  }

  destroy(): void {
    this.socket.destroy();
  }
}
