/**
 * `npm run soak`: crash recovery under repeated kill -9. A real SMTP server on 127.0.0.1, a
 * campaign of queued letters, and a delivery worker process that is SIGKILLed mid-delivery and
 * restarted, CYCLES times (default 100), then one last worker drains the rest. It checks that
 * no letter is lost, that each kill resends at most the letters that were in flight when it
 * struck, and that the counters agree with the rows; it prints the figures and exits non-zero
 * on a loss. Bounded: every wait has a deadline, and everything runs on loopback.
 *
 * `npm run soak -- --postgres` runs the same on a throwaway PostgreSQL cluster (the tests' own).
 */
import { recount } from '../src/domain/recount.js';
import { postgresBinDir, startPgCluster } from '../test/helpers/pg-cluster.js';
import { startSmtp } from '../test/helpers/smtp-server.js';
import { readyCampaign, submit, supporter } from '../test/helpers/supporters.js';
import { startWorkerProcess, until } from '../test/helpers/worker-process.js';

const onPostgres = process.argv.includes('--postgres');
const binDir = onPostgres ? postgresBinDir() : undefined;
if (onPostgres && !binDir) throw new Error('--postgres: PostgreSQL is not installed (apt-get install -y postgresql)');
const cluster = binDir ? await startPgCluster(binDir) : undefined;
if (cluster) Object.assign(process.env, { CHORUS_TEST_PG_URL: cluster.url, CHORUS_TEST_ENGINE: 'postgres' });
// Imported once the engine is chosen: the test app's helper reads it when it loads.
const { buildTestApp } = await import('../test/helpers/build-app.js');

const cycles = Number(process.env.CYCLES ?? 100);
const perCycle = 25;
const concurrency = 10;
// A short lease keeps a hundred restarts within minutes; the default (30 s) only changes how long each waits.
const leaseSeconds = 2;
const supporters = cycles * perCycle + 500;

async function main() {
  const started = Date.now();
  const smtp = await startSmtp(() => ({ delayMs: 5 }));
  const t = await buildTestApp({ RATE_LIMIT_PER_MINUTE: '1000000' });
  const { campaign, ambassador } = await readyCampaign(t.app, { confirmation: 'none' });
  // One target only: each supporter writes one letter.
  for (let i = 1; i <= supporters; i += 200) {
    const batch = [];
    for (let j = i; j < Math.min(i + 200, supporters + 1); j++) batch.push(submit(t.app, campaign.slug, { ...supporter(j), targetIds: [ambassador.id] }));
    await Promise.all(batch);
  }
  // The app's store observes what the worker processes commit.
  const { sql } = t.app.store;
  const count = async (status: string) => (await sql.value<number>('SELECT count(*) FROM letters WHERE campaign_id = ? AND status = ?', [campaign.id, status]))!;
  const ownedSending = async (pid: number | undefined) => (await sql.value<number>("SELECT count(*) FROM outbox WHERE status = 'sending' AND lease_owner LIKE ?", [`%:${pid}:%`]))!;
  const letters = (await sql.value<number>('SELECT count(*) FROM letters WHERE campaign_id = ?', [campaign.id]))!;
  const env = {
    ...t.dbEnv,
    MAIL_TRANSPORT: smtp.url,
    MAIL_FROM: 'Chorus <letters@example.org>',
    DELIVERY_CONCURRENCY: String(concurrency),
    DELIVERY_LEASE_SECONDS: String(leaseSeconds),
  };

  let inFlightAtKills = 0;
  let maxInFlight = 0;
  const recoveries: number[] = [];
  for (let c = 0; c < cycles; c++) {
    const before = smtp.raw.length;
    const restartedAt = Date.now();
    const worker = startWorkerProcess(env);
    await until(() => smtp.raw.length > before, 'the first message after a restart', 60_000, 5);
    recoveries.push(Date.now() - restartedAt);
    await until(() => smtp.raw.length >= before + perCycle, `${perCycle} messages in cycle ${c + 1}`, 60_000, 5);
    await worker.stop('SIGKILL');
    // The killed worker's own rows in flight (earlier victims' rows may still wait for their lease).
    const sending = await ownedSending(worker.child.pid);
    inFlightAtKills += sending;
    maxInFlight = Math.max(maxInFlight, sending);
  }
  const last = startWorkerProcess(env);
  await until(async () => (await count('sent')) === letters, `all ${letters} letters recorded as sent`, 300_000, 50);
  await last.stop();

  const ids = smtp.raw.map((r) => /^Message-ID: <([^@>]+)@/im.exec(r.toString('latin1'))?.[1]);
  const received = new Set(ids);
  const stored = await sql.all<{ id: string }>('SELECT id FROM letters WHERE campaign_id = ?', [campaign.id]);
  const lost = stored.filter(({ id }) => !received.has(id)).length;
  const duplicates = ids.length - received.size;
  const drift = (await recount(t.app.store)).drift;
  const sorted = [...recoveries].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)] ?? 0;
  await t.close();
  await smtp.close();

  const lines = [
    `soak (${cluster ? 'PostgreSQL' : 'SQLite'}): ${cycles} kill -9/restart cycles, ${letters} letters, concurrency ${concurrency}, lease ${leaseSeconds} s, ${((Date.now() - started) / 1000).toFixed(0)} s in all`,
    `  lost:                      ${lost}`,
    `  duplicates:                ${duplicates} (in flight at the kills: ${inFlightAtKills}, at most ${maxInFlight} at one kill; window ${concurrency})`,
    `  first message after restart: median ${median} ms, max ${sorted.at(-1) ?? 0} ms (includes process start and the lease of the killed worker's rows)`,
    `  counter drift:             ${drift}`,
  ];
  console.log(lines.join('\n'));
  const ok = lost === 0 && duplicates <= inFlightAtKills && maxInFlight <= concurrency && drift === 0;
  console.log(ok ? 'soak: pass' : 'soak: FAIL');
  process.exitCode = ok ? 0 : 1;
}

try {
  await main();
} finally {
  await cluster?.stop();
}
