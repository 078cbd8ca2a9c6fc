import type { Db } from '../db/client.js';
import type { LetterStatus } from '../db/schema.js';
import type { OutboxWriter } from '../delivery/outbox.js';
import { conflict, invalid, notFound } from '../errors.js';
import type { Campaign } from '../schemas/campaign.js';
import type { Count, PublicCampaign, SubmitLetters, SubmitResult } from '../schemas/letter.js';
import type { Target } from '../schemas/target.js';
import type { CampaignService } from './campaigns.js';
import type { Clock } from './clock.js';
import { counterNames, type Counters, type Deltas } from './counters.js';
import type { CountEvents } from './events.js';
import type { GroupCommit } from './group-commit.js';
import { newId, newSecret, sha256 } from './ids.js';
import { coarseIp } from './network.js';
import { dataVersionOf } from './read-cache.js';
import { renderLetter } from './render-letter.js';
import { normalizeEmail, type SupporterMail } from './supporter-mail.js';
import type { TargetService } from './targets.js';
import type { TemplateService } from './templates.js';

export const confirmationTtlMs = 7 * 24 * 60 * 60 * 1000;
/** Campaigns whose public page exists; drafts are invisible (404). */
const publicStatuses = new Set<Campaign['status']>(['active', 'paused', 'won', 'closed']);
/** Countries with fewer supporters than this are left out of public breakdowns. */
export const publicCountryMinimum = 10;

export interface ActionDeps {
  db: Db;
  clock: Clock;
  campaigns: CampaignService;
  targets: TargetService;
  templates: TemplateService;
  counters: Counters;
  outbox: OutboxWriter;
  mail: SupporterMail;
  events: CountEvents;
  groupCommit: GroupCommit;
}

/** The public side of a campaign: its page data, its count, and supporters' submissions. */
export function createActionService(deps: ActionDeps) {
  const { db, clock, campaigns, targets, templates, counters, outbox, mail, events, groupCommit } = deps;
  const sql = db.$client;
  const stmt = {
    supporterByKey: sql.prepare('SELECT id, counted_at AS countedAt FROM supporters WHERE campaign_id = ? AND email_key = ?'),
    // Positional parameters throughout the accept path: binding by name cost a lookup per field.
    insertSupporter: sql.prepare(
      `INSERT INTO supporters (id, campaign_id, email_key, email, name, city, country, consent_updates, consent_at, ip, counted_at, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    targetsWritten: sql.prepare('SELECT target_id AS targetId FROM letters WHERE supporter_id = ?'),
    insertSubmission: sql.prepare(
      `INSERT INTO submissions (id, campaign_id, supporter_id, token_hash, expires_at, confirmed_at, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
    ),
    insertLetter: sql.prepare(
      `INSERT INTO letters (id, campaign_id, target_id, supporter_id, submission_id, template_id, status, signer_name, signer_city,
         signer_country, note, subject, body, created_at, confirmed_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    markCounted: sql.prepare('UPDATE supporters SET counted_at = ? WHERE id = ? AND counted_at IS NULL'),
    totalChanges: sql.prepare('SELECT total_changes()').pluck(),
    countRows: sql.prepare(
      "SELECT name, value, updated_at AS updatedAt FROM counters WHERE campaign_id = ? AND name IN ('supporters', 'letters', 'letters.sent')",
    ),
  };

  function publicCampaign(slug: string): Campaign {
    const campaign = campaigns.getBySlug(slug);
    if (!campaign || !publicStatuses.has(campaign.status)) throw notFound('Campaign');
    return campaign;
  }

  /** Three primary-key reads: the same cost at a thousand letters and at a million. */
  function countOf(campaign: Pick<Campaign, 'id' | 'goal'>): Count {
    const rows = stmt.countRows.all(campaign.id) as { name: string; value: number; updatedAt: string }[];
    const value = (n: string) => rows.find((r) => r.name === n)?.value ?? 0;
    const updatedAt = rows.reduce<string | null>((max, r) => (max === null || r.updatedAt > max ? r.updatedAt : max), null);
    return { supporters: value('supporters'), letters: value('letters'), delivered: value('letters.sent'), goal: campaign.goal, updatedAt };
  }

  /** Dashboards and supporters poll the count constantly: it is read again only after a write. */
  const counts = new Map<string, { version: string; count: Count }>();
  const dataVersion = dataVersionOf(db);
  function count(slug: string): Count {
    // Changes by this connection, and commits by any other: while both stand still, no count has changed.
    const version = `${stmt.totalChanges.get() as number}:${dataVersion() as number}`;
    const hit = counts.get(slug);
    if (hit?.version === version) return hit.count;
    const fresh = Object.freeze(countOf(publicCampaign(slug)));
    counts.set(slug, { version, count: fresh });
    return fresh;
  }

  function publicView(slug: string): PublicCampaign {
    const c = publicCampaign(slug);
    const countries = Object.fromEntries(
      counters
        .byPrefix(c.id, 'country.')
        .filter((r) => r.value >= publicCountryMinimum)
        .map((r) => [r.name, r.value]),
    );
    return {
      ...c,
      rules: { noteMaxLength: c.rules.noteMaxLength, guidance: c.rules.guidance },
      // Public fields only, even for in-process callers such as the pages: never a target's address.
      targets: targets.list(c.id).map(({ id, name, title, organization }) => ({ id, name, title, organization })),
      templates: templates.list(c.id).map(({ id, name, locale, subject, body }) => ({ id, name, locale, subject, body })),
      updates: campaigns.listUpdates(c.id),
      counts: countOf(c),
      countries,
    };
  }

  /** The response never depends on whether this address wrote before: nobody can probe who took part. */
  function resultFor(campaign: Campaign): SubmitResult {
    return { status: campaign.confirmation === 'none' ? 'queued' : 'pending_confirmation' };
  }

  function chooseTargets(campaign: Campaign, ids?: string[]): Target[] {
    const live = targets.list(campaign.id);
    if (!ids) {
      if (live.length === 0) throw invalid('This campaign has no one to write to yet');
      return live;
    }
    const unknown = ids.filter((id) => !live.some((t) => t.id === id));
    if (unknown.length > 0) {
      throw invalid('Unknown target', unknown.map((id) => ({ path: 'targetIds', message: `no target ${id} in this campaign` })));
    }
    return live.filter((t) => ids.includes(t.id));
  }

  /**
   * Renders first (a content-rule violation is a 422 before anything is written), then writes
   * supporter, submission, letters, outbox rows and counters in one group-committed transaction.
   */
  async function submit(slug: string, input: SubmitLetters, meta: { ip: string }): Promise<SubmitResult> {
    const campaign = publicCampaign(slug);
    if (campaign.status !== 'active') throw conflict(`This campaign is ${campaign.status} and takes no new letters`);
    if (input.website) return resultFor(campaign); // a bot filled the honeypot: look successful, store nothing
    const chosen = chooseTargets(campaign, input.targetIds);
    const template = templates.choose(campaign.id, campaign.locale, input.templateId);
    const now = clock.now();
    const letters = chosen.map((target) => ({ target, ...renderLetter(campaign, template, target, input, now) }));
    const at = now.toISOString();
    const emailKey = normalizeEmail(input.email);

    const changed = await groupCommit.run((write) => {
      const deltas: Deltas = {};
      const add = (d: Deltas) => {
        for (const [k, v] of Object.entries(d)) deltas[k] = (deltas[k] ?? 0) + v;
      };
      const confirmedNow = campaign.confirmation === 'none';
      let supporter = stmt.supporterByKey.get(campaign.id, emailKey) as { id: string; countedAt: string | null } | undefined;
      const isNewSupporter = !supporter;
      if (!supporter) {
        // A new supporter whose letters need no confirmation is counted from the start.
        supporter = { id: newId('sup'), countedAt: confirmedNow ? at : null };
        stmt.insertSupporter.run(
          supporter.id,
          campaign.id,
          emailKey,
          input.email.trim(),
          input.name,
          input.city || null,
          input.country,
          input.consentUpdates ? 1 : 0,
          input.consentUpdates ? at : null,
          coarseIp(meta.ip),
          supporter.countedAt,
          at,
        );
      }
      // A new supporter has written nothing yet: only a returning one needs the lookup.
      const written = isNewSupporter
        ? new Set<string>()
        : new Set((stmt.targetsWritten.all(supporter.id) as { targetId: string }[]).map((r) => r.targetId));
      const fresh = letters.filter((l) => !written.has(l.target.id));
      if (fresh.length === 0) {
        mail.notice({ campaignId: campaign.id, campaignTitle: campaign.title, email: input.email.trim(), at });
        return false;
      }
      const status: LetterStatus = confirmedNow ? 'queued' : 'pending_confirmation';
      const token = confirmedNow ? null : newSecret();
      const submissionId = newId('sub');
      stmt.insertSubmission.run(
        submissionId,
        campaign.id,
        supporter.id,
        token ? sha256(token) : null,
        new Date(now.getTime() + confirmationTtlMs).toISOString(),
        confirmedNow ? at : null,
        at,
      );
      for (const l of fresh) {
        const id = newId('ltr');
        stmt.insertLetter.run(
          id,
          campaign.id,
          l.target.id,
          supporter.id,
          submissionId,
          template.id,
          status,
          input.name,
          input.city || null,
          input.country,
          input.note || null,
          l.subject,
          l.text,
          at,
          confirmedNow ? at : null,
        );
        add(counters.letterMove(l.target.id, null, status));
        if (confirmedNow) {
          add({ [counterNames.letters]: 1 });
          outbox.enqueueLetter(campaign, { id, targetId: l.target.id }, l.target.email, at);
        }
      }
      if (confirmedNow) {
        if (isNewSupporter || stmt.markCounted.run(at, supporter.id).changes === 1) {
          add(countedDeltas(input.country, at));
          if (!isNewSupporter) add({ [counterNames.pending]: -1 });
        }
      } else {
        if (isNewSupporter) add({ [counterNames.pending]: 1 });
        mail.confirmation({
          campaignId: campaign.id,
          campaignTitle: campaign.title,
          name: input.name,
          email: input.email.trim(),
          targets: fresh.map((l) => `${l.target.name}, ${l.target.title}`),
          token: token!,
          at,
        });
      }
      write.count(campaign.id, deltas, at);
      return true;
    });
    if (changed) events.changed(campaign.id);
    return resultFor(campaign);
  }

  return { publicView, count, countOf, submit };
}

/** The counters a supporter moves when first counted. */
export function countedDeltas(country: string, at: string): Deltas {
  return { [counterNames.supporters]: 1, [counterNames.country(country)]: 1, [counterNames.hour(at)]: 1 };
}

export type ActionService = ReturnType<typeof createActionService>;
