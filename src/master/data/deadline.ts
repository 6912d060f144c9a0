/**
 * The data layer's one race against a timer: a store call that hangs must not
 * hold what waits on it (a room's opening, an admin call, a stop). Kept here
 * until the master's lifecycle module (src/lifecycle.ts, `withDeadline`) takes
 * its place; the signature is the same.
 */
export class DeadlineError extends Error {
  override readonly name = 'DeadlineError';
}

/** Resolves or rejects as `work` does, or rejects with a DeadlineError naming `what` after `ms`. */
export function withDeadline<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new DeadlineError(`${what}: no answer within ${Math.round(ms)} ms`)), ms);
  });
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}
