import 'dotenv/config';
import { loadConfig } from '../config.js';
import { recount } from '../domain/recount.js';
import { openStore } from '../store/open.js';

/**
 * `npm run recount [-- --fix]`: recomputes every counter from the rows and prints the drift
 * (which must be 0). With --fix, counters are set to what the rows say.
 */
const config = loadConfig(process.env);
const { store, close } = await openStore({ path: config.DATABASE_PATH, url: config.DATABASE_URL });
const fix = process.argv.includes('--fix');
const { drift, drifts } = await recount(store, { fix });
for (const d of drifts.slice(0, 50)) console.log(`${d.campaignId} ${d.name}: counter ${d.actual}, rows ${d.expected}`);
console.log(`drift: ${drift}${fix && drift > 0 ? ' (fixed)' : ''}`);
await close();
process.exitCode = drift === 0 || fix ? 0 : 1;
