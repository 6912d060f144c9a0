/** What every view of the console is given by the page (main.ts): the API and a way to report. */
import type { AdminApi } from './api.js';

export interface ConsoleContext {
  /** The signed-in API client. */
  api(): AdminApi;
  /** A line in the page's status area (role="status"), or an alert for a failure. */
  report(text: string, tone?: 'ok' | 'error'): void;
  /** A call that failed: a refused key signs out, anything else is reported. */
  failed(error: unknown): void;
  /** Polls again now, after an action changed something. */
  refresh(): void;
}

/** Runs an action's call, reporting its failure; answers whether it succeeded. */
export async function attempt(ctx: ConsoleContext, call: () => Promise<unknown>, done: string): Promise<boolean> {
  try {
    await call();
    ctx.report(done, 'ok');
    ctx.refresh();
    return true;
  } catch (error) {
    ctx.failed(error);
    return false;
  }
}
