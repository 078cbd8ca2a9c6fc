import { systemClock } from '../src/domain/clock.js';
import { loadConfig } from '../src/config.js';
import { openDatabase, type Db } from '../src/db/client.js';
import { lanes, recipientDomain } from '../src/delivery/outbox.js';
import { counterNames, type Deltas } from '../src/domain/counters.js';
import { recount } from '../src/domain/recount.js';
import { renderLetter } from '../src/domain/render-letter.js';
import { readLetterTemplate } from '../src/demo.js';
import type { Store } from '../src/store/index.js';
import { openStore } from '../src/store/open.js';
import { createServices, type Services } from '../src/services.js';
import { submission } from './payload.js';

/**
 * Prepares benchmark databases before the service starts: campaigns made through the domain
 * services (as the organizer API makes them) and, for the large campaign, rows inserted
 * directly in one transaction, in the same shape the accept path writes for a letter with
 * `confirmation: none` (counted supporter, confirmed submission, queued letter with its
 * rendered text, outbox row) and with counters that agree with the rows (checked by recount).
 * SQLite-only: the fill writes the file through the driver itself, which is what makes it fast.
 */
export interface BenchDb {
  /** The store's own connection, for the fill's direct inserts. */
  db: Db;
  store: Store;
  services: Services;
  close(): Promise<void>;
}

export async function openBenchDb(path: string): Promise<BenchDb> {
  const db = openDatabase(path);
  const { store } = await openStore({ path, db });
  const services = await createServices({ store, clock: systemClock, config: loadConfig({ DATABASE_PATH: path, DEMO: 'false' }) });
  // The store's executor owns the connection it was handed: closing it closes the file.
  return { db, store, services, close: () => store.sql.close() };
}

export interface BenchCampaign {
  id: string;
  slug: string;
  targetEmail: string;
}

/**
 * The seed campaign (Pastor Makset's extradition, the Article 33 appeal) with one email target,
 * the Kazakh ambassador: the 3,800 supporters of 2012 wrote to him. No per-target throttle.
 */
export async function createBenchCampaign(b: BenchDb, slug: string, confirmation: 'none' | 'email'): Promise<BenchCampaign> {
  const { campaigns, targets, templates } = b.services;
  const campaign = await campaigns.create({
    slug,
    title: 'Stop the extradition of Pastor Makset Djabbarbergenov to Uzbekistan',
    summary: 'A refugee pastor is held in an Almaty prison, facing extradition to Uzbekistan for leading house churches.',
    status: 'active',
    goal: 5000,
    locale: 'en',
    confirmation,
    delivery: { mode: 'email' },
    rules: { forbiddenPhrases: [], noteMaxLength: 1000 },
  });
  const targetEmail = 'ambassador@example.kz';
  await targets.create(campaign.id, {
    name: 'Ambassador of Kazakhstan',
    title: 'Ambassador of the Republic of Kazakhstan to the United States',
    organization: 'Embassy of the Republic of Kazakhstan',
    email: targetEmail,
    salutation: 'Your Excellency',
  });
  await templates.create(campaign.id, { name: 'Article 33 appeal', locale: 'en', ...readLetterTemplate('article-33-appeal.hbs') });
  return { id: campaign.id, slug, targetEmail };
}

/** Adds `count` accepted letters from distinct supporters to a campaign, in one transaction. */
export async function fillLetters(b: BenchDb, campaignSlug: string, count: number): Promise<void> {
  const { db, store, services } = b;
  const sql = db.$client;
  const campaign = (await services.campaigns.getBySlug(campaignSlug))!;
  const target = (await services.targets.list(campaign.id))[0]!;
  const template = (await services.templates.list(campaign.id))[0]!;
  const insertSupporter = sql.prepare(
    `INSERT INTO supporters (id, campaign_id, email_key, email, name, city, country, consent_updates, consent_at, ip, counted_at, created_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, '127.0.0.0/24', ?, ?)`,
  );
  const insertSubmission = sql.prepare(
    'INSERT INTO submissions (id, campaign_id, supporter_id, expires_at, confirmed_at, created_at) VALUES (?, ?, ?, ?, ?, ?)',
  );
  const insertLetter = sql.prepare(
    `INSERT INTO letters (id, campaign_id, target_id, supporter_id, submission_id, template_id, status, signer_name, signer_city,
       signer_country, note, subject, body, created_at, confirmed_at)
     VALUES (?, ?, ?, ?, ?, ?, 'queued', ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const insertOutbox = sql.prepare(
    `INSERT INTO outbox (id, kind, lane, campaign_id, letter_id, target_id, recipient_domain, status, attempts, next_attempt_at, created_at)
     VALUES (?, 'letter', ?, ?, ?, ?, ?, 'queued', 0, ?, ?)`,
  );
  const now = new Date();
  const at = now.toISOString();
  // Ids in newId's shape (time prefix, then 12 characters), counted instead of random: 4 random ids per letter cost a third of the fill.
  const stamp = now.getTime().toString(36).padStart(9, '0');
  const id = (prefix: string, n: number) => `${prefix}_${stamp}${campaignSlug.slice(0, 4)}${n.toString(36).padStart(8, '0')}`;
  const domain = recipientDomain(target.email!);
  const expires = new Date(now.getTime() + 7 * 24 * 3600 * 1000).toISOString();
  const deltas: Deltas = {};
  const add = (name: string, n: number) => (deltas[name] = (deltas[name] ?? 0) + n);

  sql.pragma('synchronous = OFF'); // setup only: the measured service opens its own connection with FULL
  sql.pragma('cache_size = -262144');
  // The direct inserts run on the store's connection, so they belong to its open transaction with the counters.
  await store.transaction(async () => {
    for (let n = 0; n < count; n++) {
      const s = submission(`fill-${campaignSlug}`, n);
      const { subject, text } = renderLetter(campaign, template, target, s, now);
      const supporterId = id('sup', n);
      const submissionId = id('sub', n);
      const letterId = id('ltr', n);
      insertSupporter.run(supporterId, campaign.id, s.email, s.email, s.name, s.city, s.country, s.consentUpdates ? 1 : 0, s.consentUpdates ? at : null, at, at);
      insertSubmission.run(submissionId, campaign.id, supporterId, expires, at, at);
      insertLetter.run(letterId, campaign.id, target.id, supporterId, submissionId, template.id, s.name, s.city, s.country, s.note, subject, text, at, at);
      insertOutbox.run(id('out', n), lanes.letters, campaign.id, letterId, target.id, domain, at, at);
      add(counterNames.country(s.country), 1);
    }
    add(counterNames.supporters, count);
    add(counterNames.letters, count);
    add(counterNames.status('queued'), count);
    add(counterNames.targetStatus(target.id, 'queued'), count);
    add(counterNames.hour(at), count);
    await services.counters.bump(campaign.id, deltas, at);
  });
  sql.pragma('wal_checkpoint(TRUNCATE)');
  sql.pragma('synchronous = FULL');
}

/** Counters must equal what the rows say, after the fill and after the service's own writes. */
export async function counterDrift(b: BenchDb): Promise<number> {
  return (await recount(b.store)).drift;
}
