import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { transportOptions, webhookSettings, workerSettings } from '../delivery/settings.js';
import { createPostalService, type PostalService } from '../delivery/postal.js';
import { createMailer, type Mailer } from '../delivery/transport.js';
import { createWebhookDispatcher, type WebhookDispatcher } from '../delivery/webhooks.js';
import { createWorker, type Worker } from '../delivery/worker.js';
import type { Lookup } from '../domain/webhook-address.js';

declare module 'fastify' {
  interface FastifyInstance {
    delivery: { mailer: Mailer; worker: Worker; postal: PostalService; webhooks: WebhookDispatcher };
  }
}

/**
 * The mailer, the delivery worker and the postal print run. With WORKER=inline the worker runs in the server: started
 * when the app is ready, stopped (in-flight sends finishing within `graceMs`) before the
 * database closes. With WORKER=off it is still built, so tests can drive it with tick()/drain().
 */
export const deliveryPlugin = fp(
  async (app: FastifyInstance, opts: { enabled: boolean; graceMs?: number; webhooks: { lookup: Lookup; timeoutMs?: number } }) => {
    const { config, services } = app;
    const mailer = createMailer(transportOptions(config));
    const worker = createWorker({
      ...workerSettings(config),
      store: app.store,
      mailer,
      clock: app.clock,
      lifecycle: services.lifecycle,
      log: app.log,
    });
    const postal = createPostalService({ store: app.store, clock: app.clock, lifecycle: services.lifecycle });
    const webhooks = createWebhookDispatcher({
      ...webhookSettings(config),
      store: app.store,
      clock: app.clock,
      lookup: opts.webhooks.lookup,
      timeoutMs: opts.webhooks.timeoutMs,
      log: app.log,
    });
    app.decorate('delivery', { mailer, worker, postal, webhooks });
    let unsubscribe = () => {};
    app.addHook('onReady', async () => {
      if (!opts.enabled) return;
      worker.start();
      webhooks.start();
      unsubscribe = services.outbox.onQueued(() => worker.wake());
    });
    app.addHook('preClose', async () => {
      unsubscribe();
      await Promise.all([worker.stop(opts.graceMs ?? 8000), webhooks.stop(opts.graceMs ?? 8000)]);
      mailer.close();
    });
  },
  { name: 'delivery', dependencies: ['services'] },
);
