import { sql } from 'drizzle-orm';
import { index, integer, primaryKey, real, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';

/**
 * All tables. Timestamps are ISO 8601 UTC strings (they sort and compare as text).
 * Ids are opaque prefixed random strings made in the domain layer.
 */

const createdAt = () => text('created_at').notNull().default(sql`(strftime('%Y-%m-%dT%H:%M:%fZ','now'))`);
const updatedAt = () => text('updated_at').notNull().default(sql`(strftime('%Y-%m-%dT%H:%M:%fZ','now'))`);

export const apiKeys = sqliteTable('api_keys', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  /** SHA-256 of the secret; the secret itself is shown once and never stored. */
  keyHash: text('key_hash').notNull().unique(),
  scopes: text('scopes', { mode: 'json' }).$type<string[]>().notNull(),
  createdAt: createdAt(),
  lastUsedAt: text('last_used_at'),
  revokedAt: text('revoked_at'),
});

/**
 * Dashboard sign-ins. The cookie carries a random session token, never the API key; both are
 * stored only as SHA-256 hashes. The key is checked again on every request, so revoking it
 * ends its sessions at once, and signing out deletes the row.
 */
export const adminSessions = sqliteTable('admin_sessions', {
  tokenHash: text('token_hash').primaryKey(),
  keyHash: text('key_hash').notNull(),
  createdAt: createdAt(),
  expiresAt: text('expires_at').notNull(),
});

export type DeliveryMode = 'email' | 'digest' | 'postal';
export interface DeliverySettings {
  mode: DeliveryMode;
  perTargetPerHour?: number;
  digestEveryMinutes?: number;
}
export interface ContentRules {
  forbiddenPhrases: string[];
  noteMaxLength: number;
}
/** How supporters may shape their letter (API.md part 2, "The supporter's own words"). */
export interface LetterSettings {
  editable: boolean;
  subjectVariants: boolean;
}
export interface PostalAddress {
  lines: string[];
  city: string;
  postcode?: string;
  country: string;
}
/**
 * How a postal campaign's letters are printed: whose return address goes in the envelope window
 * (the organization's, or none), and whether a footer names the organization and the letter's
 * reference (off unless the organizer asks: a prison reads these letters).
 */
export interface PostalOptions {
  returnAddress: 'organization' | 'none';
  footer: boolean;
}

/** Who runs the campaign: named on every public page, in mail and on printed letters. */
export interface Sender {
  name: string;
  postalAddress?: PostalAddress;
  /** Where supporters can write to the organizer (shown on the pages). */
  email?: string;
  /** The organizer's own website. */
  url?: string;
  /** The organizer's privacy notice, shown at /c/{slug}/privacy. */
  privacyNotice?: string;
}

export const campaignStatuses = ['draft', 'active', 'paused', 'won', 'closed'] as const;
export const confirmationModes = ['email', 'none'] as const;

export const campaigns = sqliteTable('campaigns', {
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
  delivery: text('delivery', { mode: 'json' }).$type<DeliverySettings>().notNull(),
  rules: text('rules', { mode: 'json' }).$type<ContentRules>().notNull(),
  /** The organization behind the campaign: return address on postal letters. */
  sender: text('sender', { mode: 'json' }).$type<Sender>(),
  letter: text('letter', { mode: 'json' }).$type<LetterSettings>().notNull().default(sql`'{"editable":false,"subjectVariants":false}'`),
  postal: text('postal', { mode: 'json' }).$type<PostalOptions>(),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
});

export const campaignUpdates = sqliteTable(
  'campaign_updates',
  {
    id: text('id').primaryKey(),
    campaignId: text('campaign_id').notNull().references(() => campaigns.id),
    title: text('title').notNull(),
    body: text('body').notNull(),
    /** The campaign status this update announced, if it changed it. */
    status: text('status'),
    notify: integer('notify', { mode: 'boolean' }).notNull().default(false),
    createdAt: createdAt(),
  },
  (t) => [index('campaign_updates_campaign').on(t.campaignId, t.createdAt)],
);

export const targets = sqliteTable(
  'targets',
  {
    id: text('id').primaryKey(),
    campaignId: text('campaign_id').notNull().references(() => campaigns.id),
    name: text('name').notNull(),
    title: text('title').notNull(),
    organization: text('organization').notNull(),
    email: text('email'),
    postalAddress: text('postal_address', { mode: 'json' }).$type<PostalAddress>(),
    /** ISO 3166-1 alpha-2 codes: only supporters in these countries write to this target (null: everyone). */
    countries: text('countries', { mode: 'json' }).$type<string[]>(),
    salutation: text('salutation'),
    locale: text('locale'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
    /** Targets with letters are never hard-deleted: the letters keep pointing at them. */
    deletedAt: text('deleted_at'),
  },
  (t) => [index('targets_campaign').on(t.campaignId)],
);

/** Templates are immutable versions: a letter always knows exactly which text it was rendered from. */
export const templates = sqliteTable(
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
    /** Other subject lines, used in turn with `subject` when the campaign's `letter.subjectVariants` is on. */
    subjectVariants: text('subject_variants', { mode: 'json' }).$type<string[]>(),
    /** Starts at 1; every edit of the name, subject or body adds one. */
    version: integer('version').notNull().default(1),
    /** A deleted template takes no new letter; its letters keep pointing at it. */
    deletedAt: text('deleted_at'),
    createdAt: createdAt(),
  },
  (t) => [index('templates_campaign').on(t.campaignId)],
);

/** One person per campaign, identified by the normalized email address. */
export const supporters = sqliteTable(
  'supporters',
  {
    id: text('id').primaryKey(),
    campaignId: text('campaign_id').notNull().references(() => campaigns.id),
    /** Normalized (trimmed, lower-cased) address; replaced by a meaningless value on erasure. */
    emailKey: text('email_key').notNull(),
    email: text('email'),
    name: text('name'),
    city: text('city'),
    country: text('country').notNull(),
    consentUpdates: integer('consent_updates', { mode: 'boolean' }).notNull().default(false),
    consentAt: text('consent_at'),
    unsubscribeTokenHash: text('unsubscribe_token_hash'),
    unsubscribedAt: text('unsubscribed_at'),
    ip: text('ip'),
    /** Set when the first letter is confirmed: from then on the supporter is counted. */
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

/** One signing: the letters a supporter submitted together, confirmed together by one token. */
export const submissions = sqliteTable(
  'submissions',
  {
    id: text('id').primaryKey(),
    campaignId: text('campaign_id').notNull().references(() => campaigns.id),
    supporterId: text('supporter_id').notNull().references(() => supporters.id),
    tokenHash: text('token_hash').unique(),
    /** The one reminder carries a fresh token; the first link keeps working too. */
    reminderTokenHash: text('reminder_token_hash').unique(),
    expiresAt: text('expires_at'),
    confirmedAt: text('confirmed_at'),
    remindedAt: text('reminded_at'),
    createdAt: createdAt(),
  },
  (t) => [index('submissions_supporter').on(t.supporterId)],
);

export const letterStatuses = ['pending_confirmation', 'queued', 'sending', 'sent', 'failed', 'held', 'bounced'] as const;
export type LetterStatus = (typeof letterStatuses)[number];

export const letters = sqliteTable(
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
    /** The signer as they signed this letter (a later submission may spell their name differently). */
    signerName: text('signer_name'),
    signerCity: text('signer_city'),
    signerCountry: text('signer_country').notNull(),
    note: text('note'),
    /** Rendered at submission; scrubbed after delivery + retention, or on erasure. */
    subject: text('subject'),
    body: text('body'),
    /** Share (0..1, two decimals) of the letter's words not in its template's rendered text; null on older letters. */
    originality: real('originality'),
    attempts: integer('attempts').notNull().default(0),
    lastError: text('last_error'),
    createdAt: createdAt(),
    confirmedAt: text('confirmed_at'),
    sentAt: text('sent_at'),
    scrubbedAt: text('scrubbed_at'),
  },
  (t) => [
    // The rule "one letter per supporter per target" lives in the database, so no race can break it.
    uniqueIndex('letters_one_per_target').on(t.supporterId, t.targetId),
    index('letters_campaign_status').on(t.campaignId, t.status, t.id),
    index('letters_campaign_id').on(t.campaignId, t.id),
    index('letters_submission').on(t.submissionId),
    index('letters_target_status').on(t.targetId, t.status),
  ],
);

export const outboxKinds = ['letter', 'digest', 'confirmation', 'reminder', 'notice', 'update'] as const;
export type OutboxKind = (typeof outboxKinds)[number];
export const outboxStatuses = ['queued', 'sending', 'sent', 'failed', 'held'] as const;
export type OutboxStatus = (typeof outboxStatuses)[number];

/**
 * Every outgoing message. Letters' rows are written in the same transaction as the letters.
 * Lane 0 (supporter mail: confirmations, notices) is always claimed before lane 1 (letters),
 * so a backlog of letters never delays a confirmation. Lane 2 holds letters waiting for their
 * campaign's next digest; it is never claimed directly.
 */
export const outbox = sqliteTable(
  'outbox',
  {
    id: text('id').primaryKey(),
    kind: text('kind', { enum: outboxKinds }).notNull(),
    lane: integer('lane').notNull(),
    campaignId: text('campaign_id').references(() => campaigns.id),
    letterId: text('letter_id').references(() => letters.id),
    targetId: text('target_id').references(() => targets.id),
    /** Recipient domain, for pausing a lane after repeated failures. */
    recipientDomain: text('recipient_domain'),
    /** System mail is rendered when queued; wiped once sent (it may hold a confirmation link). */
    payload: text('payload', { mode: 'json' }).$type<MailPayload>(),
    status: text('status', { enum: outboxStatuses }).notNull().default('queued'),
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: text('next_attempt_at').notNull(),
    leaseOwner: text('lease_owner'),
    leaseExpiresAt: text('lease_expires_at'),
    lastError: text('last_error'),
    createdAt: createdAt(),
    /** First and latest claim: the maximum age counts from the first; the per-target throttle from the latest. */
    firstAttemptAt: text('first_attempt_at'),
    claimedAt: text('claimed_at'),
    /** A digest member (lane 2): the digest mail (an outbox row of its own) that carries this letter. */
    digestId: text('digest_id'),
    sentAt: text('sent_at'),
    /**
     * A letter the worker deferred under its target's hourly limit: that limit (letters per hour).
     * A campaign whose limit has since changed gets its letters re-slotted; cleared when claimed.
     */
    throttleLimit: integer('throttle_limit'),
  },
  (t) => [
    index('outbox_due').on(t.status, t.lane, t.nextAttemptAt),
    index('outbox_letter').on(t.letterId),
    index('outbox_target_claimed').on(t.targetId, t.claimedAt),
    index('outbox_digest').on(t.digestId),
  ],
);

export interface MailAddress {
  name: string;
  address: string;
}
export interface MailPayload {
  to: MailAddress;
  replyTo?: MailAddress;
  fromName?: string;
  subject: string;
  text: string;
  html?: string;
  headers?: Record<string, string>;
  messageId?: string;
  /** RFC 8058 one-click URL, when the mail is not transactional. */
  unsubscribeUrl?: string;
}

/** When each digest campaign last gathered its letters into digest mails. */
export const digestRuns = sqliteTable('digest_runs', {
  campaignId: text('campaign_id').primaryKey().references(() => campaigns.id),
  lastRunAt: text('last_run_at').notNull(),
});

/**
 * Postal print runs. A run records the letters it printed when it is made, so its PDF holds
 * exactly those and marking it mailed touches no letter it did not contain (one released or
 * confirmed after the run waits for the next one).
 */
export const printRuns = sqliteTable(
  'print_runs',
  {
    id: text('id').primaryKey(),
    campaignId: text('campaign_id').notNull().references(() => campaigns.id),
    /** The letter status the run was filtered by; null printed every letter. */
    status: text('status', { enum: letterStatuses }),
    letters: integer('letters').notNull(),
    /** What the organizer calls the run ("Print run 3", "Christmas cards"), so runs can be told apart. */
    name: text('name'),
    createdAt: createdAt(),
    mailedAt: text('mailed_at'),
  },
  (t) => [index('print_runs_campaign').on(t.campaignId, t.createdAt)],
);

export const printRunLetters = sqliteTable(
  'print_run_letters',
  {
    printRunId: text('print_run_id').notNull().references(() => printRuns.id),
    letterId: text('letter_id').notNull().references(() => letters.id),
  },
  (t) => [primaryKey({ columns: [t.printRunId, t.letterId] })],
);

/** Delivery lanes paused after repeated failures to one recipient domain. */
export const pausedDomains = sqliteTable('paused_domains', {
  domain: text('domain').primaryKey(),
  consecutiveFailures: integer('consecutive_failures').notNull().default(0),
  pausedAt: text('paused_at'),
  reason: text('reason'),
});

/**
 * Counters kept in SQL, changed in the same transaction as the rows they count, read by
 * primary key: O(1) at any campaign size. Names: `supporters`, `pending`, `letters`,
 * `letters.<status>`, `target.<id>.<status>`, `country.<ISO>`, `hour.<YYYY-MM-DDTHH>`.
 */
export const counters = sqliteTable(
  'counters',
  {
    campaignId: text('campaign_id').notNull().references(() => campaigns.id),
    name: text('name').notNull(),
    value: integer('value').notNull().default(0),
    updatedAt: text('updated_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.campaignId, t.name] })],
);

export const responseChannels = ['email', 'letter', 'meeting', 'statement', 'other'] as const;

/** What an official did: a reply, a meeting, a statement. Public ones are shown on the action page. */
export const targetResponses = sqliteTable(
  'target_responses',
  {
    id: text('id').primaryKey(),
    campaignId: text('campaign_id').notNull().references(() => campaigns.id),
    targetId: text('target_id').notNull().references(() => targets.id),
    receivedAt: text('received_at').notNull(),
    channel: text('channel', { enum: responseChannels }).notNull(),
    summary: text('summary').notNull(),
    public: integer('public', { mode: 'boolean' }).notNull().default(false),
    createdAt: createdAt(),
  },
  (t) => [index('target_responses_campaign').on(t.campaignId, t.receivedAt)],
);

/**
 * Supporters and letters counted outside Chorus (petition sheets signed in a church, letters
 * posted by hand), entered by the organizer with their source. Their sums are kept in the
 * counters `offline.supporters` and `offline.letters`, changed in the same transaction.
 */
export const offlineCounts = sqliteTable(
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

/** Replays of POSTs carrying an Idempotency-Key. */
export const idempotencyKeys = sqliteTable(
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

/** How many mails of one kind one address got on one day: Chorus cannot be used to mail-bomb anyone. */
export const mailCaps = sqliteTable(
  'mail_caps',
  {
    addressKey: text('address_key').notNull(),
    bucket: text('bucket').notNull(),
    count: integer('count').notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.addressKey, t.bucket] })],
);

/** Server-side secrets generated on first start (e.g. the key that derives unsubscribe links). */
export const settings = sqliteTable('settings', {
  name: text('name').primaryKey(),
  value: text('value').notNull(),
});

/**
 * Request counts per client and limit, shared by every instance on one database (PostgreSQL;
 * a single SQLite instance counts in memory). `key` names the limit and the client.
 */
export const rateLimits = sqliteTable('rate_limits', {
  key: text('key').primaryKey(),
  hits: integer('hits').notNull(),
  resetsAt: text('resets_at').notNull(),
});

/** When each periodic job (reminders, retention, sweeps) last started: one run per period across all instances. */
export const jobRuns = sqliteTable('job_runs', {
  name: text('name').primaryKey(),
  startedAt: text('started_at').notNull(),
});

/**
 * A `confirmation: none` campaign's public figures as last published (at most once a minute):
 * kept here so every instance publishes the same figures at the same moment.
 */
export const publishedCounts = sqliteTable('published_counts', {
  campaignId: text('campaign_id')
    .primaryKey()
    .references(() => campaigns.id),
  publishedAt: text('published_at').notNull(),
  /** The figures (count and countries) as JSON. */
  figures: text('figures').notNull(),
});

export const webhookEventTypes = [
  'letter.confirmed',
  'letter.sent',
  'letter.failed',
  'letter.bounced',
  'supporter.counted',
  'response.recorded',
  'campaign.updated',
] as const;
export type WebhookEventType = (typeof webhookEventTypes)[number];
export const webhookEndpointStatuses = ['active', 'disabled'] as const;
export const webhookDeliveryStatuses = ['queued', 'sending', 'delivered', 'failed'] as const;

/**
 * Where events are posted: for one campaign, or (no campaign) for the whole installation. The
 * secret signs every delivery, so it is kept as it was shown (a hash could not sign); it is
 * shown once and never returned again. An endpoint whose delivery kept failing for the retry
 * window is disabled.
 */
export const webhookEndpoints = sqliteTable(
  'webhook_endpoints',
  {
    id: text('id').primaryKey(),
    campaignId: text('campaign_id').references(() => campaigns.id),
    url: text('url').notNull(),
    events: text('events', { mode: 'json' }).$type<WebhookEventType[]>().notNull(),
    secret: text('secret').notNull(),
    status: text('status', { enum: webhookEndpointStatuses }).notNull().default('active'),
    disabledAt: text('disabled_at'),
    createdAt: createdAt(),
  },
  (t) => [index('webhook_endpoints_campaign').on(t.campaignId)],
);

/**
 * One event for one endpoint: written in the transaction that made the event, then claimed with
 * a lease like the outbox. The id is the `webhook-id` header, the same on every attempt; the
 * payload is the exact body sent (ids, slugs, statuses and countries only).
 */
export const webhookDeliveries = sqliteTable(
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
