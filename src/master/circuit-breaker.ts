/**
 * A circuit breaker for calls to one outside service (a load balancer, a listing
 * webhook), so a service that is down or hangs costs the chat server one failed
 * call now and then instead of a timeout on every call.
 *
 *   closed ──3 failures in a row──► open ──cool-down (30 s)──► half-open
 *     ▲                               ▲                           │
 *     └──────── trial succeeds ───────┼──────── trial fails ──────┘
 *
 * Half-open lets exactly one trial call through; every other call is refused at
 * once until that trial settles. Refused calls reject with CircuitOpenError and do
 * not count as failures. A caller with its own rhythm of trials (the load-balancer
 * heartbeat) ends the cool-down early with `allowTrial()`, so a service that is
 * back is found at the next beat rather than after the whole cool-down.
 *
 * Why not a library: opossum opens on an error percentage over a rolling window,
 * not on failures in a row, and carries timers, fallbacks and stats we do not use;
 * cockatiel has the consecutive policy but would be a dependency for ~80 lines.
 */

export type BreakerState = 'closed' | 'open' | 'half-open';

export class CircuitOpenError extends Error {
  override readonly name = 'CircuitOpenError';
}

export interface CircuitBreakerOptions {
  /** Failures in a row that open the circuit. */
  failureThreshold?: number;
  /** How long the circuit stays open before a trial call is let through. */
  coolDownMs?: number;
  /** Called once per change of state, with the failure that caused it (if any). */
  onStateChange?: (state: BreakerState, previous: BreakerState, error?: unknown) => void;
}

export const DEFAULT_FAILURE_THRESHOLD = 3;
export const DEFAULT_COOL_DOWN_MS = 30_000;

export class CircuitBreaker {
  private current: BreakerState = 'closed';
  private failures = 0;
  private openedAt = 0;
  private trialInFlight = false;
  private readonly failureThreshold: number;
  private readonly coolDownMs: number;

  constructor(private readonly options: CircuitBreakerOptions = {}) {
    this.failureThreshold = options.failureThreshold ?? DEFAULT_FAILURE_THRESHOLD;
    this.coolDownMs = options.coolDownMs ?? DEFAULT_COOL_DOWN_MS;
  }

  /** The state now; an open circuit whose cool-down has passed reads as half-open. */
  get state(): BreakerState {
    if (this.current === 'open' && Date.now() - this.openedAt >= this.coolDownMs) this.transition('half-open');
    return this.current;
  }

  /** Milliseconds until an open circuit lets a trial through (0 when it would now). */
  msUntilTrial(): number {
    if (this.state !== 'open') return 0;
    return Math.max(0, this.openedAt + this.coolDownMs - Date.now());
  }

  /** An open circuit becomes half-open now: the next call is its trial. No effect in any other state. */
  allowTrial(): void {
    if (this.state === 'open') this.transition('half-open');
  }

  /** Runs `call` unless the circuit refuses it; its outcome moves the state. */
  async run<T>(call: () => Promise<T>): Promise<T> {
    const state = this.state;
    if (state === 'open') throw new CircuitOpenError('Circuit open: not calling until the cool-down ends');
    if (state === 'half-open') {
      if (this.trialInFlight) throw new CircuitOpenError('Circuit half-open: a trial call is in flight');
      this.trialInFlight = true;
    }
    const isTrial = state === 'half-open';
    try {
      const result = await call();
      this.succeeded();
      return result;
    } catch (error) {
      this.failed(error);
      throw error;
    } finally {
      if (isTrial) this.trialInFlight = false;
    }
  }

  private succeeded(): void {
    this.failures = 0;
    if (this.current !== 'closed') this.transition('closed');
  }

  private failed(error: unknown): void {
    this.failures++;
    if (this.current === 'half-open' || (this.current === 'closed' && this.failures >= this.failureThreshold)) {
      this.openedAt = Date.now();
      this.transition('open', error);
    }
  }

  private transition(next: BreakerState, error?: unknown): void {
    const previous = this.current;
    this.current = next;
    this.options.onStateChange?.(next, previous, error);
  }
}
