import type { Db } from '../db/client.js';
import { writeTx } from '../db/client.js';
import type { OutboxWriter } from '../delivery/outbox.js';
import { notFound } from '../errors.js';
import { countedDeltas } from './actions.js';
import type { CampaignService } from './campaigns.js';
import type { Clock } from './clock.js';
import { counterNames, type Deltas } from './counters.js';
import type { GroupCommit } from './group-commit.js';
import { newSecret, sha256 } from './ids.js';
import type { LetterLifecycle } from './letter-lifecycle.js';
import type { SupporterMail } from './supporter-mail.js';

/** One reminder, a day after signing, if the address has not been confirmed yet. */
export const reminderAfterMs = 24 * 60 * 60 * 1000;

interface SubmissionRow {
  id: string;
  campaignId: string;
  supporterId: string;
  expiresAt: string;
  confirmedAt: string | null;
}

/**
 * Confirmation by the link in the mail. Viewing changes nothing (mail scanners prefetch links);
 * confirming is single use and idempotent: a second confirm is harmless.
 */
export function createConfirmationService(deps: {
  db: Db;
  clock: Clock;
  campaigns: CampaignService;
  lifecycle: LetterLifecycle;
  outbox: OutboxWriter;
  mail: SupporterMail;
  groupCommit: GroupCommit;
}) {
  const { db, clock, campaigns, lifecycle, outbox, mail, groupCommit } = deps;
  const sql = db.$client;
  const stmt = {
    byToken: sql.prepare(
      `SELECT id, campaign_id AS campaignId, supporter_id AS supporterId, expires_at AS expiresAt, confirmed_at AS confirmedAt
       FROM submissions WHERE token_hash = ? OR reminder_token_hash = ?`,
    ),
    letters: sql.prepare(
      `SELECT l.id, l.target_id AS targetId, l.status, l.subject, l.body, t.name AS targetName, t.title AS targetTitle, t.email AS targetEmail
       FROM letters l JOIN targets t ON t.id = l.target_id WHERE l.submission_id = ? ORDER BY l.id`,
    ),
    confirmSubmission: sql.prepare('UPDATE submissions SET confirmed_at = ? WHERE id = ? AND confirmed_at IS NULL'),
    supporter: sql.prepare('SELECT country, counted_at AS countedAt FROM supporters WHERE id = ?'),
    markCounted: sql.prepare('UPDATE supporters SET counted_at = ? WHERE id = ? AND counted_at IS NULL'),
    dueReminders: sql.prepare(
      `SELECT s.id, s.campaign_id AS campaignId, p.name, p.email FROM submissions s JOIN supporters p ON p.id = s.supporter_id
       WHERE s.confirmed_at IS NULL AND s.reminded_at IS NULL AND s.token_hash IS NOT NULL
         AND s.created_at <= ? AND s.expires_at > ? AND p.email IS NOT NULL LIMIT 500`,
    ),
    setReminder: sql.prepare('UPDATE submissions SET reminder_token_hash = ?, reminded_at = ? WHERE id = ?'),
  };

  function find(token: string): SubmissionRow {
    const hash = sha256(token);
    const sub = stmt.byToken.get(hash, hash) as SubmissionRow | undefined;
    if (!sub) throw notFound('Confirmation link');
    if (!sub.confirmedAt && sub.expiresAt <= clock.now().toISOString()) throw notFound('Confirmation link');
    return sub;
  }

  type LetterRow = { id: string; targetId: string; status: string; subject: string | null; body: string | null; targetName: string; targetTitle: string; targetEmail: string | null };

  function view(token: string) {
    const sub = find(token);
    const campaign = campaigns.get(sub.campaignId);
    const letters = stmt.letters.all(sub.id) as LetterRow[];
    return {
      campaign: { slug: campaign.slug, title: campaign.title },
      confirmed: sub.confirmedAt !== null,
      letters: letters.map((l) => ({ targetName: l.targetName, targetTitle: l.targetTitle, subject: l.subject ?? '', text: l.body ?? '' })),
    };
  }

  async function confirm(token: string) {
    const result = await groupCommit.run((write) => {
      const sub = find(token);
      const campaign = campaigns.get(sub.campaignId);
      const at = clock.now().toISOString();
      if (stmt.confirmSubmission.run(at, sub.id).changes === 0) return { campaign, alreadyConfirmed: true };
      const deltas: Deltas = {};
      const add = (d: Deltas) => {
        for (const [k, v] of Object.entries(d)) deltas[k] = (deltas[k] ?? 0) + v;
      };
      for (const l of stmt.letters.all(sub.id) as LetterRow[]) {
        const letter = { id: l.id, campaignId: campaign.id, targetId: l.targetId, status: 'pending_confirmation' } as const;
        if (!lifecycle.move(write, letter, 'queued', at)) continue;
        add({ [counterNames.letters]: 1 });
        outbox.enqueueLetter(campaign, { id: l.id, targetId: l.targetId }, l.targetEmail, at);
      }
      const supporter = stmt.supporter.get(sub.supporterId) as { country: string; countedAt: string | null };
      if (stmt.markCounted.run(at, sub.supporterId).changes === 1) {
        add(countedDeltas(supporter.country, at));
        add({ [counterNames.pending]: -1 });
      }
      write.count(campaign.id, deltas, at);
      return { campaign, alreadyConfirmed: false };
    });
    return { campaign: { slug: result.campaign.slug, title: result.campaign.title }, alreadyConfirmed: result.alreadyConfirmed };
  }

  /** Sends the single reminder to submissions left unconfirmed for a day; returns how many. */
  function sendReminders(): number {
    const now = clock.now();
    const at = now.toISOString();
    return writeTx(db, () => {
      const due = stmt.dueReminders.all(new Date(now.getTime() - reminderAfterMs).toISOString(), at) as {
        id: string;
        campaignId: string;
        name: string;
        email: string;
      }[];
      for (const s of due) {
        const token = newSecret();
        stmt.setReminder.run(sha256(token), at, s.id);
        const campaign = campaigns.get(s.campaignId);
        mail.reminder({ campaignId: s.campaignId, campaignTitle: campaign.title, name: s.name, email: s.email, token, at });
      }
      return due.length;
    });
  }

  return { view, confirm, sendReminders };
}

export type ConfirmationService = ReturnType<typeof createConfirmationService>;
