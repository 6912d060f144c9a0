/**
 * Reconnect delays: exponential backoff with jitter. Jitter spreads the
 * reconnects of many clients that lost the same room at the same moment, so a
 * restarted room is not hit by all of them in the same millisecond.
 */
export interface BackoffOptions {
  /** Delay before the first reconnect attempt (ms). */
  initialMs?: number;
  /** The delay never grows past this (ms). */
  maxMs?: number;
  /** Each failed attempt multiplies the delay by this. */
  factor?: number;
  /** Share of the delay that is random, 0..1: 0.5 gives a delay in [d/2, d]. */
  jitter?: number;
}

export const DEFAULT_BACKOFF: Required<BackoffOptions> = { initialMs: 500, maxMs: 15_000, factor: 2, jitter: 0.5 };

/** The delay before reconnect attempt `attempt` (0 for the first); `random` returns [0, 1). */
export function backoffDelay(
  attempt: number,
  options: BackoffOptions = {},
  random: () => number = Math.random,
): number {
  const { initialMs, maxMs, factor, jitter } = { ...DEFAULT_BACKOFF, ...options };
  const base = Math.min(maxMs, initialMs * Math.pow(factor, Math.max(0, attempt)));
  const share = Math.min(1, Math.max(0, jitter));
  return Math.round(base * (1 - share * random()));
}
