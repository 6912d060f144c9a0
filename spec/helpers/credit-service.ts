/**
 * A loopback credit service for the paid-message tests. It checks every
 * request's X-Signature (a bad one is answered 401 and counted), keeps one
 * debit per idempotency key (a repeated key is answered 200 and not debited
 * again, as the protocol asks of a real service), and answers as `mode` says:
 * 200, 402, 403 with a reason, 500, or never (`hang`, after debiting or not).
 * Closed after the test file.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { after } from 'node:test';

export type CreditMode = 'ok' | 'insufficient' | 'refuse' | 'fail' | 'hang' | 'debit-then-hang';

export interface DebitBody {
  id: string;
  user: string;
  room: string;
  amount: number;
}

export interface CreditService {
  url: string;
  mode: CreditMode;
  /** Debits made, by idempotency key. */
  readonly debits: Map<string, number>;
  /** Every well-signed request's body, in order. */
  readonly requests: DebitBody[];
  badSignatures: number;
}

export async function startCreditService(secret: string): Promise<CreditService> {
  const sockets = new Set<Socket>();
  const service: CreditService = { url: '', mode: 'ok', debits: new Map(), requests: [], badSignatures: 0 };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const expected = Buffer.from(createHmac('sha256', secret).update(raw).digest('hex'));
      const given = Buffer.from(String(req.headers['x-signature'] ?? ''));
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
        service.badSignatures += 1;
        res.writeHead(401, { 'Content-Type': 'application/json' });
        return res.end('{"reason":"bad signature"}');
      }
      const body = JSON.parse(raw.toString()) as DebitBody;
      service.requests.push(body);
      const answer = (status: number, json: object) => {
        res.writeHead(status, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify(json));
      };
      const debit = () => {
        if (!service.debits.has(body.id)) service.debits.set(body.id, 1);
      };
      switch (service.mode) {
        case 'ok':
          debit();
          return answer(200, { ok: true });
        case 'insufficient':
          return answer(402, { reason: 'balance too low' });
        case 'refuse':
          return answer(403, { reason: 'account suspended' });
        case 'fail':
          return answer(500, { reason: 'ledger down' });
        case 'debit-then-hang':
          debit();
          return; // never answers
        case 'hang':
          return;
      }
    });
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  service.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/debit`;
  after(() => {
    for (const s of sockets) s.destroy();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return service;
}
