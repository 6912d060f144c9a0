/**
 * A chat connection's client address: the socket's peer, or, when that peer is
 * one of TRUSTED_PROXIES, the nearest address in X-Forwarded-For that is not a
 * trusted proxy (as Express decides req.ip for the admin API).
 */
import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';
import { allowListOf, plainAddress } from '../http/admin-access.js';

export type AddressOf = (req: IncomingMessage) => string;

export function clientAddressOf(trustedProxies: readonly string[]): AddressOf {
  const usable = trustedProxies.filter((entry) => isIP(entry.split('/')[0] ?? '') !== 0);
  if (usable.length === 0) return (req) => plainAddress(req.socket.remoteAddress ?? '');
  const list = allowListOf(usable);
  const trusted = (address: string) => {
    const family = isIP(address) === 6 ? 'ipv6' : 'ipv4';
    return isIP(address) !== 0 && list.check(address, family);
  };
  return (req) => {
    let address = plainAddress(req.socket.remoteAddress ?? '');
    const header = req.headers['x-forwarded-for'];
    const hops = (Array.isArray(header) ? header.join(',') : (header ?? ''))
      .split(',')
      .map((hop) => plainAddress(hop.trim()))
      .filter(Boolean);
    while (trusted(address) && hops.length > 0) address = hops.pop()!;
    return address;
  };
}
