/**
 * The balancer's registry of chat servers: what each last reported, and when.
 * A server that has sent no heartbeat for the expiry is gone; every read drops
 * such servers first, so an answer never names a server past its expiry, however
 * the periodic sweep is timed.
 */

/** One server as /info/json shows it (docs/loadbalancer-protocol.md). */
export interface ServerEntry {
  name: string;
  cpus: number;
  rooms: number;
  version: string;
  /** The last heartbeat, unix seconds. */
  timestamp: number;
  /** cpus − rooms. */
  capacity: number;
}

export class Registry {
  private readonly servers = new Map<string, ServerEntry & { seenAt: number }>();

  constructor(
    private readonly expiryMs: number,
    /** Told of each server dropped for want of a heartbeat, whichever read or sweep found it. */
    private readonly onExpired: (name: string) => void = () => undefined,
    private readonly now: () => number = Date.now,
  ) {}

  /** Adds or refreshes a server; true when it was not registered. */
  register(name: string, cpus: number, rooms: number, version: string): boolean {
    this.sweep();
    const seenAt = this.now();
    const added = !this.servers.has(name);
    this.servers.set(name, {
      name,
      cpus,
      rooms,
      version,
      timestamp: Math.floor(seenAt / 1000),
      capacity: cpus - rooms,
      seenAt,
    });
    return added;
  }

  /** True when it was registered. */
  unregister(name: string): boolean {
    return this.servers.delete(name);
  }

  /**
   * The server of exactly `version` with the most free capacity, or '' when none
   * of that version has a free slot. Ties go to the server registered first.
   */
  find(version: string): string {
    this.sweep();
    let best: ServerEntry | undefined;
    for (const server of this.servers.values()) {
      if (server.version !== version || server.capacity <= 0) continue;
      if (best === undefined || server.capacity > best.capacity) best = server;
    }
    return best?.name ?? '';
  }

  all(): Record<string, ServerEntry> {
    this.sweep();
    const out: Record<string, ServerEntry> = {};
    for (const { seenAt: _seenAt, ...entry } of this.servers.values()) out[entry.name] = entry;
    return out;
  }

  /** Drops servers past their expiry; answers their names. */
  sweep(): string[] {
    const cutoff = this.now() - this.expiryMs;
    const expired: string[] = [];
    for (const [name, server] of this.servers) {
      if (server.seenAt > cutoff) continue;
      this.servers.delete(name);
      expired.push(name);
      this.onExpired(name);
    }
    return expired;
  }
}
