/**
 * What the configuration derives from the machine it runs on: how many rooms fit
 * in its memory, its open-file limit, and its public address.
 */
import { readFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';

/**
 * What the default MAX_ROOMS assumes a room costs. A room is a worker thread of
 * about 11 MB idle (docs/benchmarks.md); 64 MB leaves it headroom for its
 * connections' buffers and a burst of messages.
 */
export const ROOM_MEMORY_MB = 64;
/** The share of the machine's memory the default gives rooms; the rest is the master's, the store's and the system's. */
export const ROOM_MEMORY_SHARE = 0.5;
/** The fewest rooms the default allows on a machine with 2 GiB or more. */
export const MIN_DEFAULT_ROOMS = 20;
/** A "2 GiB" machine reports a little less (the kernel keeps some); this counts as 2 GiB. */
const TWO_GIB_REPORTED = 1.75 * 1024 ** 3;

/** How many rooms may be open, and how that figure was reached (logged at start-up). */
export interface RoomSlots {
  maxRooms: number;
  from: string;
}

const GIB = 1024 ** 3;

/**
 * MAX_ROOMS as given, or by default from memory rather than cores: half the
 * memory at ROOM_MEMORY_MB per room, at least MIN_DEFAULT_ROOMS on a machine with
 * 2 GiB or more (at least 1 below), and never more than the room port range holds.
 */
export function roomSlots(
  c: { MAX_ROOMS: number | undefined; ROOM_PORT_MIN: number; ROOM_PORT_MAX: number },
  totalMemBytes: number,
): RoomSlots {
  if (c.MAX_ROOMS !== undefined) return { maxRooms: c.MAX_ROOMS, from: 'MAX_ROOMS' };
  const ports = c.ROOM_PORT_MAX - c.ROOM_PORT_MIN + 1;
  const fit = Math.floor((totalMemBytes * ROOM_MEMORY_SHARE) / (ROOM_MEMORY_MB * 1024 ** 2));
  const floor = totalMemBytes >= TWO_GIB_REPORTED ? MIN_DEFAULT_ROOMS : 1;
  const wanted = Math.min(Math.max(fit, floor), 10_000);
  const maxRooms = Math.max(1, Math.min(wanted, ports));
  const memory = `memory: ${(totalMemBytes / GIB).toFixed(1)} GiB, half for rooms at ${ROOM_MEMORY_MB} MB per room`;
  const floored = fit < floor ? ` = ${fit}, raised to the floor of ${floor}` : ` = ${fit}`;
  const capped =
    wanted > ports
      ? `, capped at the ${ports} ports of ROOM_PORT_MIN..ROOM_PORT_MAX (${c.ROOM_PORT_MIN}..${c.ROOM_PORT_MAX})`
      : '';
  return { maxRooms, from: `${memory}${floored}${capped}; set MAX_ROOMS to choose` };
}

/** The soft open-file limit this process actually has (Node raises it to the hard limit at start). */
export function readFdLimit(path = '/proc/self/limits'): number | null {
  try {
    const line = readFileSync(path, 'utf8')
      .split('\n')
      .find((l) => l.startsWith('Max open files'));
    const soft = line?.slice('Max open files'.length).trim().split(/\s+/)[0];
    if (soft === undefined) return null;
    if (soft === 'unlimited') return Number.MAX_SAFE_INTEGER;
    const value = Number(soft);
    return Number.isInteger(value) && value > 0 ? value : null;
  } catch {
    return null;
  }
}

/** The default reserve: 5 % of the descriptor limit, at least 256. */
export function defaultFdReserve(fdLimit: number): number {
  return Math.max(256, Math.ceil(fdLimit * 0.05));
}

/**
 * The public base URL a server registers with its balancers: HOST as written
 * when it names a port, HOST with `:<port>` appended when it does not (as the
 * original chat server did: `HOST=http://10.0.0.5` with `PORT=80` registers
 * `http://10.0.0.5:80`), and without HOST the first non-internal IPv4 and the port.
 * The port is the bound public port, so `PORT=0` gets the one the system chose.
 */
export function publicHost(host: string, port: number): string {
  if (host === '') return defaultHost(port);
  const [, scheme = '', authority = '', rest = ''] = /^(https?:\/\/)([^/?#]*)(.*)$/i.exec(host) ?? [];
  // The port follows the host name (after any user:password@), outside an IPv6 literal's brackets.
  const hostAndPort = authority.slice(authority.lastIndexOf('@') + 1);
  if (/:\d+$/.test(hostAndPort)) return host;
  return `${scheme}${authority}:${port}${rest}`;
}

/** `http://<first non-internal IPv4>:<port>`, the default public base URL. */
export function defaultHost(port: number): string {
  for (const addresses of Object.values(networkInterfaces())) {
    for (const a of addresses ?? []) {
      if (a.family === 'IPv4' && !a.internal) return `http://${a.address}:${port}`;
    }
  }
  return `http://127.0.0.1:${port}`;
}
