import 'dotenv/config';
import pino from 'pino';
import { loadConfig } from './config.js';
import { DatabaseUnavailableError } from './db/client.js';
import { transportOptions, webhookSettings, workerSettings } from './delivery/settings.js';
import { createWebhookDispatcher } from './delivery/webhooks.js';
import { createMailer } from './delivery/transport.js';
import { createWorker } from './delivery/worker.js';
import { systemClock } from './domain/clock.js';
import { createCounters } from './domain/counters.js';
import { createLetterLifecycle } from './domain/letter-lifecycle.js';
import { systemLookup } from './domain/webhook-address.js';
import { createWebhookEvents } from './domain/webhook-events.js';
import { closeGracefully } from './shutdown.js';
import { openStore } from './store/open.js';

/**
 * `npm run worker`: delivery in its own process, next to a server started with WORKER=off (or
 * alongside an inline one: leases keep two workers from sending the same message).
 */
async function main() {
  const config = loadConfig(process.env);
  const log = pino({ level: config.LOG_LEVEL, name: 'chorus-worker' });
  const { store, close } = await openStore({ path: config.DATABASE_PATH, url: config.DATABASE_URL });
  const mailer = createMailer(transportOptions(config));
  // The letters this worker moves report to webhooks in the same transactions, as the server's do.
  const lifecycle = createLetterLifecycle({ store, counters: createCounters(store.counters), webhooks: createWebhookEvents({ store, clock: systemClock }) });
  const worker = createWorker({ ...workerSettings(config), store, mailer, clock: systemClock, lifecycle, log });
  const webhooks = createWebhookDispatcher({ ...webhookSettings(config), store, clock: systemClock, lookup: systemLookup, log });

  closeGracefully(log, async () => {
    await Promise.all([worker.stop(8000), webhooks.stop(8000)]);
    mailer.close();
    await close();
  });
  worker.start();
  webhooks.start();
  log.info({ owner: worker.owner, transport: config.MAIL_TRANSPORT.replace(/\/\/[^/@]*@/, '//***@') }, 'delivery worker started');
}

main().catch((err: unknown) => {
  console.error(`chorus-worker: ${err instanceof DatabaseUnavailableError || (err instanceof Error && err.message.startsWith('Invalid configuration')) ? (err as Error).message : String(err)}`);
  process.exit(1);
});
