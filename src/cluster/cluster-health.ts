/**
 * The master's view of the cluster's Redis, for readiness: one connection of its
 * own (the room copies have theirs), asked with a PING under a deadline. It says
 * whether the cluster engine answers; it carries no room traffic (the copy
 * registry's few commands per room and second share it).
 */
import { withDeadline } from '../lifecycle.js';
import { connectInBackground, type RedisConnection, redisConnection } from './redis-connection.js';

const PING_TIMEOUT_MS = 1_000;

export interface HealthCheck {
  ok: boolean;
  detail?: string;
}

export class ClusterHealth {
  /** The master's own connection to the cluster's Redis. */
  readonly client: RedisConnection;
  private lastError = '';

  constructor(url: string) {
    this.client = redisConnection(url, (error) => (this.lastError = error.message));
  }

  start(): void {
    connectInBackground(this.client);
  }

  async check(): Promise<HealthCheck> {
    if (!this.client.isReady)
      return { ok: false, detail: `Redis is not connected${this.lastError ? `: ${this.lastError}` : ''}` };
    try {
      await withDeadline(this.client.sendCommand(['PING']), PING_TIMEOUT_MS, 'Redis PING');
      return { ok: true };
    } catch (error) {
      return { ok: false, detail: (error as Error).message };
    }
  }

  stop(): void {
    try {
      this.client.destroy();
    } catch {
      // never connected: nothing to close
    }
  }
}
