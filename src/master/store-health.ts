/**
 * Whether the store is answering, as the master last found it: the transcript
 * writer and the cache report each call's outcome here, and /load shows it. A
 * change of state is logged once, not every failed call.
 */
import type { Logger } from '../logger.js';
import type { StoreKind } from '../store/store.js';

export type StoreState = 'starting' | 'up' | 'down';

export class StoreHealth {
  state: StoreState = 'starting';
  since = Date.now();
  lastError: string | null = null;

  constructor(
    readonly kind: StoreKind,
    private readonly log: Logger,
  ) {}

  ok(): void {
    if (this.state === 'up') return;
    if (this.state === 'down') this.log.info('Store is answering again', { kind: this.kind });
    this.state = 'up';
    this.since = Date.now();
  }

  failed(error: unknown): void {
    this.lastError = error instanceof Error ? error.message : String(error);
    if (this.state === 'down') return;
    this.log.error('Store is down; chat goes on with the last good data, retrying', {
      kind: this.kind,
      error: this.lastError,
    });
    this.state = 'down';
    this.since = Date.now();
  }
}
