import { redactAddresses } from '../domain/redact.js';
import { UnsendableError } from './messages.js';

/**
 * How a failed attempt is handled:
 * - temporary: SMTP 4xx, 503, timeouts, connection trouble. Retried with backoff until the maximum age.
 * - permanent: any other SMTP 5xx, or a message that cannot be sent as it stands. Failed at once.
 * - unexpected: anything else (a bug, bad data). Retried a few times, then held for a person to look at.
 */
type FailureKind = 'temporary' | 'permanent' | 'unexpected';

const networkCodes = new Set([
  'ECONNECTION', 'ETIMEDOUT', 'ESOCKET', 'EDNS', 'ETLS', 'EPROTOCOL', 'EAUTH', 'ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN',
]);

export function classify(err: unknown): { kind: FailureKind; reason: string } {
  const e = err as { responseCode?: number; response?: string; code?: string; message?: string };
  const reason = redactAddresses((e.response ?? e.message ?? String(err)).slice(0, 500));
  if (err instanceof UnsendableError) return { kind: 'permanent', reason };
  if (typeof e.responseCode === 'number') {
    if (e.responseCode >= 500 && e.responseCode !== 503) return { kind: 'permanent', reason };
    if (e.responseCode >= 400) return { kind: 'temporary', reason };
  }
  if (e.code && networkCodes.has(e.code)) return { kind: 'temporary', reason: `${e.code}: ${reason}` };
  return { kind: 'unexpected', reason };
}

/**
 * Retry n (1-based) waits base·2^(n-1) plus up to a quarter more at random, so retries of a
 * backlog that failed together do not all come back in the same second; never more than the cap.
 */
export function backoffMs(attempt: number, baseMs: number, capMs: number, random = Math.random): number {
  const delay = Math.min(capMs, baseMs * 2 ** Math.min(attempt - 1, 30));
  return Math.round(Math.min(capMs, delay * (1 + random() / 4)));
}
