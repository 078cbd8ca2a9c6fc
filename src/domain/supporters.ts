import type { LetterStatus } from '../db/schema.js';
import type { Store } from '../store/index.js';
import { notFound } from '../errors.js';
import type { Campaign, CampaignUpdate } from '../schemas/campaign.js';
import type { Clock } from './clock.js';
import { counterNames } from './counters.js';
import { sha256 } from './ids.js';
import type { LetterLifecycle, MoveScope } from './letter-lifecycle.js';
import { unsubscribeToken } from './secrets.js';
import { normalizeEmail, type SupporterMail } from './supporter-mail.js';

export const erasedReason = "erased at the supporter's request";
/** Why retention failed a letter its writer never confirmed. */
export const unconfirmedReason = 'never confirmed: erased 7 days after its link expired';
/** Why retention failed a held letter: its writer's contact data was due for deletion. */
export const retainedReason = "its writer's data was erased by retention";

/** Unconfirmed submissions (and their never-counted supporters) are erased this long after their link expired. */
const unconfirmedGraceMs = 7 * 24 * 60 * 60 * 1000;

/** Letters not yet delivered when their writer is erased can never be sent: nobody may sign them any more. */
const undelivered: LetterStatus[] = ['pending_confirmation', 'queued', 'sending', 'held'];

/**
 * The people side: consent and unsubscribe, data subject access and erasure, retention.
 * Erasure removes names, addresses, notes, IPs and rendered letters everywhere, but never lowers a count
 * of people or letters; `pending` (people who may still confirm) drops for a supporter never counted.
 */
export function createSupporterService(deps: {
  store: Pick<Store, 'supporters' | 'submissions' | 'letters' | 'outbox' | 'checkpoint'>;
  clock: Clock;
  lifecycle: LetterLifecycle;
  mail: SupporterMail;
  unsubscribeKey: Buffer;
  retention: { bodyDays: number; contactDays: number };
}) {
  const { store, clock, lifecycle, mail, unsubscribeKey } = deps;
  const { supporters, submissions, letters, outbox } = store;

  /** Derives (and records the hash of) the supporter's unsubscribe token. */
  async function unsubscribeTokenFor(supporterId: string): Promise<string> {
    const token = unsubscribeToken(unsubscribeKey, supporterId);
    await supporters.setUnsubscribeHash(supporterId, sha256(token));
    return token;
  }

  /** What the unsubscribe page shows before anything changes (a GET must not unsubscribe: mail scanners follow links). */
  async function subscription(token: string): Promise<{ campaignTitle: string; campaignSlug: string; unsubscribed: boolean }> {
    const row = await supporters.byUnsubscribeHash(sha256(token));
    if (!row) throw notFound('Subscription');
    return { campaignTitle: row.campaignTitle, campaignSlug: row.campaignSlug, unsubscribed: row.unsubscribedAt !== null };
  }

  /** RFC 8058 one-click: idempotent, needs nothing but the token. */
  async function unsubscribe(token: string): Promise<{ campaignTitle: string; campaignSlug: string }> {
    const row = await supporters.byUnsubscribeHash(sha256(token));
    if (!row) throw notFound('Subscription');
    await supporters.unsubscribe(row.id, clock.now().toISOString());
    return { campaignTitle: row.campaignTitle, campaignSlug: row.campaignSlug };
  }

  /** One update mail to each of `people`, queued in the caller's transaction. */
  async function mailEach(campaign: Campaign, people: { id: string; name: string; email: string }[], title: string, body: string): Promise<number> {
    const at = clock.now().toISOString();
    for (const p of people) {
      await mail.update({
        campaignId: campaign.id,
        campaignTitle: campaign.title,
        name: p.name,
        email: p.email,
        title,
        body,
        unsubscribeToken: await unsubscribeTokenFor(p.id),
        at,
      });
    }
    return people.length;
  }

  /** Called inside the transaction that stores an update with `notify`: one mail per consenting supporter. */
  async function notifyUpdate(campaign: Campaign, update: CampaignUpdate): Promise<number> {
    return mailEach(campaign, await supporters.consenting(campaign.id), update.title, update.body);
  }

  /** Called inside the transaction that stores a target's response with `notify`: the consenting supporters who wrote to that target. */
  async function notifyWriters(campaign: Campaign, targetId: string, title: string, body: string): Promise<number> {
    return mailEach(campaign, await supporters.consentingWritersTo(campaign.id, targetId), title, body);
  }

  /** Everything stored about an address (data subject access). */
  async function exportData(email: string) {
    const rows = await supporters.byEmailKey(normalizeEmail(email));
    // The address asked about is not echoed: after erasure the answer holds nothing about the person.
    return {
      supporters: await Promise.all(
        rows.map(async (s) => ({
          campaign: { id: s.campaignId, slug: s.slug, title: s.campaignTitle },
          name: s.name,
          email: s.email,
          city: s.city,
          country: s.country,
          consentUpdates: s.consentUpdates === 1,
          consentAt: s.consentAt,
          unsubscribedAt: s.unsubscribedAt,
          confirmedAt: s.countedAt,
          createdAt: s.createdAt,
          letters: await letters.ofSupporter(s.id),
        })),
      ),
    };
  }

  async function eraseSupporter(scope: MoveScope, s: { id: string; campaignId: string; countedAt: string | null }, at: string, reason: string) {
    for (const l of await letters.ofSupporterIn(s.id, undelivered)) {
      await lifecycle.move(scope, { ...l, campaignId: s.campaignId }, 'failed', at, reason);
      await outbox.failForLetter(l.id, reason);
    }
    await letters.scrubOfSupporter(s.id, at);
    await submissions.forgetTokensOf(s.id);
    await supporters.erase(s.id, at);
    // Never counted and now erased, they can never confirm: pending says how many still may.
    if (s.countedAt === null) scope.count(s.campaignId, { [counterNames.pending]: -1 }, at);
  }

  /** Supporter mail still waiting (or in flight) carries the address in its payload: drop it, so it is never sent or retried. */
  async function dropQueuedMailTo(emailKey: string) {
    for (const row of await outbox.pendingSupporterMail()) {
      const to = (JSON.parse(row.payload) as { to: { address: string } }).to.address;
      if (normalizeEmail(to) === emailKey) await outbox.remove(row.id);
    }
  }

  /**
   * Erases the person everywhere; supporter and letter counts stay as they were. Once committed,
   * the WAL is checkpointed: its frames still held the rows as they were before.
   */
  async function erase(email: string): Promise<void> {
    const key = normalizeEmail(email);
    const at = clock.now().toISOString();
    await lifecycle.transaction(async (scope) => {
      for (const s of await supporters.byEmailKey(key)) await eraseSupporter(scope, s, at, erasedReason);
      await dropQueuedMailTo(key);
      await mail.forget(key);
    });
    await store.checkpoint();
  }

  /**
   * An unconfirmed submission whose supporter stays (counted, or with another link still in its
   * window): its letters fail and lose their words, and its links stop working.
   */
  async function eraseSubmission(scope: MoveScope, sub: { id: string; campaignId: string }, at: string) {
    for (const l of await letters.ofSubmission(sub.id)) {
      if (l.status !== 'pending_confirmation') continue;
      await lifecycle.move(scope, { id: l.id, campaignId: sub.campaignId, targetId: l.targetId, status: l.status }, 'failed', at, unconfirmedReason);
    }
    await letters.scrubOfSubmission(sub.id, at);
    await submissions.forgetTokens(sub.id);
  }

  /**
   * The hourly job: scrubs letter bodies after delivery + bodyDays; erases contact data after
   * contactDays of silence (held letters included); erases unconfirmed submissions, and their
   * supporters if never counted, 7 days after their link expired; sweeps old mail caps.
   */
  async function applyRetention(): Promise<{ bodies: number; supporters: number; submissions: number; mailCaps: number }> {
    const now = clock.now();
    const at = now.toISOString();
    const day = 24 * 60 * 60 * 1000;
    const result = await lifecycle.transaction(async (scope) => {
      const bodies = await letters.scrubDelivered(new Date(now.getTime() - deps.retention.bodyDays * day).toISOString(), at);
      const cutoff = new Date(now.getTime() - deps.retention.contactDays * day).toISOString();
      const stale = await supporters.silentSince(cutoff);
      for (const s of stale) await eraseSupporter(scope, s, at, retainedReason);
      const expiredBefore = new Date(now.getTime() - unconfirmedGraceMs).toISOString();
      const never = await supporters.neverConfirmed(expiredBefore);
      for (const s of never) await eraseSupporter(scope, s, at, unconfirmedReason);
      // What is left: unconfirmed submissions of supporters who stay.
      const subs = await submissions.expiredUnconfirmed(expiredBefore);
      for (const sub of subs) await eraseSubmission(scope, sub, at);
      return { bodies, supporters: stale.length + never.length, submissions: subs.length, mailCaps: await mail.sweepCaps(now) };
    });
    // Erased rows' old pages are still in the WAL until it is checkpointed.
    if (result.supporters + result.submissions > 0) await store.checkpoint();
    return result;
  }

  return { subscription, unsubscribe, notifyUpdate, notifyWriters, exportData, erase, applyRetention, unsubscribeTokenFor };
}

export type SupporterService = ReturnType<typeof createSupporterService>;
