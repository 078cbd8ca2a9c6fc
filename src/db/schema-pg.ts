import { sql } from 'drizzle-orm';
import { customType, index, integer, pgTable, real, primaryKey, text, uniqueIndex } from 'drizzle-orm/pg-core';
import {
  campaignStatuses,
  confirmationModes,
  letterStatuses,
  outboxKinds,
  outboxStatuses,
  responseChannels,
  type ContentRules,
  type DeliverySettings,
  type LetterSettings,
  type MailPayload,
  type PostalAddress,
  type PostalOptions,
  type Sender,
  type WebhookEventType,
  webhookDeliveryStatuses,
  webhookEndpointStatuses,
  webhookEventTypes,
} from './schema.js';

/**
 * The PostgreSQL mirror of schema.ts: the same tables, columns, keys and indexes, under the
 * same names. Storage classes are chosen so one set of SQL runs on both engines and a raw row
 * reads back identically from either: ids and ISO 8601 timestamps are `text` (the SQL
 * compares timestamps as text, and no driver turns them into Date objects), JSON is `text`
 * (parsed by the storage layer, as on SQLite), booleans are `integer` 0/1. The comments on
 * what each table means live in schema.ts.
 */

/** The SQLite default `strftime('%Y-%m-%dT%H:%M:%fZ','now')`: UTC, milliseconds, a `Z`, taken once per statement as SQLite does. */
const nowIso = sql`to_char(statement_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
const createdAt = () => text('created_at').notNull().default(nowIso);
const updatedAt = () => text('updated_at').notNull().default(nowIso);

/** JSON kept as text; typed rows get the parsed value, like SQLite's `text(…, { mode: 'json' })`. */
const jsonText = <T>(name: string) =>
  customType<{ data: T; driverData: string }>({
    dataType: () => 'text',
    toDriver: (value) => JSON.stringify(value),
    fromDriver: (value) => JSON.parse(value) as T,
  })(name);

/** A boolean kept as integer 0/1; typed rows get true/false, like SQLite's `integer(…, { mode: 'boolean' })`. */
const boolInt = customType<{ data: boolean; driverData: number }>({
  dataType: () => 'integer',
  toDriver: (value) => (value ? 1 : 0),
  fromDriver: (value) => value !== 0,
});
const falseByDefault = (name: string) => boolInt(name).notNull().default(sql`0`);

export const apiKeys = pgTable('api_keys', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  keyHash: text('key_hash').notNull().unique(),
  scopes: jsonText<string[]>('scopes').notNull(),
  createdAt: createdAt(),
  lastUsedAt: text('last_used_at'),
  revokedAt: text('revoked_at'),
});

export const adminSessions = pgTable('admin_sessions', {
  tokenHash: text('token_hash').primaryKey(),
  keyHash: text('key_hash').notNull(),
  createdAt: createdAt(),
  expiresAt: text('expires_at').notNull(),
});

export const campaigns = pgTable('campaigns', {
  id: text('id').primaryKey(),
  slug: text('slug').notNull().unique(),
  title: text('title').notNull(),
  summary: text('summary').notNull(),
  story: text('story'),
  status: text('status', { enum: campaignStatuses }).notNull().default('draft'),
  goal: integer('goal'),
  closesAt: text('closes_at'),
  locale: text('locale').notNull().default('en'),
  confirmation: text('confirmation', { enum: confirmationModes }).notNull().default('email'),
  delivery: jsonText<DeliverySettings>('delivery').notNull(),
  rules: jsonText<ContentRules>('rules').notNull(),
  sender: jsonText<Sender>('sender'),
  letter: jsonText<LetterSettings>('letter').notNull().default(sql`'{"editable":false,"subjectVariants":false}'`),
  postal: jsonText<PostalOptions>('postal'),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
});

export const campaignUpdates = pgTable(
  'campaign_updates',
  {
    id: text('id').primaryKey(),
    campaignId: text('campaign_id').notNull().references(() => campaigns.id),
    title: text('title').notNull(),
    body: text('body').notNull(),
    status: text('status'),
    notify: falseByDefault('notify'),
    createdAt: createdAt(),
  },
  (t) => [index('campaign_updates_campaign').on(t.campaignId, t.createdAt)],
);

export const targets = pgTable(
  'targets',
  {
    id: text('id').primaryKey(),
    campaignId: text('campaign_id').notNull().references(() => campaigns.id),
    name: text('name').notNull(),
    title: text('title').notNull(),
    organization: text('organization').notNull(),
    email: text('email'),
    postalAddress: jsonText<PostalAddress>('postal_address'),
    countries: jsonText<string[]>('countries'),
    salutation: text('salutation'),
    locale: text('locale'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
    deletedAt: text('deleted_at'),
  },
  (t) => [index('targets_campaign').on(t.campaignId)],
);

export const templates = pgTable(
  'templates',
  {
    id: text('id').primaryKey(),
    campaignId: text('campaign_id').notNull().references(() => campaigns.id),
    name: text('name').notNull(),
    locale: text('locale').notNull(),
    subject: text('subject').notNull(),
    body: text('body').notNull(),
    /** The template this one translates (same campaign; at most one translation per locale). */
    translationOf: text('translation_of'),
    subjectVariants: jsonText<string[]>('subject_variants'),
    /** Starts at 1; every edit of the name, subject or body adds one. */
    version: integer('version').notNull().default(1),
    /** A deleted template takes no new letter; its letters keep pointing at it. */
    deletedAt: text('deleted_at'),
    createdAt: createdAt(),
  },
  (t) => [index('templates_campaign').on(t.campaignId)],
);

export const supporters = pgTable(
  'supporters',
  {
    id: text('id').primaryKey(),
    campaignId: text('campaign_id').notNull().references(() => campaigns.id),
    emailKey: text('email_key').notNull(),
    email: text('email'),
    name: text('name'),
    city: text('city'),
    country: text('country').notNull(),
    consentUpdates: falseByDefault('consent_updates'),
    consentAt: text('consent_at'),
    unsubscribeTokenHash: text('unsubscribe_token_hash'),
    unsubscribedAt: text('unsubscribed_at'),
    ip: text('ip'),
    countedAt: text('counted_at'),
    createdAt: createdAt(),
    erasedAt: text('erased_at'),
  },
  (t) => [
    uniqueIndex('supporters_campaign_email').on(t.campaignId, t.emailKey),
    uniqueIndex('supporters_unsubscribe').on(t.unsubscribeTokenHash),
    index('supporters_email').on(t.emailKey),
  ],
);

export const submissions = pgTable(
  'submissions',
  {
    id: text('id').primaryKey(),
    campaignId: text('campaign_id').notNull().references(() => campaigns.id),
    supporterId: text('supporter_id').notNull().references(() => supporters.id),
    tokenHash: text('token_hash').unique(),
    reminderTokenHash: text('reminder_token_hash').unique(),
    expiresAt: text('expires_at'),
    confirmedAt: text('confirmed_at'),
    remindedAt: text('reminded_at'),
    createdAt: createdAt(),
  },
  (t) => [index('submissions_supporter').on(t.supporterId)],
);

export const letters = pgTable(
  'letters',
  {
    id: text('id').primaryKey(),
    campaignId: text('campaign_id').notNull().references(() => campaigns.id),
    targetId: text('target_id').notNull().references(() => targets.id),
    supporterId: text('supporter_id').notNull().references(() => supporters.id),
    submissionId: text('submission_id').notNull().references(() => submissions.id),
    templateId: text('template_id').notNull().references(() => templates.id),
    /** The version of the template the letter was rendered from. */
    templateVersion: integer('template_version').notNull().default(1),
    /** The locale the letter was rendered in (the target's when a translation was used); null on letters older than translations. */
    locale: text('locale'),
    status: text('status', { enum: letterStatuses }).notNull(),
    signerName: text('signer_name'),
    signerCity: text('signer_city'),
    signerCountry: text('signer_country').notNull(),
    note: text('note'),
    subject: text('subject'),
    body: text('body'),
    /** float4 (like SQLite's REAL in the parity check): two decimals read back exactly as written. */
    originality: real('originality'),
    attempts: integer('attempts').notNull().default(0),
    lastError: text('last_error'),
    createdAt: createdAt(),
    confirmedAt: text('confirmed_at'),
    sentAt: text('sent_at'),
    scrubbedAt: text('scrubbed_at'),
  },
  (t) => [
    uniqueIndex('letters_one_per_target').on(t.supporterId, t.targetId),
    index('letters_campaign_status').on(t.campaignId, t.status, t.id),
    index('letters_campaign_id').on(t.campaignId, t.id),
    index('letters_submission').on(t.submissionId),
    index('letters_target_status').on(t.targetId, t.status),
  ],
);

export const outbox = pgTable(
  'outbox',
  {
    id: text('id').primaryKey(),
    kind: text('kind', { enum: outboxKinds }).notNull(),
    lane: integer('lane').notNull(),
    campaignId: text('campaign_id').references(() => campaigns.id),
    letterId: text('letter_id').references(() => letters.id),
    targetId: text('target_id').references(() => targets.id),
    recipientDomain: text('recipient_domain'),
    payload: jsonText<MailPayload>('payload'),
    status: text('status', { enum: outboxStatuses }).notNull().default('queued'),
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: text('next_attempt_at').notNull(),
    leaseOwner: text('lease_owner'),
    leaseExpiresAt: text('lease_expires_at'),
    lastError: text('last_error'),
    createdAt: createdAt(),
    firstAttemptAt: text('first_attempt_at'),
    claimedAt: text('claimed_at'),
    digestId: text('digest_id'),
    sentAt: text('sent_at'),
    throttleLimit: integer('throttle_limit'),
  },
  (t) => [
    index('outbox_due').on(t.status, t.lane, t.nextAttemptAt),
    index('outbox_letter').on(t.letterId),
    index('outbox_target_claimed').on(t.targetId, t.claimedAt),
    index('outbox_digest').on(t.digestId),
  ],
);

export const digestRuns = pgTable('digest_runs', {
  campaignId: text('campaign_id').primaryKey().references(() => campaigns.id),
  lastRunAt: text('last_run_at').notNull(),
});

export const printRuns = pgTable(
  'print_runs',
  {
    id: text('id').primaryKey(),
    campaignId: text('campaign_id').notNull().references(() => campaigns.id),
    status: text('status', { enum: letterStatuses }),
    letters: integer('letters').notNull(),
    /** What the organizer calls the run ("Print run 3", "Christmas cards"), so runs can be told apart. */
    name: text('name'),
    createdAt: createdAt(),
    mailedAt: text('mailed_at'),
  },
  (t) => [index('print_runs_campaign').on(t.campaignId, t.createdAt)],
);

export const printRunLetters = pgTable(
  'print_run_letters',
  {
    printRunId: text('print_run_id').notNull().references(() => printRuns.id),
    letterId: text('letter_id').notNull().references(() => letters.id),
  },
  (t) => [primaryKey({ columns: [t.printRunId, t.letterId] })],
);

export const pausedDomains = pgTable('paused_domains', {
  domain: text('domain').primaryKey(),
  consecutiveFailures: integer('consecutive_failures').notNull().default(0),
  pausedAt: text('paused_at'),
  reason: text('reason'),
});

export const counters = pgTable(
  'counters',
  {
    campaignId: text('campaign_id').notNull().references(() => campaigns.id),
    name: text('name').notNull(),
    value: integer('value').notNull().default(0),
    updatedAt: text('updated_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.campaignId, t.name] })],
);


export const targetResponses = pgTable(
  'target_responses',
  {
    id: text('id').primaryKey(),
    campaignId: text('campaign_id').notNull().references(() => campaigns.id),
    targetId: text('target_id').notNull().references(() => targets.id),
    receivedAt: text('received_at').notNull(),
    channel: text('channel', { enum: responseChannels }).notNull(),
    summary: text('summary').notNull(),
    public: falseByDefault('public'),
    createdAt: createdAt(),
  },
  (t) => [index('target_responses_campaign').on(t.campaignId, t.receivedAt)],
);

export const offlineCounts = pgTable(
  'offline_counts',
  {
    id: text('id').primaryKey(),
    campaignId: text('campaign_id').notNull().references(() => campaigns.id),
    supporters: integer('supporters').notNull(),
    letters: integer('letters').notNull(),
    source: text('source').notNull(),
    note: text('note'),
    createdAt: createdAt(),
  },
  (t) => [index('offline_counts_campaign').on(t.campaignId, t.createdAt)],
);

export const idempotencyKeys = pgTable(
  'idempotency_keys',
  {
    /** SHA-256 of the caller (key id or client address) and the path: never the path's token or the address itself. */
    scope: text('scope').notNull(),
    key: text('key').notNull(),
    requestHash: text('request_hash').notNull(),
    statusCode: integer('status_code').notNull(),
    responseBody: text('response_body').notNull(),
    contentType: text('content_type'),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.scope, t.key] }), index('idempotency_created').on(t.createdAt)],
);

export const mailCaps = pgTable(
  'mail_caps',
  {
    addressKey: text('address_key').notNull(),
    bucket: text('bucket').notNull(),
    count: integer('count').notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.addressKey, t.bucket] })],
);

export const settings = pgTable('settings', {
  name: text('name').primaryKey(),
  value: text('value').notNull(),
});

export const rateLimits = pgTable('rate_limits', {
  key: text('key').primaryKey(),
  hits: integer('hits').notNull(),
  resetsAt: text('resets_at').notNull(),
});

export const jobRuns = pgTable('job_runs', {
  name: text('name').primaryKey(),
  startedAt: text('started_at').notNull(),
});

export const publishedCounts = pgTable('published_counts', {
  campaignId: text('campaign_id')
    .primaryKey()
    .references(() => campaigns.id),
  publishedAt: text('published_at').notNull(),
  figures: text('figures').notNull(),
});

export const webhookEndpoints = pgTable(
  'webhook_endpoints',
  {
    id: text('id').primaryKey(),
    campaignId: text('campaign_id').references(() => campaigns.id),
    url: text('url').notNull(),
    events: jsonText<WebhookEventType[]>('events').notNull(),
    secret: text('secret').notNull(),
    status: text('status', { enum: webhookEndpointStatuses }).notNull().default('active'),
    disabledAt: text('disabled_at'),
    createdAt: createdAt(),
  },
  (t) => [index('webhook_endpoints_campaign').on(t.campaignId)],
);

export const webhookDeliveries = pgTable(
  'webhook_deliveries',
  {
    id: text('id').primaryKey(),
    endpointId: text('endpoint_id')
      .notNull()
      .references(() => webhookEndpoints.id, { onDelete: 'cascade' }),
    event: text('event', { enum: webhookEventTypes }).notNull(),
    payload: text('payload').notNull(),
    status: text('status', { enum: webhookDeliveryStatuses }).notNull().default('queued'),
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: text('next_attempt_at').notNull(),
    leaseOwner: text('lease_owner'),
    leaseExpiresAt: text('lease_expires_at'),
    lastError: text('last_error'),
    createdAt: createdAt(),
    deliveredAt: text('delivered_at'),
  },
  (t) => [index('webhook_deliveries_due').on(t.status, t.nextAttemptAt), index('webhook_deliveries_endpoint').on(t.endpointId, t.createdAt)],
);
