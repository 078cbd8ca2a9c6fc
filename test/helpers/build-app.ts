import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildApp, type AppOverrides } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { openStore, type OpenedStore } from '../../src/store/open.js';
import { freshPgDatabase } from './postgres.js';

/** The engine this test run stores on: the second pass of test/run.ts sets postgres. */
export const testEngine: 'sqlite' | 'postgres' = process.env.CHORUS_TEST_ENGINE === 'postgres' ? 'postgres' : 'sqlite';

export const ADMIN_KEY = 'test-admin-key-0123456789abcdef';
export const auth = { authorization: `Bearer ${ADMIN_KEY}` };

export interface TestApp {
  app: FastifyInstance;
  dir: string;
  dbPath: string;
  /** Where the app's database is, as environment: another app or process given it opens the same database. */
  dbEnv: Record<string, string>;
  /** The app's database opened once more, as another process (a separate worker) opens it: what it commits is foreign to the app. */
  reopen(): Promise<OpenedStore>;
  close(): Promise<void>;
}

/**
 * The real app on a fresh database with the real migrations: a temp SQLite file, or on the
 * PostgreSQL pass a new database on the suite's cluster. Mail goes to files in the temp dir.
 */
export async function buildTestApp(env: Record<string, string> = {}, overrides: AppOverrides = {}): Promise<TestApp> {
  const dir = mkdtempSync(join(tmpdir(), 'chorus-test-'));
  const dbPath = join(dir, 'chorus.db');
  const pg = testEngine === 'postgres' && !env.DATABASE_PATH && !env.DATABASE_URL ? await freshPgDatabase() : undefined;
  const config = loadConfig({
    DATABASE_PATH: dbPath,
    ...(pg ? { DATABASE_URL: pg.url } : {}),
    ADMIN_API_KEY: ADMIN_KEY,
    MAIL_TRANSPORT: `file:${join(dir, 'outbox')}`,
    WORKER: 'off',
    // CHORUS_TEST_LOG=error shows what the apps log, when a test needs looking into.
    LOG_LEVEL: process.env.CHORUS_TEST_LOG ?? 'silent',
    DEMO: 'false',
    ...env,
  });
  // Shedding on event-loop delay depends on how busy the machine is: test apps leave it off
  // unless a test sets it (test/operations-load-shedding.test.ts); spawned servers keep it.
  const app = await buildApp(config, { ...overrides, pressure: { maxEventLoopDelayMs: 0, ...overrides.pressure } });
  await app.ready();
  return {
    app,
    dir,
    dbPath,
    dbEnv: config.DATABASE_URL ? { DATABASE_URL: config.DATABASE_URL } : { DATABASE_PATH: config.DATABASE_PATH },
    reopen: () => openStore({ path: config.DATABASE_PATH, url: config.DATABASE_URL }),
    async close() {
      await app.close();
      await pg?.drop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A campaign with one email target and the Article 33 template, ready for letters. */
export async function createCampaign(app: FastifyInstance, overrides: Record<string, unknown> = {}) {
  const res = await app.inject({
    method: 'POST',
    url: '/api/v1/campaigns',
    headers: auth,
    payload: {
      slug: `c-${Math.random().toString(36).slice(2, 10)}`,
      title: 'Stop the extradition of Pastor Makset Djabbarbergenov to Uzbekistan',
      summary: 'A refugee pastor faces extradition.',
      status: 'active',
      ...overrides,
    },
  });
  if (res.statusCode !== 201) throw new Error(`createCampaign: ${res.statusCode} ${res.body}`);
  return res.json() as { id: string; slug: string; [k: string]: unknown };
}

export async function createTarget(app: FastifyInstance, campaignId: string, overrides: Record<string, unknown> = {}) {
  const res = await app.inject({
    method: 'POST',
    url: `/api/v1/campaigns/${campaignId}/targets`,
    headers: auth,
    payload: {
      name: 'Mr Daulbayev',
      title: 'Prosecutor General of Kazakhstan',
      organization: 'Kazakhstan State Office of Public Prosecutor',
      email: 'prosecutor-general@example.kz',
      salutation: 'Dear Mr Daulbayev',
      ...overrides,
    },
  });
  if (res.statusCode !== 201) throw new Error(`createTarget: ${res.statusCode} ${res.body}`);
  return res.json() as { id: string; [k: string]: unknown };
}

export async function createTemplate(app: FastifyInstance, campaignId: string, overrides: Record<string, unknown> = {}) {
  const res = await app.inject({
    method: 'POST',
    url: `/api/v1/campaigns/${campaignId}/templates`,
    headers: auth,
    payload: {
      name: 'Appeal',
      locale: 'en',
      subject: 'Do not extradite Pastor Makset',
      body: '{{target.salutation}},\n\nArticle 33 of the 1951 Refugee Convention forbids refoulement.\n{{#if supporter.note}}\n{{supporter.note}}\n{{/if}}\nYours sincerely,\n{{supporter.name}}\n{{#if supporter.city}}{{supporter.city}}, {{/if}}{{supporter.countryName}}\n',
      ...overrides,
    },
  });
  if (res.statusCode !== 201) throw new Error(`createTemplate: ${res.statusCode} ${res.body}`);
  return res.json() as { id: string; [k: string]: unknown };
}
