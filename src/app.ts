import { fastifySSE } from '@fastify/sse';
import Fastify, { type FastifyInstance } from 'fastify';
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Config } from './config.js';
import type { Db } from './db/client.js';
import { systemClock, type Clock } from './domain/clock.js';
import { systemLookup, type Lookup } from './domain/webhook-address.js';
import { loggerOptions } from './logging.js';
import { authPlugin } from './plugins/auth.js';
import { clientErrorHandler, frameworkErrors } from './plugins/client-errors.js';
import { dbPlugin } from './plugins/db.js';
import { deliveryPlugin } from './plugins/delivery.js';
import { inboundSmtpPlugin } from './plugins/inbound-smtp.js';
import { idempotencyPlugin } from './plugins/idempotency.js';
import { jobsPlugin } from './plugins/jobs.js';
import { loadSheddingPlugin, type PressureLimits } from './plugins/load-shedding.js';
import { metricsPlugin } from './plugins/metrics.js';
import { openapiPlugin } from './plugins/openapi.js';
import { pageStringsPlugin, pagesPlugin } from './plugins/pages.js';
import { problemsPlugin } from './plugins/problems.js';
import { rateLimitsPlugin } from './plugins/rate-limits.js';
import { genReqId, requestIdPlugin } from './plugins/request-id.js';
import { servicesPlugin } from './plugins/services.js';
import { actionPreviewRoutes } from './routes/action-preview.js';
import { actionRoutes } from './routes/actions.js';
import { campaignRoutes } from './routes/campaigns.js';
import { healthRoutes } from './routes/health.js';
import { keyRoutes } from './routes/keys.js';
import { letterRoutes } from './routes/letters.js';
import { metricsRoutes } from './routes/metrics.js';
import { offlineCountRoutes } from './routes/offline-counts.js';
import { postalRoutes } from './routes/postal.js';
import { responseRoutes } from './routes/responses.js';
import { supporterRoutes } from './routes/supporters.js';
import { targetRoutes } from './routes/targets.js';
import { templateRoutes } from './routes/templates.js';
import { webhookRoutes } from './routes/webhooks.js';

export interface AppOverrides {
  db?: Db;
  clock?: Clock;
  /** Where log lines go (tests read them to prove nothing personal is logged). */
  logStream?: NodeJS.WritableStream;
  /** Load-shedding thresholds (tests lower them to force pressure deterministically). */
  pressure?: Partial<PressureLimits>;
  /** How webhook hosts resolve, and how long a receiver may take (tests pass their own resolver and a shorter timeout). */
  webhooks?: { lookup?: Lookup; timeoutMs?: number };
}

/** JSON bodies above this are refused with 413; templates (20,000 characters) fit with room. */
export const bodyLimit = 64 * 1024;

/** Builds the whole app in an explicit order; never listens (server.ts and tests do). */
export async function buildApp(config: Config, overrides: AppOverrides = {}): Promise<FastifyInstance> {
  const app = Fastify({
    logger: loggerOptions(config, overrides.logStream),
    bodyLimit,
    trustProxy: config.TRUST_PROXY,
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    return503OnClosing: true,
    // genReqId reads X-Request-Id itself, keeping a client's id only when it is well-formed.
    requestIdHeader: false,
    genReqId,
    // Refusals from the router and from Node's HTTP parser are problem documents like every other error.
    frameworkErrors,
    clientErrorHandler,
  }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  // JSON (and, where a page registers it, form posts) only: a text/plain body is a 415, not a string.
  app.removeContentTypeParser('text/plain');

  await app.register(requestIdPlugin);
  await app.register(problemsPlugin);
  await app.register(dbPlugin, { path: config.DATABASE_PATH, url: config.DATABASE_URL, db: overrides.db });
  await app.register(servicesPlugin, { config, clock: overrides.clock ?? systemClock, lookup: overrides.webhooks?.lookup ?? systemLookup });
  // After the start's synchronous work (migrations, caches): its event-loop sampling begins here.
  await app.register(loadSheddingPlugin, overrides.pressure ?? {});
  await app.register(authPlugin);
  if (config.METRICS_TOKEN) await app.register(metricsPlugin);
  await app.register(idempotencyPlugin);
  await app.register(rateLimitsPlugin);
  await app.register(fastifySSE, { heartbeatInterval: 0 });
  // Every server takes its turn at the periodic jobs; the database gives each period to one of them.
  await app.register(jobsPlugin);
  await app.register(deliveryPlugin, {
    enabled: config.WORKER === 'inline',
    webhooks: { lookup: overrides.webhooks?.lookup ?? systemLookup, timeoutMs: overrides.webhooks?.timeoutMs },
  });
  if (config.INBOUND_SMTP_PORT !== undefined) await app.register(inboundSmtpPlugin, { host: config.INBOUND_SMTP_HOST, port: config.INBOUND_SMTP_PORT });
  await app.register(openapiPlugin);
  await app.register(pageStringsPlugin);

  await app.register(healthRoutes);
  if (config.METRICS_TOKEN) await app.register(metricsRoutes, { token: config.METRICS_TOKEN });
  await app.register(keyRoutes);
  await app.register(campaignRoutes);
  await app.register(targetRoutes);
  await app.register(templateRoutes);
  await app.register(actionRoutes);
  await app.register(actionPreviewRoutes);
  await app.register(letterRoutes);
  await app.register(offlineCountRoutes);
  await app.register(responseRoutes);
  await app.register(postalRoutes);
  await app.register(supporterRoutes);
  await app.register(webhookRoutes);
  // Pages last, in their own context: cookies, CSRF, helmet and HTML errors stay theirs.
  await app.register(pagesPlugin);
  return app;
}
