/**
 * Loopback stand-ins for an outside service that misbehaves: one that is down (a
 * port nobody listens on), one that answers 500, and one that accepts the
 * connection and never answers. Each is closed after the test file.
 */
import { createServer as createHttpServer, type IncomingMessage } from 'node:http';
import { createServer as createTcpServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { after } from 'node:test';

function listen(server: Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}

function closeAfter(server: Server, sockets: Set<Socket>): void {
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
  });
  after(() => {
    for (const s of sockets) s.destroy();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });
}

/** A URL on a loopback port nobody listens on (bound once to find it free, then closed). */
export async function downUrl(): Promise<string> {
  const server = createTcpServer();
  const port = await listen(server);
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

/** A URL whose every request is answered 500. */
export async function failingUrl(): Promise<string> {
  const server = createHttpServer((_req, res) => {
    res.statusCode = 500;
    res.setHeader('Content-Type', 'application/json');
    res.end('{"status":"error","message":"internal error"}');
  });
  closeAfter(server, new Set());
  return `http://127.0.0.1:${await listen(server)}`;
}

/** A URL that accepts connections and never answers. */
export async function hangingUrl(): Promise<string> {
  const server = createTcpServer(() => undefined);
  closeAfter(server, new Set());
  return `http://127.0.0.1:${await listen(server)}`;
}

export interface Received {
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

/** A URL that records every request (its raw body) and answers with `status()` (200 by default). */
export async function recordingUrl(
  status: (n: number) => number = () => 200,
): Promise<{ url: string; received: Received[] }> {
  const received: Received[] = [];
  let n = 0;
  const server = createHttpServer((req, res) => {
    let body = '';
    req.setEncoding('utf8').on('data', (c: string) => (body += c));
    req.on('end', () => {
      const code = status(n++);
      if (code === 200) received.push({ url: req.url ?? '', headers: req.headers, body });
      res.statusCode = code;
      res.end();
    });
  });
  closeAfter(server, new Set());
  return { url: `http://127.0.0.1:${await listen(server)}/hook`, received };
}
