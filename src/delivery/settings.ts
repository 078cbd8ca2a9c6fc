import type { Config } from '../config.js';
import type { TransportOptions } from './transport.js';
import type { WorkerOptions } from './worker.js';

/** The transport MAIL_TRANSPORT and DKIM_* describe. */
export function transportOptions(config: Config): TransportOptions {
  const { DKIM_DOMAIN: domain, DKIM_SELECTOR: selector, DKIM_KEY_FILE: keyFile } = config;
  const dkim = domain && selector && keyFile ? { domain, selector, keyFile } : undefined;
  return { url: config.MAIL_TRANSPORT, dkim };
}

/** The worker settings from the environment; the caller adds db, mailer, clock and counters. */
export function workerSettings(config: Config) {
  return {
    mailFrom: config.MAIL_FROM,
    retryBaseMs: config.RETRY_BASE_MS,
    maxAgeMs: config.MAX_DELIVERY_AGE_HOURS * 3_600_000,
    concurrency: config.DELIVERY_CONCURRENCY,
    leaseMs: config.DELIVERY_LEASE_SECONDS * 1000,
    sendTimeoutMs: config.DELIVERY_SEND_TIMEOUT_SECONDS * 1000,
    holdAfter: config.DELIVERY_HOLD_AFTER,
    pauseAfter: config.DELIVERY_PAUSE_AFTER,
    pauseMs: config.DELIVERY_PAUSE_MINUTES * 60_000,
  } satisfies Partial<WorkerOptions>;
}

/** The webhook dispatcher's settings from the environment; the caller adds the store, clock and resolver. */
export function webhookSettings(config: Config) {
  return {
    allowPrivate: config.WEBHOOK_ALLOW_PRIVATE,
    retryBaseMs: config.RETRY_BASE_MS,
    leaseMs: config.DELIVERY_LEASE_SECONDS * 1000,
  };
}
