import type { LetterStatus } from '../db/schema.js';
import type { Store } from '../store/index.js';
import type { Stats } from '../schemas/letter.js';
import type { CampaignService } from './campaigns.js';
import type { Counters } from './counters.js';
import type { TargetService } from './targets.js';

const statusKeys: [LetterStatus, keyof Stats['letters']][] = [
  ['pending_confirmation', 'pendingConfirmation'],
  ['queued', 'queued'],
  ['sending', 'sending'],
  ['sent', 'sent'],
  ['failed', 'failed'],
  ['held', 'held'],
  ['bounced', 'bounced'],
];

/** The organizer's figures, read from the maintained counters (plus one indexed lookup per target for its last error). */
export function createStatsService(deps: { store: Pick<Store, 'letters' | 'responses'>; campaigns: CampaignService; targets: TargetService; counters: Counters }) {
  const { store, campaigns, targets, counters } = deps;

  function byStatus(read: (s: LetterStatus) => number) {
    return Object.fromEntries(statusKeys.map(([s, k]) => [k, read(s)])) as Omit<Stats['letters'], 'total'>;
  }

  async function forCampaign(campaignId: string): Promise<Stats> {
    const campaign = await campaigns.get(campaignId);
    const [counted, responseCounts, live, countries, hours] = await Promise.all([
      counters.byPrefix(campaign.id, ''),
      store.responses.countsByTarget(campaign.id),
      targets.list(campaign.id),
      counters.byPrefix(campaign.id, 'country.'),
      counters.byPrefix(campaign.id, 'hour.'),
    ]);
    const all = new Map(counted.map((r) => [r.name, r.value]));
    // A counter row changes only with what it counts: a target's bounced counter last changed at its latest bounce.
    const changedAt = new Map(counted.map((r) => [r.name, r.updatedAt]));
    const value = (name: string) => all.get(name) ?? 0;
    const letters = byStatus((s) => value(`letters.${s}`));
    const responses = new Map(responseCounts.map((r) => [r.targetId, r.n]));
    return {
      supporters: { total: value('supporters'), pending: value('pending') },
      letters: { total: Object.values(letters).reduce((a, b) => a + b, 0), ...letters },
      byTarget: await Promise.all(
        live.map(async (t) => ({
          targetId: t.id,
          name: t.name,
          title: t.title,
          ...byStatus((s) => value(`target.${t.id}.${s}`)),
          lastError: await store.letters.lastErrorOf(t.id),
          lastBounce: value(`target.${t.id}.bounced`) > 0 ? await store.letters.lastBounceOf(t.id) : null,
          lastBounceAt: value(`target.${t.id}.bounced`) > 0 ? (changedAt.get(`target.${t.id}.bounced`) ?? null) : null,
          responses: responses.get(t.id) ?? 0,
        })),
      ),
      byCountry: Object.fromEntries(countries.map((r) => [r.name, r.value])),
      personalization: { personalized: value('personalization.personalized'), formLetters: value('personalization.formLetters') },
      hourly: hours.map((r) => ({ hour: `${r.name}:00:00Z`, supporters: r.value })).sort((a, b) => a.hour.localeCompare(b.hour)),
    };
  }

  return { forCampaign };
}

export type StatsService = ReturnType<typeof createStatsService>;
