/**
 * Why a room could not be created when the server itself is fine: every slot is
 * taken or the server is draining (NoSlotError), or the process has run out of
 * file descriptors. Both are answered 503 with Retry-After, never 500.
 */
export class NoSlotError extends Error {
  override readonly name: string = 'NoSlotError';
}

/**
 * A room could not be created because the process is out of file descriptors
 * (EMFILE, ENFILE): a "no slot" answer (503), not a failure of the server.
 */
export class DescriptorsExhaustedError extends NoSlotError {
  override readonly name = 'DescriptorsExhaustedError';
}

/** Whether an error says the process (EMFILE) or the system (ENFILE) has no descriptor left. */
export function isDescriptorShortage(error: unknown): boolean {
  const e = error as { code?: unknown; message?: unknown } | null;
  if (e === null || typeof e !== 'object') return false;
  if (e.code === 'EMFILE' || e.code === 'ENFILE') return true;
  // A worker thread that cannot start its event loop says so only in its message.
  return typeof e.message === 'string' && /\bE[MN]FILE\b/.test(e.message);
}
