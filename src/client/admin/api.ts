/**
 * The console's only way to the server: the admin API beside the page (same
 * origin, /api/v1), every call with the key as X-API-Key. The key lives in
 * sessionStorage (this tab, until it closes), never in a cookie, so no other
 * site's request can carry it.
 */
import type { Load, Readiness } from './types.js';

const KEY_STORAGE = 'chatserver-admin-key';
const API = new URL('../api/v1', window.location.href).pathname;

/** A call that did not succeed: the server's code and message, or NETWORK when it did not answer. */
export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
  /** The key itself was refused (or the address is locked out or not allowed): sign in again. */
  get refusesKey(): boolean {
    return this.status === 401 || this.status === 403 || this.status === 429;
  }
}

export const storedKey = (): string | null => sessionStorage.getItem(KEY_STORAGE);
export const storeKey = (key: string): void => sessionStorage.setItem(KEY_STORAGE, key);
export const forgetKey = (): void => sessionStorage.removeItem(KEY_STORAGE);

interface ErrorBody {
  error?: { code?: string; message?: string; checks?: Readiness['checks'] };
}

export class AdminApi {
  constructor(private readonly key: string) {}

  /** `data` of a successful answer; an ApiFailure otherwise. */
  async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const { res, json } = await this.send(method, path, body);
    if (!res.ok) throw failureOf(res, json);
    return (json as { data: T }).data;
  }

  get<T>(path: string): Promise<T> {
    return this.call<T>('GET', path);
  }

  load(): Promise<Load> {
    return this.get<Load>('/load');
  }

  /** The readiness report whether ready (200) or not (503, the same checks). */
  async ready(): Promise<Readiness> {
    const { res, json } = await this.send('GET', '/health/ready');
    if (res.ok) return { ok: true, checks: (json as { data: Readiness }).data.checks };
    if (res.status === 503 && (json as ErrorBody).error?.checks !== undefined)
      return { ok: false, checks: (json as ErrorBody).error?.checks ?? [] };
    throw failureOf(res, json);
  }

  private async send(method: string, path: string, body?: unknown): Promise<{ res: Response; json: unknown }> {
    const headers: Record<string, string> = { 'X-API-Key': this.key, Accept: 'application/json' };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    let res: Response;
    try {
      res = await fetch(`${API}${path}`, {
        method,
        headers,
        body: body === undefined ? null : JSON.stringify(body),
        cache: 'no-store',
        credentials: 'omit',
      });
    } catch (error) {
      throw new ApiFailure(0, 'NETWORK', `The server does not answer (${(error as Error).message})`);
    }
    const json: unknown = await res.json().catch(() => ({}));
    return { res, json };
  }
}

function failureOf(res: Response, json: unknown): ApiFailure {
  const error = (json as ErrorBody).error;
  return new ApiFailure(res.status, error?.code ?? `HTTP_${res.status}`, error?.message ?? res.statusText);
}

/**
 * A 404 for a path no route matches: this server lacks the feature (tips, review
 * terms), as opposed to a 404 for a room or ban that is not there.
 */
export function isMissingRoute(error: unknown): boolean {
  return error instanceof ApiFailure && error.status === 404 && /^No such path/.test(error.message);
}

/** What the page says for a refused key, address or lock-out. */
export function refusalText(failure: ApiFailure): string {
  if (failure.status === 401)
    return 'The server refused this admin key (401 Unauthorized). Check ADMIN_KEY and try again.';
  if (failure.status === 429) return `Too many wrong keys from this address: ${failure.message}`;
  if (failure.status === 403) return `This address may not use the admin API: ${failure.message}`;
  return failure.message;
}
