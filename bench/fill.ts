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
 * On SQLite the fill writes the file through the driver itself, which is what makes it fast; on
 * PostgreSQL the server generates the rows itself (INSERT … SELECT FROM generate_series).
 */
export interface BenchDb {
  /** SQLite only: the store's own connection, for the fill's direct inserts. */
  db?: Db;
  store: Store;
  services: Services;
  close(): Promise<void>;
}

/** A benchmark database: the SQLite file at `path`, or the PostgreSQL database at `url` when set. */
export interface DbRef {
  path: string;
  url?: string;
}

export async function openBenchDb(ref: string | DbRef): Promise<BenchDb> {
  const { path, url } = typeof ref === 'string' ? { path: ref, url: undefined } : ref;
  if (url) {
    const opened = await openStore({ path, url });
    const services = await createServices({ store: opened.store, clock: systemClock, config: loadConfig({ DATABASE_URL: url, DEMO: 'false' }) });
    return { store: opened.store, services, close: opened.close };
  }
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
/**
 * `ownWords`: the campaign lets supporters edit the letter, and its one target reads Russian, so
 * every letter is the supporter's own text (scored for originality) or the Russian translation.
 */
export async function createBenchCampaign(b: BenchDb, slug: string, confirmation: 'none' | 'email', ownWords = false): Promise<BenchCampaign> {
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
    ...(ownWords ? { letter: { editable: true } } : {}),
  });
  const targetEmail = 'ambassador@example.kz';
  await targets.create(campaign.id, {
    name: 'Ambassador of Kazakhstan',
    title: 'Ambassador of the Republic of Kazakhstan to the United States',
    organization: 'Embassy of the Republic of Kazakhstan',
    email: targetEmail,
    salutation: 'Your Excellency',
    ...(ownWords ? { locale: 'ru' } : {}),
  });
  const appeal = await templates.create(campaign.id, { name: 'Article 33 appeal', locale: 'en', ...readLetterTemplate('article-33-appeal.hbs') });
  if (ownWords) await templates.create(campaign.id, { name: 'Article 33 appeal (ru)', locale: 'ru', translationOf: appeal.id, ...readLetterTemplate('article-33-appeal.ru.hbs') });
  return { id: campaign.id, slug, targetEmail };
}

/** Adds `count` accepted letters from distinct supporters to a campaign, in one transaction. */
export async function fillLetters(b: BenchDb, campaignSlug: string, count: number): Promise<void> {
  const { db, store, services } = b;
  if (!db) return fillLettersPg(b, campaignSlug, count);
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

const COUNTRY_COUNT = 8;

/**
 * The same rows on PostgreSQL, generated by the server: one INSERT … SELECT FROM generate_series
 * per table, in two transactions (below) with the counters. A supporter's letter differs from the one of
 * supporter n % 8 (same country) only by the signer's name, so 8 letters are rendered here and
 * the server puts each row's name in; checked against a real rendering below. Then VACUUM
 * ANALYZE (autovacuum would otherwise analyze the new rows in the middle of a measurement) and a
 * CHECKPOINT, as the SQLite fill checkpoints its WAL.
 */
async function fillLettersPg(b: BenchDb, campaignSlug: string, count: number): Promise<void> {
  const { store, services } = b;
  const campaign = (await services.campaigns.getBySlug(campaignSlug))!;
  const target = (await services.targets.list(campaign.id))[0]!;
  const template = (await services.templates.list(campaign.id))[0]!;
  const now = new Date();
  const at = now.toISOString();
  const prefix = `fill-${campaignSlug}`;
  const samples = Array.from({ length: COUNTRY_COUNT }, (_, k) => {
    const s = submission(prefix, k);
    return { s, ...renderLetter(campaign, template, target, s, now) };
  });
  const named = (k: number, n: number) => (text: string) => text.replaceAll(`Supporter ${k}`, `Supporter ${n}`);
  for (const n of [count - 1, 12_345]) {
    const real = renderLetter(campaign, template, target, submission(prefix, n), now);
    const k = n % COUNTRY_COUNT;
    if (named(k, n)(samples[k]!.text) !== real.text || named(k, n)(samples[k]!.subject) !== real.subject) {
      throw new Error('the PostgreSQL fill cannot derive every letter from 8 renderings: the template uses more of the submission than its name');
    }
  }
  const countries = samples.map((x) => x.s.country);
  if (new Set(countries).size !== COUNTRY_COUNT || submission(prefix, COUNTRY_COUNT).country !== countries[0]) {
    throw new Error('bench/payload.ts no longer cycles through 8 countries');
  }
  const stamp = now.getTime().toString(36).padStart(9, '0');
  const tag = `${stamp}${campaignSlug.slice(0, 4)}`;
  const id = (kind: string) => `'${kind}_' || @tag::text || lpad(to_hex(n), 8, '0')`;
  const byCountry = (column: (k: number) => string) => `CASE n % ${COUNTRY_COUNT} ${samples.map((_, k) => `WHEN ${k} THEN ${column(k)}`).join(' ')} END`;
  const personal = (column: (k: number) => string) => `replace(${byCountry(column)}, 'Supporter ' || (n % ${COUNTRY_COUNT}), 'Supporter ' || n)`;
  const email = `@prefix::text || '-' || n || '@example.org'`;
  const from = 'FROM generate_series(0, @count::int - 1) AS g(n)';
  const params: Record<string, unknown> = {
    tag,
    prefix,
    count,
    at,
    campaign: campaign.id,
    target: target.id,
    template: template.id,
    city: samples[0]!.s.city,
    note: samples[0]!.s.note,
    expires: new Date(now.getTime() + 7 * 24 * 3600 * 1000).toISOString(),
    lane: lanes.letters,
    domain: recipientDomain(target.email!),
    ...Object.fromEntries(samples.flatMap((x, k) => [[`subject${k}`, x.subject], [`body${k}`, x.text], [`country${k}`, x.s.country]])),
  };
  const deltas: Deltas = {};
  const add = (name: string, n: number) => (deltas[name] = (deltas[name] ?? 0) + n);
  for (let k = 0; k < Math.min(count, COUNTRY_COUNT); k++) add(counterNames.country(countries[k]!), Math.floor((count - 1 - k) / COUNTRY_COUNT) + 1);
  add(counterNames.supporters, count);
  add(counterNames.letters, count);
  add(counterNames.status('queued'), count);
  add(counterNames.targetStatus(target.id, 'queued'), count);
  add(counterNames.hour(at), count);

  // Two transactions on two connections at once, so the server's two backends can use two cores:
  // supporters and submissions in one, letters, outbox rows and counters in the other. Each skips
  // the foreign-key triggers, as a restore does (the rows agree by construction), which halves the fill.
  const bulk = (fn: () => Promise<void>) =>
    store.transaction(async () => {
      await store.sql.exec('SET LOCAL session_replication_role = replica');
      await fn();
    });
  await Promise.all([
    bulk(async () => {
      await store.sql.run(
        `INSERT INTO supporters (id, campaign_id, email_key, email, name, city, country, consent_updates, consent_at, ip, counted_at, created_at)
         SELECT ${id('sup')}, @campaign::text, ${email}, ${email}, 'Supporter ' || n, @city::text, ${byCountry((k) => `@country${k}::text`)},
           CASE WHEN n % 2 = 0 THEN 1 ELSE 0 END, CASE WHEN n % 2 = 0 THEN @at::text END, '127.0.0.0/24', @at::text, @at::text ${from}`,
        params,
      );
      await store.sql.run(
        `INSERT INTO submissions (id, campaign_id, supporter_id, expires_at, confirmed_at, created_at)
         SELECT ${id('sub')}, @campaign::text, ${id('sup')}, @expires::text, @at::text, @at::text ${from}`,
        params,
      );
    }),
    bulk(async () => {
      await store.sql.run(
        `INSERT INTO letters (id, campaign_id, target_id, supporter_id, submission_id, template_id, status, signer_name, signer_city,
           signer_country, note, subject, body, created_at, confirmed_at)
         SELECT ${id('ltr')}, @campaign::text, @target::text, ${id('sup')}, ${id('sub')}, @template::text, 'queued', 'Supporter ' || n, @city::text,
           ${byCountry((k) => `@country${k}::text`)}, @note::text, ${personal((k) => `@subject${k}::text`)}, ${personal((k) => `@body${k}::text`)}, @at::text, @at::text ${from}`,
        params,
      );
      await store.sql.run(
        `INSERT INTO outbox (id, kind, lane, campaign_id, letter_id, target_id, recipient_domain, status, attempts, next_attempt_at, created_at)
         SELECT ${id('out')}, 'letter', @lane::int, @campaign::text, ${id('ltr')}, @target::text, @domain::text, 'queued', 0, @at::text, @at::text ${from}`,
        params,
      );
      await services.counters.bump(campaign.id, deltas, at);
    }),
  ]);
  await Promise.all([store.sql.exec('VACUUM ANALYZE letters'), store.sql.exec('VACUUM ANALYZE supporters, submissions, outbox, counters')]);
  await store.sql.exec('CHECKPOINT');
}
