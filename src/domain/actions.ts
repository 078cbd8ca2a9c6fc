import type { LetterStatus } from '../db/schema.js';
import type { OutboxWriter } from '../delivery/outbox.js';
import { conflict, invalid, notFound } from '../errors.js';
import type { Campaign } from '../schemas/campaign.js';
import type { Count, PublicCampaign, SubmitLetters, SubmitResult } from '../schemas/letter.js';
import type { Target } from '../schemas/target.js';
import { pastClosing, type CampaignService } from './campaigns.js';
import type { Clock } from './clock.js';
import { counterNames, type Counters, type Deltas } from './counters.js';
import type { GroupCommit } from '../store/group-commit.js';
import { newId, newSecret, sha256 } from './ids.js';
import type { Store } from '../store/index.js';
import type { LetterLifecycle } from './letter-lifecycle.js';
import { coarseIp } from './network.js';
import { personalizedFrom } from './originality.js';
import { renderLetter } from './render-letter.js';
import { normalizeEmail, type SupporterMail } from './supporter-mail.js';
import type { TargetService } from './targets.js';
import type { TemplateService } from './templates.js';

export const confirmationTtlMs = 7 * 24 * 60 * 60 * 1000;
/** Campaigns whose public page exists; drafts are invisible (404). */
const publicStatuses = new Set<Campaign['status']>(['active', 'paused', 'won', 'closed']);
/** Countries with fewer supporters than this are left out of public breakdowns. */
export const publicCountryMinimum = 10;
/** A `confirmation: none` campaign publishes its public figures at most this often (see `figures`). */
export const quietCountMs = 60 * 1000;

/** What the public sees of a campaign's standing: the count and the per-country breakdown. */
interface Figures {
  count: Count;
  countries: Record<string, number>;
}

/** The figures as published: `updatedAt` cut to the minute, so it cannot time one signature either. */
function quiet(f: Figures): Figures {
  const updatedAt = f.count.updatedAt === null ? null : `${f.count.updatedAt.slice(0, 16)}:00.000Z`;
  return { count: Object.freeze({ ...f.count, updatedAt }), countries: Object.freeze({ ...f.countries }) };
}

export interface ActionDeps {
  store: Pick<Store, 'dataVersion' | 'commits' | 'supporters' | 'submissions' | 'letters' | 'responses' | 'publishedCounts'>;
  clock: Clock;
  campaigns: CampaignService;
  targets: TargetService;
  templates: TemplateService;
  counters: Counters;
  lifecycle: LetterLifecycle;
  outbox: OutboxWriter;
  mail: SupporterMail;
  groupCommit: GroupCommit;
}

/** The public side of a campaign: its page data, its count, and supporters' submissions. */
export function createActionService(deps: ActionDeps) {
  const { store, clock, campaigns, targets, templates, counters, lifecycle, outbox, mail, groupCommit } = deps;

  async function publicCampaign(slug: string): Promise<Campaign> {
    const campaign = await campaigns.getBySlug(slug);
    if (!campaign || !publicStatuses.has(campaign.status)) throw notFound('Campaign');
    return campaign;
  }

  /** Three primary-key reads: the same cost at a thousand letters and at a million. */
  async function countOf(campaign: Pick<Campaign, 'id' | 'goal'>): Promise<Count> {
    const rows = await counters.publicCount(campaign.id);
    const value = (n: string) => rows.find((r) => r.name === n)?.value ?? 0;
    const updatedAt = rows.reduce<string | null>((max, r) => (max === null || r.updatedAt > max ? r.updatedAt : max), null);
    const online = { supporters: value(counterNames.supporters), letters: value(counterNames.letters) };
    const offline = { supporters: value(counterNames.offlineSupporters), letters: value(counterNames.offlineLetters) };
    return {
      supporters: online.supporters + offline.supporters,
      letters: online.letters + offline.letters,
      delivered: value(counterNames.status('sent')),
      goal: campaign.goal,
      updatedAt,
      online,
      offline,
    };
  }

  /** Dashboards and supporters poll the count constantly: it is read again only after a write. */
  const counts = new Map<string, { version: string; count: Count }>();
  async function liveCount(campaign: Pick<Campaign, 'id' | 'goal'>): Promise<Count> {
    // Commits by this process, and by any other: while both stand still, no count has changed.
    // Taken before the read, so a commit landing during it makes the next call read again.
    const version = `${store.commits()}:${String(store.dataVersion())}`;
    const hit = counts.get(campaign.id);
    if (hit?.version === version && hit.count.goal === campaign.goal) return hit.count;
    const fresh = Object.freeze(await countOf(campaign));
    counts.set(campaign.id, { version, count: fresh });
    return fresh;
  }

  async function liveFigures(campaign: Campaign): Promise<Figures> {
    const countries = Object.fromEntries(
      (await counters.byPrefix(campaign.id, 'country.')).filter((r) => r.value >= publicCountryMinimum).map((r) => [r.name, r.value]),
    );
    return { count: await liveCount(campaign), countries };
  }

  /**
   * The figures every public reader gets (the count and its ETag, SSE events, the pages). Without
   * confirmation a submission moves the counters at once, or not at all when the address had
   * signed before, so watching them would tell whether an address took part: such a campaign
   * publishes its figures at most once a minute (by the app's clock), the same to every reader.
   * With email confirmation only the owner of the address can move them, so they stay live.
   */
  const published = new Map<string, Figures & { at: number }>();
  async function figures(campaign: Campaign): Promise<Figures> {
    if (campaign.confirmation !== 'none') return liveFigures(campaign);
    const now = clock.now().getTime();
    const due = () => {
      const p = published.get(campaign.id);
      return !p || now - p.at >= quietCountMs;
    };
    if (due()) {
      // The publication is shared by every instance (store.publishedCounts): a reader
      // alternating between instances sees one set of figures a minute, as with one.
      const fresh = quiet(await liveFigures(campaign));
      const row = await store.publishedCounts.publish(campaign.id, new Date(now).toISOString(), JSON.stringify(fresh), new Date(now - quietCountMs).toISOString());
      const standing = JSON.parse(row.figures) as Figures;
      // Readers that read at the same time publish once: the first to finish, whose figures every reader gets.
      if (due()) published.set(campaign.id, { at: Date.parse(row.publishedAt), count: Object.freeze(standing.count), countries: Object.freeze(standing.countries) });
    } else {
      // The goal and the offline counts are the organizer's, not a trace of anyone's signature:
      // they show at once, over the online figures as last published.
      const { offline } = await liveCount(campaign);
      const p = published.get(campaign.id)!;
      if (p.count.goal !== campaign.goal || p.count.offline.supporters !== offline.supporters || p.count.offline.letters !== offline.letters) {
        const { online } = p.count;
        const count = { ...p.count, goal: campaign.goal, offline, supporters: online.supporters + offline.supporters, letters: online.letters + offline.letters };
        published.set(campaign.id, { ...p, count: Object.freeze(count) });
      }
    }
    return published.get(campaign.id)!;
  }

  /** Whether the live figures have moved past the published ones (which the next publication will show). */
  async function lags(campaign: Campaign): Promise<boolean> {
    const p = published.get(campaign.id);
    if (campaign.confirmation !== 'none' || !p) return false;
    return JSON.stringify(quiet(await liveFigures(campaign))) !== JSON.stringify({ count: p.count, countries: p.countries });
  }

  /** The public count as published (see `figures`). */
  async function count(slug: string): Promise<Count> {
    return (await figures(await publicCampaign(slug))).count;
  }

  async function publicView(slug: string): Promise<PublicCampaign> {
    const c = await publicCampaign(slug);
    const [responses, { count: counts, countries }, live, versions, updates] = await Promise.all([
      store.responses.publicOfCampaign(c.id),
      figures(c),
      targets.list(c.id),
      templates.list(c.id),
      campaigns.listUpdates(c.id),
    ]);
    return {
      ...c,
      rules: { noteMaxLength: c.rules.noteMaxLength, guidance: c.rules.guidance },
      // Public fields only, even for in-process callers such as the pages: never a target's address.
      targets: live.map(({ id, name, title, organization, countries: forCountries }) => ({
        id,
        name,
        title,
        organization,
        countries: forCountries,
        respondedAt: responses.find((r) => r.targetId === id)?.receivedAt ?? null,
      })),
      responses,
      templates: versions.map(({ id, name, locale, subject, body, translationOf }) => ({ id, name, locale, subject, body, translationOf })),
      updates,
      counts,
      countries,
      organizer: c.sender ? { name: c.sender.name, email: c.sender.email, url: c.sender.url, privacyNotice: c.sender.privacyNotice } : null,
    };
  }

  /** The response never depends on whether this address wrote before: nobody can probe who took part. */
  function resultFor(campaign: Campaign): SubmitResult {
    return { status: campaign.confirmation === 'none' ? 'queued' : 'pending_confirmation' };
  }

  /**
   * The targets a supporter in `country` writes to: those they chose (all by default), less those
   * that take letters only from other countries. None left is a 422 saying so.
   */
  async function chooseTargets(campaign: Campaign, country: string, ids?: string[]): Promise<Target[]> {
    const live = await targets.list(campaign.id);
    if (live.length === 0) throw invalid('This campaign has no one to write to yet');
    const unknown = (ids ?? []).filter((id) => !live.some((t) => t.id === id));
    if (unknown.length > 0) {
      throw invalid('Unknown target', unknown.map((id) => ({ path: 'targetIds', message: `no target ${id} in this campaign` })));
    }
    const reachable = recipientsOf(live, country, ids);
    if (reachable.length === 0) {
      throw invalid('No one to write to from your country', [{ path: ids ? 'targetIds' : 'country', message: `no chosen target takes letters from ${country}` }]);
    }
    return reachable;
  }

  /**
   * Renders first (a content-rule violation is a 422 before anything is written), then writes
   * supporter, submission, letters, outbox rows and counters in one group-committed transaction.
   */
  async function submit(slug: string, input: SubmitLetters, meta: { ip: string }): Promise<SubmitResult> {
    const campaign = await publicCampaign(slug);
    if (campaign.status !== 'active') throw conflict(`This campaign is ${campaign.status} and takes no new letters`);
    const now = clock.now();
    if (pastClosing(campaign, now)) throw conflict(`This campaign closed on ${campaign.closesAt} and takes no new letters`);
    if (input.website) return resultFor(campaign); // a bot filled the honeypot: look successful, store nothing
    const chosen = await chooseTargets(campaign, input.country, input.targetIds);
    const template = await templates.choose(campaign.id, campaign.locale, input.templateId);
    // Each letter in its reader's language: the chosen template's translation for the target's locale, where there is one.
    const everyone = input.body === undefined ? [] : await targets.list(campaign.id);
    const letters = await Promise.all(
      chosen.map(async (target) => {
        const used = await templates.forTarget(template, target);
        const signer = input.body === undefined ? input : { ...input, body: addressedTo(input.body, target, everyone) };
        return { target, template: used, ...renderLetter(campaign, used, target, signer, now) };
      }),
    );
    const at = now.toISOString();
    const emailKey = normalizeEmail(input.email);
    // Asked before the write (concurrent requests share one statement), so a new supporter's
    // write needs no read of its own inside the batch (see supporters.byKey).
    const ahead = await store.supporters.lookAhead(campaign.id, emailKey);

    await groupCommit.run(async (write) => {
      const deltas: Deltas = {};
      const add = (d: Deltas) => {
        for (const [k, v] of Object.entries(d)) deltas[k] = (deltas[k] ?? 0) + v;
      };
      const confirmedNow = campaign.confirmation === 'none';
      let supporter = await store.supporters.byKey(campaign.id, emailKey, ahead);
      const isNewSupporter = !supporter;
      if (!supporter) {
        // A new supporter whose letters need no confirmation is counted from the start.
        supporter = { id: newId('sup'), countedAt: confirmedNow ? at : null };
        await store.supporters.insert({
          id: supporter.id,
          campaignId: campaign.id,
          emailKey,
          email: input.email.trim(),
          name: input.name,
          city: input.city || null,
          country: input.country,
          consentUpdates: input.consentUpdates === true,
          consentAt: input.consentUpdates ? at : null,
          ip: coarseIp(meta.ip),
          countedAt: supporter.countedAt,
          createdAt: at,
        });
      }
      // A new supporter has written nothing yet: only a returning one needs the lookup.
      const written = isNewSupporter
        ? new Set<string>()
        : new Set((await store.letters.targetsWrittenBy(supporter.id)).map((r) => r.targetId));
      const fresh = letters.filter((l) => !written.has(l.target.id));
      if (fresh.length === 0) {
        // Signing again while the letters still wait for confirmation ("send the link again"): a
        // fresh link in the reminder's place, capped per mailbox like every confirmation mail.
        // Otherwise a neutral notice. The answer is the same either way.
        const waiting = confirmedNow ? undefined : await store.submissions.openOf(supporter.id, at);
        if (waiting) {
          const token = newSecret();
          await store.submissions.setReminder(waiting.id, sha256(token), at);
          await mail.confirmation({
            campaignId: campaign.id,
            campaignTitle: campaign.title,
            name: input.name,
            email: input.email.trim(),
            targets: letters.map((l) => `${l.target.name}, ${l.target.title}`),
            token,
            at,
          });
        } else {
          await mail.notice({ campaignId: campaign.id, campaignTitle: campaign.title, email: input.email.trim(), at });
        }
        return;
      }
      const status: LetterStatus = confirmedNow ? 'queued' : 'pending_confirmation';
      const token = confirmedNow ? null : newSecret();
      const submissionId = newId('sub');
      await store.submissions.insert({
        id: submissionId,
        campaignId: campaign.id,
        supporterId: supporter.id,
        tokenHash: token ? sha256(token) : null,
        expiresAt: new Date(now.getTime() + confirmationTtlMs).toISOString(),
        confirmedAt: confirmedNow ? at : null,
        createdAt: at,
      });
      for (const l of fresh) {
        const id = newId('ltr');
        // Subject variants in turn per target: consecutive letters to one inbox never share a subject line.
        const subject =
          l.subjects.length > 1 ? l.subjects[((await counters.turn(campaign.id, counterNames.subjectTurn(l.target.id), at)) - 1) % l.subjects.length]! : l.subject;
        await store.letters.insert({
          id,
          campaignId: campaign.id,
          targetId: l.target.id,
          supporterId: supporter.id,
          submissionId,
          templateId: l.template.id,
          templateVersion: l.template.version,
          locale: l.template.locale,
          status,
          signerName: input.name,
          signerCity: input.city || null,
          signerCountry: input.country,
          note: input.note || null,
          subject,
          body: l.text,
          originality: l.originality,
          createdAt: at,
          confirmedAt: confirmedNow ? at : null,
        });
        lifecycle.created(write, { id, campaignId: campaign.id, targetId: l.target.id }, status, at);
        add({ [l.originality >= personalizedFrom ? counterNames.personalized : counterNames.formLetters]: 1 });
        if (confirmedNow) {
          add({ [counterNames.letters]: 1 });
          await outbox.enqueueLetter(campaign, { id, targetId: l.target.id }, l.target.email, at);
        }
      }
      if (confirmedNow) {
        if (isNewSupporter || (await store.supporters.markCounted(supporter.id, at))) {
          add(countedDeltas(input.country, at));
          write.event({ type: 'supporter.counted', campaignId: campaign.id, at, data: { country: input.country } });
          if (!isNewSupporter) add({ [counterNames.pending]: -1 });
        }
      } else {
        if (isNewSupporter) add({ [counterNames.pending]: 1 });
        await mail.confirmation({
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
    });
    return resultFor(campaign);
  }

  return { publicView, count, publishedCount: async (campaign: Campaign) => (await figures(campaign)).count, lags, submit };
}

/**
 * Whom a supporter in `country` writes to: the targets chosen (all when `ids` is absent), less
 * those with `countries` that do not include theirs.
 */
export function recipientsOf<T extends Pick<Target, 'id' | 'countries'>>(targets: T[], country: string, ids?: string[]): T[] {
  return targets.filter((t) => (!ids || ids.includes(t.id)) && (!t.countries || t.countries.includes(country)));
}

const salutationOf = (t: Pick<Target, 'salutation' | 'title'>) => t.salutation ?? `Dear ${t.title}`;

/**
 * An edited letter is written from the preview of one target; sent to several, each gets its own
 * salutation: a text that opens with another target's salutation opens with this one's instead.
 * Anything else stays exactly as the supporter wrote it.
 */
export function addressedTo(body: string, target: Pick<Target, 'id' | 'salutation' | 'title'>, all: Pick<Target, 'id' | 'salutation' | 'title'>[]): string {
  const start = body.trimStart();
  const other = all
    .filter((t) => t.id !== target.id && salutationOf(t) !== salutationOf(target))
    .map(salutationOf)
    .sort((a, b) => b.length - a.length)
    .find((s) => start.startsWith(s));
  return other ? salutationOf(target) + start.slice(other.length) : body;
}

/** The counters a supporter moves when first counted. */
export function countedDeltas(country: string, at: string): Deltas {
  return { [counterNames.supporters]: 1, [counterNames.country(country)]: 1, [counterNames.hour(at)]: 1 };
}

export type ActionService = ReturnType<typeof createActionService>;
