/**
 * At most `perAddress` open connections from one client address on the public
 * listener; one more is closed as soon as it is accepted, before the HTTP parser
 * reads a byte. A Node server serves its ready sockets in turn, so a request waits
 * behind every busy connection: capping how many one address may hold keeps a
 * flood from a few addresses from pushing everyone else's requests (a web app
 * creating a room) seconds back. The request rate per address is the token
 * bucket's job (src/http/rate-limit.ts); this bounds the connections.
 *
 * Connections from TRUSTED_PROXIES (NGINX in front) are not counted: there the
 * peer is the proxy, which limits per client itself (limit_conn in the shipped site).
 */
import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import { plainAddress } from './admin-access.js';

export class ConnectionLimit {
  private readonly open = new Map<string, number>();
  /** Connections closed for being over the limit, for the metrics. */
  refused = 0;

  constructor(
    private readonly perAddress: number,
    private readonly exempt: (address: string) => boolean,
  ) {}

  /** Counts every connection `server` accepts; closes one over the limit at once. */
  watch(server: Server): void {
    if (this.perAddress === 0) return;
    server.on('connection', (socket: Socket) => this.admit(socket));
  }

  /** How many connections `address` holds now. */
  held(address: string): number {
    return this.open.get(address) ?? 0;
  }

  private admit(socket: Socket): void {
    // A dual-stack listener sees IPv4 clients as ::ffff:a.b.c.d: one address either way.
    const address = plainAddress(socket.remoteAddress ?? '');
    if (this.exempt(address)) return;
    const held = this.held(address);
    if (held >= this.perAddress) {
      this.refused += 1;
      socket.destroy();
      return;
    }
    this.open.set(address, held + 1);
    socket.once('close', () => {
      const left = this.held(address) - 1;
      if (left > 0) this.open.set(address, left);
      else this.open.delete(address);
    });
  }
}
