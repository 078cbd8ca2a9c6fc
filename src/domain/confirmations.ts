import type { OutboxWriter } from '../delivery/outbox.js';
import { linkExpired, notFound } from '../errors.js';
import { countedDeltas } from './actions.js';
import type { CampaignService } from './campaigns.js';
import type { Clock } from './clock.js';
import { counterNames, type Deltas } from './counters.js';
import type { GroupCommit } from '../store/group-commit.js';
import { newSecret, sha256 } from './ids.js';
import type { LetterLifecycle } from './letter-lifecycle.js';
import type { Store } from '../store/index.js';
import type { SupporterMail } from './supporter-mail.js';

/** One reminder, a day after signing, if the address has not been confirmed yet. */
export const reminderAfterMs = 24 * 60 * 60 * 1000;

/**
 * Confirmation by the link in the mail. Viewing changes nothing (mail scanners prefetch links);
 * confirming is single use and idempotent: a second confirm is harmless.
 */
export function createConfirmationService(deps: {
  store: Pick<Store, 'submissions' | 'supporters' | 'letters' | 'transaction'>;
  clock: Clock;
  campaigns: CampaignService;
  lifecycle: LetterLifecycle;
  outbox: OutboxWriter;
  mail: SupporterMail;
  groupCommit: GroupCommit;
}) {
  const { store, clock, campaigns, lifecycle, outbox, mail, groupCommit } = deps;
  const { submissions, supporters, letters } = store;

  /**
   * The submission a link belongs to, while the link is valid. An expired link shows nothing,
   * confirmed or not: whoever finds an old mail later (a shared or seized inbox) must not read
   * the letter through it. Every link is made with an expiry; one without (none exists) would not expire.
   */
  async function find(token: string) {
    const sub = await submissions.byTokenHash(sha256(token));
    if (!sub) throw notFound('Confirmation link');
    if (sub.expiresAt !== null && sub.expiresAt <= clock.now().toISOString()) throw linkExpired('confirmation link', (await campaigns.get(sub.campaignId)).slug);
    return sub;
  }

  async function view(token: string) {
    const sub = await find(token);
    const campaign = await campaigns.get(sub.campaignId);
    return {
      campaign: { slug: campaign.slug, title: campaign.title },
      confirmed: sub.confirmedAt !== null,
      letters: (await letters.ofSubmission(sub.id)).map((l) => ({ targetName: l.targetName, targetTitle: l.targetTitle, subject: l.subject ?? '', text: l.body ?? '' })),
    };
  }

  async function confirm(token: string) {
    const result = await groupCommit.run(async (write) => {
      const sub = await find(token);
      const campaign = await campaigns.get(sub.campaignId);
      const at = clock.now().toISOString();
      if (!(await submissions.confirm(sub.id, at))) return { campaign, alreadyConfirmed: true };
      const deltas: Deltas = {};
      const add = (d: Deltas) => {
        for (const [k, v] of Object.entries(d)) deltas[k] = (deltas[k] ?? 0) + v;
      };
      for (const l of await letters.ofSubmission(sub.id)) {
        const letter = { id: l.id, campaignId: campaign.id, targetId: l.targetId, status: 'pending_confirmation' } as const;
        if (!(await lifecycle.move(write, letter, 'queued', at))) continue;
        add({ [counterNames.letters]: 1 });
        await outbox.enqueueLetter(campaign, { id: l.id, targetId: l.targetId }, l.targetEmail, at);
      }
      if (await supporters.markCounted(sub.supporterId, at)) {
        const country = (await supporters.countryOf(sub.supporterId))!;
        add(countedDeltas(country, at));
        write.event({ type: 'supporter.counted', campaignId: campaign.id, at, data: { country } });
        add({ [counterNames.pending]: -1 });
      }
      write.count(campaign.id, deltas, at);
      return { campaign, alreadyConfirmed: false };
    });
    return { campaign: { slug: result.campaign.slug, title: result.campaign.title }, alreadyConfirmed: result.alreadyConfirmed };
  }

  /** Sends the single reminder to submissions left unconfirmed for a day; returns how many. */
  async function sendReminders(): Promise<number> {
    const now = clock.now();
    const at = now.toISOString();
    return store.transaction(async () => {
      const due = await submissions.dueReminders(new Date(now.getTime() - reminderAfterMs).toISOString(), at);
      for (const s of due) {
        const token = newSecret();
        await submissions.setReminder(s.id, sha256(token), at);
        const campaign = await campaigns.get(s.campaignId);
        await mail.reminder({ campaignId: s.campaignId, campaignTitle: campaign.title, name: s.name, email: s.email, token, at });
      }
      return due.length;
    });
  }

  return { view, confirm, sendReminders };
}

export type ConfirmationService = ReturnType<typeof createConfirmationService>;
