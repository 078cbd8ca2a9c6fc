import { z } from 'zod';

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

/** TRUST_PROXY is Fastify's trustProxy: true/false, or a comma-separated list of proxy addresses/CIDRs. */
const trustProxy = z.string().transform((v): boolean | string[] => {
  if (/^(true|false|1|0|yes|no)$/.test(v)) return v === 'true' || v === 'yes' || v === '1';
  return v.split(',').map((s) => s.trim()).filter(Boolean);
});

/** The environment, as documented in API.md and .env.example. Every variable is optional. */
export const EnvSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().default('127.0.0.1'),
  DATABASE_PATH: z.string().min(1).default('./data/chorus.db'),
  /** PostgreSQL instead of the SQLite file; being built (today only the storage infrastructure uses it). */
  DATABASE_URL: z.url().regex(/^postgres(ql)?:\/\//, 'DATABASE_URL must be a postgres:// or postgresql:// URL').optional(),
  PUBLIC_URL: z.url().default('http://localhost:3000').transform((u) => u.replace(/\/+$/, '')),
  ADMIN_API_KEY: z.string().min(16, 'ADMIN_API_KEY must be at least 16 characters').optional(),
  /** When set (16+ characters), GET /metrics answers Prometheus text to `Authorization: Bearer <METRICS_TOKEN>`; unset, it is a 404. */
  METRICS_TOKEN: z.string().min(16, 'METRICS_TOKEN must be at least 16 characters').optional(),
  MAIL_TRANSPORT: z.string().min(1).default('file:./data/outbox'),
  MAIL_FROM: z.string().min(3).default('Chorus <no-reply@localhost>'),
  WORKER: z.enum(['inline', 'off']).default('inline'),
  RETRY_BASE_MS: z.coerce.number().int().min(1).default(60_000),
  RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).default(20),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  TRUST_PROXY: trustProxy.default(false),
  /** Seed the demo campaigns into an empty database (on by default for `npm start`). */
  DEMO: bool.default(true),
  /** Scrub letter bodies this many days after delivery. */
  RETENTION_BODY_DAYS: z.coerce.number().int().min(0).default(28),
  /** Scrub supporter contact data this many days after their last letter is delivered. */
  RETENTION_CONTACT_DAYS: z.coerce.number().int().min(0).default(365),
  /** Delivery attempts give up as `failed` after this many hours. */
  MAX_DELIVERY_AGE_HOURS: z.coerce.number().positive().default(120),
  /** Messages the delivery worker has in flight at once (also the most a crash can send twice). */
  DELIVERY_CONCURRENCY: z.coerce.number().int().min(1).max(500).default(20),
  /** A claimed message whose worker stopped renewing its lease (it crashed) is claimed again after this. */
  DELIVERY_LEASE_SECONDS: z.coerce.number().int().min(1).default(30),
  /** Longest the worker waits for one send; a send past it is claimed again only once its lease runs out. */
  DELIVERY_SEND_TIMEOUT_SECONDS: z.coerce.number().int().min(1).default(60),
  /** A message failing for reasons other than SMTP or the network is held after this many attempts. */
  DELIVERY_HOLD_AFTER: z.coerce.number().int().min(1).default(5),
  /** Consecutive failures to one recipient domain that pause deliveries to it, and for how long. */
  DELIVERY_PAUSE_AFTER: z.coerce.number().int().min(1).default(10),
  DELIVERY_PAUSE_MINUTES: z.coerce.number().positive().default(60),
  /** When set, an SMTP listener for delivery status notifications (bounces) of the letters Chorus sent; 0 picks a free port. */
  INBOUND_SMTP_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  INBOUND_SMTP_HOST: z.string().min(1).default('127.0.0.1'),
  /** Webhook URLs may be plain http and point at loopback or private addresses (development and tests only). */
  WEBHOOK_ALLOW_PRIVATE: bool.default(false),
  DKIM_DOMAIN: z.string().optional(),
  DKIM_SELECTOR: z.string().optional(),
  DKIM_KEY_FILE: z.string().optional(),
});

export type Config = Readonly<z.infer<typeof EnvSchema>>;

/** Pure: the same env gives the same config. Throws a readable error listing every bad variable. */
export function loadConfig(env: Record<string, string | undefined>): Config {
  const defined = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const result = EnvSchema.safeParse(defined);
  if (!result.success) {
    const lines = result.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new Error(`Invalid configuration:\n${lines.join('\n')}`);
  }
  return Object.freeze(result.data);
}
