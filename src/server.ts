import 'dotenv/config';
import closeWithGrace from 'close-with-grace';
import { buildApp } from './app.js';
import { loadConfig } from './config.js';
import { DatabaseUnavailableError } from './db/client.js';
import { demoSlugs, seedDemo } from './demo.js';

/** The only file that touches process.*: config in, listen, close gracefully on signals. */
async function main() {
  const config = loadConfig(process.env);
  const app = await buildApp(config);
  if (config.DEMO && seedDemo(app.store, app.services)) app.log.info('seeded the demo campaigns');

  closeWithGrace({ delay: 10_000 }, async ({ signal, err }) => {
    if (err) app.log.error({ err }, 'closing after an error');
    else app.log.info({ signal }, 'shutting down');
    await app.close();
  });

  await app.listen({ port: config.PORT, host: config.HOST });
  // The port actually bound (PORT=0 asks the OS for a free one).
  const bound = app.server.address();
  const port = bound && typeof bound === 'object' ? bound.port : config.PORT;
  const base = `http://${config.HOST.includes(':') ? `[${config.HOST}]` : config.HOST}:${port}`;
  const lines = [`Chorus is listening on ${base}`, `  API docs:       ${base}/docs`];
  if (app.services.campaigns.getBySlug(demoSlugs.makset)) {
    lines.push(`  Demo campaign:  ${base}/c/${demoSlugs.makset}`, `  Public API:     ${base}/api/v1/actions/${demoSlugs.makset}`);
  }
  // An smtp:// URL may carry a password: never print it.
  lines.push(`  Mail goes to:   ${config.MAIL_TRANSPORT.replace(/\/\/[^/@]*@/, '//***@')}`);
  if (!config.ADMIN_API_KEY) {
    lines.push('  No ADMIN_API_KEY is set: create an organizer key with', '    npm run keys -- create --name me --scopes campaigns,letters,supporters,keys');
  }
  console.log(lines.join('\n'));
}

main().catch((err: unknown) => {
  if (err instanceof DatabaseUnavailableError || (err instanceof Error && err.message.startsWith('Invalid configuration'))) {
    console.error(`chorus: ${err.message}`);
  } else {
    console.error('chorus: failed to start:', err);
  }
  process.exit(1);
});
