/**
 * The credit service, as the master calls it for its rooms' paid messages
 * (docs/protocol.md, "Paid messages"): `POST CREDIT_SERVICE_URL` with
 * `{"id":<idempotency key>,"user","room","amount"}`, signed like the webhooks
 * (X-Signature: hex HMAC-SHA256 of the body with CREDIT_SERVICE_SECRET), within
 * CREDIT_TIMEOUT_MS. One circuit breaker for the whole server: a service that
 * fails or hangs costs one timeout per few calls, and never holds up a room (a
 * room asks by message and goes on; src/room/tips.ts).
 *
 * Never twice for one key: a key whose tip was shown is answered `duplicate`
 * from memory or the store's tips, without calling the service; a key being
 * paid right now (asked, or paid and not yet shown) is answered `unavailable`.
 * The service itself must treat a repeated key as the same debit (a retry
 * after a timeout whose debit did go through).
 */
import axios, { type AxiosInstance } from 'axios';
import type { CreditServiceConfig } from '../config.js';
import { withDeadline } from '../lifecycle.js';
import type { Logger } from '../logger.js';
import type { DebitAnswer, DebitRequest } from '../protocol/room-messages.js';
import type { Store, TipRecord } from '../store/store.js';
import { CircuitBreaker, type CircuitBreakerOptions, CircuitOpenError } from './circuit-breaker.js';
import { bounded, describeFailure } from './outbound.js';
import { signature } from './webhooks.js';

/** How soon a sender should try again when the service gave no answer. */
export const CREDIT_RETRY_MS = 1_000;
/** A key paid and not reported shown within this is free again (its room went away meanwhile). */
const PAID_UNSHOWN_MS = 30_000;
/** Keys of shown tips kept in memory (older ones are found in the store). */
const SHOWN_KEPT = 10_000;
const STORE_READ_MS = 1_000;

export interface CreditServiceOptions extends CreditServiceConfig {
  store: Pick<Store, 'tip' | 'saveTip'>;
  logger: Logger;
  breaker?: CircuitBreakerOptions;
}

export class CreditService {
  private readonly http: AxiosInstance;
  readonly breaker: CircuitBreaker;
  /** Keys being paid now: since when. */
  private readonly busy = new Map<string, number>();
  /** Keys whose tip was shown: the message id (oldest first, bounded). */
  private readonly shown = new Map<string, number>();
  private readonly log: Logger;

  constructor(private readonly options: CreditServiceOptions) {
    this.log = options.logger.child({ component: 'credits' });
    // 4xx answers are answers (a refusal), not failures of the service; no redirects are followed.
    this.http = axios.create({ validateStatus: (status) => status < 500, maxRedirects: 0 });
    this.breaker = new CircuitBreaker({
      ...options.breaker,
      onStateChange: (state, _previous, error) =>
        this.log.warn(`Credit service circuit ${state}`, error === undefined ? {} : { error: describeFailure(error) }),
    });
  }

  async debit(request: DebitRequest): Promise<DebitAnswer> {
    const { key } = request;
    const shownAs = this.shown.get(key) ?? (await this.storedShown(key));
    if (shownAs !== undefined) return { request: request.id, outcome: 'duplicate', messageId: shownAs };
    const since = this.busy.get(key);
    if (since !== undefined && Date.now() - since < PAID_UNSHOWN_MS)
      return {
        request: request.id,
        outcome: 'unavailable',
        reason: 'This tip is being paid right now; try again shortly',
        retryAfterMs: CREDIT_RETRY_MS,
      };
    this.busy.set(key, Date.now());
    const answer = await this.call(request);
    // Paid: busy until its room says it was shown (or not), so a retry meanwhile cannot show it twice.
    if (answer.outcome !== 'paid') this.busy.delete(key);
    return answer;
  }

  /** A room reports a paid debit's end: shown as `messageId`, or not shown (null, free to be retried). */
  tipped(tip: TipRecord): void {
    this.busy.delete(tip.key);
    if (tip.messageId !== null) this.remember(tip.key, tip.messageId);
    this.save(tip);
  }

  private async call(request: DebitRequest): Promise<DebitAnswer> {
    const { url, secret, timeoutMs } = this.options;
    const body = JSON.stringify({ id: request.key, user: request.user.id, room: request.room, amount: request.amount });
    try {
      const response = await this.breaker.run(() =>
        this.http.post(url, body, {
          headers: { 'Content-Type': 'application/json', 'X-Signature': signature(secret, body) },
          ...bounded(timeoutMs),
        }),
      );
      if (response.status >= 200 && response.status < 300)
        return { request: request.id, outcome: 'paid', status: response.status };
      const reason = reasonOf(response.data) ?? `HTTP ${response.status}`;
      const outcome = response.status === 402 ? 'insufficient' : 'refused';
      this.save({
        key: request.key,
        room: request.room,
        user: request.user,
        amount: request.amount,
        messageId: null,
        answer: { status: response.status, outcome, reason },
        at: Date.now(),
      });
      return { request: request.id, outcome, reason };
    } catch (error) {
      if (error instanceof CircuitOpenError)
        return {
          request: request.id,
          outcome: 'unavailable',
          reason: 'The credit service is unavailable; try again later',
          retryAfterMs: Math.max(this.breaker.msUntilTrial(), CREDIT_RETRY_MS),
        };
      return {
        request: request.id,
        outcome: 'unavailable',
        reason: `The credit service did not answer (${describeFailure(error)}); try again with the same ref`,
        retryAfterMs: CREDIT_RETRY_MS,
      };
    }
  }

  /** The message id of a shown tip with this key, from the store; undefined when none or the store does not answer. */
  private async storedShown(key: string): Promise<number | undefined> {
    try {
      const tip = await withDeadline(this.options.store.tip(key), STORE_READ_MS, 'reading a tip');
      return tip?.messageId ?? undefined;
    } catch {
      return undefined;
    }
  }

  private remember(key: string, messageId: number): void {
    this.shown.set(key, messageId);
    if (this.shown.size > SHOWN_KEPT) this.shown.delete(this.shown.keys().next().value!);
  }

  private save(tip: TipRecord): void {
    withDeadline(this.options.store.saveTip(tip), STORE_READ_MS * 5, 'saving a tip').catch((error: unknown) =>
      this.log.warn('Could not store a tip', { room: tip.room, key: tip.key, error: (error as Error).message }),
    );
  }
}

/** The service's reason for a refusal: `message` or `reason` of a JSON body, or a short text body. */
function reasonOf(data: unknown): string | undefined {
  let parsed = data;
  if (typeof data === 'string') {
    try {
      parsed = JSON.parse(data);
    } catch {
      return data.trim() === '' ? undefined : data.trim().slice(0, 200);
    }
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const { message, reason } = parsed as { message?: unknown; reason?: unknown };
  const said = typeof reason === 'string' ? reason : typeof message === 'string' ? message : undefined;
  return said?.slice(0, 200);
}
