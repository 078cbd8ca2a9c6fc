import 'dotenv/config';
import { buildApp } from './app.js';
import { loadConfig } from './config.js';
import { DatabaseUnavailableError } from './db/client.js';
import { demoSlugs, seedDemo } from './demo.js';
import { closeGracefully } from './shutdown.js';

/**
 * Config in, listen, close gracefully on signals: with shutdown.ts, the only files touching
 * process.*. Everything on stdout is a JSON log line (log collectors parse each line), so the
 * start banner is one too; only a start that fails before the logger exists writes to stderr.
 */
async function main() {
  const config = loadConfig(process.env);
  const app = await buildApp(config);
  if (config.DEMO && (await seedDemo(app.store, app.services))) app.log.info('seeded the demo campaigns');

  closeGracefully(app.log, () => app.close());

  await app.listen({ port: config.PORT, host: config.HOST });
  // The port actually bound (PORT=0 asks the OS for a free one).
  const bound = app.server.address();
  const port = bound && typeof bound === 'object' ? bound.port : config.PORT;
  const base = `http://${config.HOST.includes(':') ? `[${config.HOST}]` : config.HOST}:${port}`;
  const links: Record<string, string> = { docs: `${base}/docs`, dashboard: `${base}/admin` };
  if (await app.services.campaigns.getBySlug(demoSlugs.makset)) {
    links.demoCampaign = `${base}/c/${demoSlugs.makset}`;
    links.publicApi = `${base}/api/v1/actions/${demoSlugs.makset}`;
  }
  // An smtp:// URL may carry a password: never print it.
  links.mail = config.MAIL_TRANSPORT.replace(/\/\/[^/@]*@/, '//***@');
  app.log.info(links, `Chorus is listening on ${base}`);
  if (!config.ADMIN_API_KEY) {
    app.log.info('No ADMIN_API_KEY is set: create an organizer key with `npm run keys -- create --name me --scopes campaigns,letters,supporters,keys`');
  }
}

main().catch((err: unknown) => {
  if (err instanceof DatabaseUnavailableError || (err instanceof Error && err.message.startsWith('Invalid configuration'))) {
    console.error(`chorus: ${err.message}`);
  } else {
    console.error('chorus: failed to start:', err);
  }
  process.exit(1);
});
