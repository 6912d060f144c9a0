/**
 * The room's counter (the `meta` hash, docs/cluster.md "Ids") as one copy keeps
 * it supplied: whether it holds ids, asking this copy's master for a block when it
 * runs low or has none, and handing a granted block to it (the GRANT script).
 * Apart from the engine because asking is throttled (every post of a busy room
 * finds the counter low until the next block is in), and that rule is about ids,
 * not about the room's traffic.
 */
import { randomUUID } from 'node:crypto';
import type { IdGrant } from '../protocol/room-messages.js';
import { ROOM_KEYS_TTL_MS } from './keys.js';
import { CLUSTER_RETRY_MS, type RedisConnection, runScript } from './redis-connection.js';
import { GRANT } from './scripts.js';

export interface RoomCounterOptions {
  cmd: RedisConnection;
  /** The room's `meta` key. */
  meta: string;
  /** Asks the master for a fresh block of ids (answered with grant). */
  requestIds(): void;
  onError(error: Error): void;
}

export class RoomCounter {
  /** Whether the counter holds ids (not yet read, a new room, Redis came back empty, or a post found none: false). */
  ready = false;
  private askedAt = 0;

  constructor(private readonly options: RoomCounterOptions) {}

  /** `now`: the counter has none (asked again after 200 ms); otherwise it runs low (after CLUSTER_RETRY_MS). */
  ask(now: boolean): void {
    const at = Date.now();
    if (!now && at - this.askedAt < CLUSTER_RETRY_MS) return;
    if (at - this.askedAt < 200) return;
    this.askedAt = at;
    this.options.requestIds();
  }

  /** A fresh block; `floor`, the highest id this copy has seen. A grant without `from` is the single server's: ignored. */
  grant(ids: IdGrant, floor: number): void {
    const { cmd, meta } = this.options;
    if (ids.from === undefined || !cmd.isReady) return;
    const args = [String(ids.from), String(ids.through), String(floor), randomUUID(), String(ROOM_KEYS_TTL_MS)];
    runScript(cmd, GRANT, [meta], args).then(
      (reply) => {
        const [status] = reply as [string, string];
        if (status === 'STALE') this.ask(true);
        else this.ready = true;
      },
      (error: unknown) => this.options.onError(error as Error),
    );
  }
}
