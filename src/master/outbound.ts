/**
 * What the load-balancer client and the webhooks share about calling another
 * service: one error description for logs and /load, and a hard time bound on
 * every request (axios's `timeout` alone measures socket idleness, so a peer that
 * trickles bytes could hold a call open; the abort signal bounds the whole call).
 */
import { AxiosError, type AxiosRequestConfig } from 'axios';

/** Every outbound call gives up after this (docs/loadbalancer-protocol.md: 1 s). */
export const OUTBOUND_TIMEOUT_MS = 1_000;

export function bounded(timeoutMs: number): Pick<AxiosRequestConfig, 'timeout' | 'signal'> {
  return { timeout: timeoutMs, signal: AbortSignal.timeout(timeoutMs) };
}

/** A short, stable description of why a call failed: HTTP status and message, or the socket error. */
export function describeFailure(error: unknown): string {
  if (error instanceof AxiosError) {
    if (error.response) {
      const data = error.response.data as { message?: unknown } | undefined;
      const said = typeof data?.message === 'string' ? `: ${data.message}` : '';
      return `HTTP ${error.response.status}${said}`;
    }
    if (error.code === 'ECONNABORTED' || error.code === 'ERR_CANCELED' || error.code === 'ETIMEDOUT')
      return 'no answer within the timeout';
    return error.code ?? error.message;
  }
  return error instanceof Error ? error.message : String(error);
}
