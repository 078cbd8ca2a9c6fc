import { conflict, invalid, notFound } from '../errors.js';
import type {
  Campaign,
  CampaignUpdate,
  CreateCampaign,
  CreateCampaignUpdate,
  UpdateCampaign,
} from '../schemas/campaign.js';
import type { Clock } from './clock.js';
import { newId } from './ids.js';
import { defaultLetterSettings } from '../schemas/campaign.js';
import { isUniqueViolation } from '../store/errors.js';
import type { Store } from '../store/index.js';
import { createReadCache } from './read-cache.js';
import { missingAddress } from './targets.js';

type Status = Campaign['status'];

/** API.md's status machine: every other move is a 409. */
const moves: Record<Status, readonly Status[]> = {
  draft: ['active'],
  active: ['paused', 'won', 'closed'],
  paused: ['active', 'won', 'closed'],
  // A campaign that succeeded can still be closed once its follow-up ends.
  won: ['closed'],
  closed: [],
};

export function canMove(from: Status, to: Status): boolean {
  return from === to || moves[from].includes(to);
}

/** Past its `closesAt`, a campaign takes no new letter, whatever its status says; it stays visible. */
export function pastClosing(c: Pick<Campaign, 'closesAt'>, now: Date): boolean {
  return c.closesAt !== null && c.closesAt !== undefined && Date.parse(c.closesAt) <= now.getTime();
}

export interface CampaignHooks {
  /** Called inside the transaction that stores an update with `notify`: mails consenting supporters. */
  onNotifyUpdate?(campaign: Campaign, update: CampaignUpdate): Promise<unknown>;
  /** Called inside the transaction that changes a campaign or adds a timeline entry (`updateId`): queues `campaign.updated`. */
  onChanged?(campaign: Campaign, at: string, updateId?: string): Promise<unknown>;
}

export function createCampaignService(deps: { store: Pick<Store, 'campaigns' | 'targets' | 'transaction' | 'dataVersion'>; clock: Clock; hooks?: CampaignHooks }) {
  const { store, clock } = deps;
  const repo = store.campaigns;
  const now = () => clock.now().toISOString();
  // Every public request reads its campaign: cached, dropped on every write below and whenever another connection commits.
  const cache = createReadCache<Campaign>(store.dataVersion);

  async function get(id: string): Promise<Campaign> {
    const row = await cache.get(`id:${id}`, () => repo.byId(id));
    if (!row) throw notFound('Campaign');
    return row;
  }

  async function getBySlug(slug: string): Promise<Campaign | undefined> {
    return cache.get(`slug:${slug}`, () => repo.bySlug(slug));
  }

  /** Runs a write, then drops cached campaigns whether it committed or rolled back. */
  async function writing<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await store.transaction(fn);
    } finally {
      cache.clear();
    }
  }

  async function create(input: CreateCampaign): Promise<Campaign> {
    if (await getBySlug(input.slug)) throw conflict(`A campaign with slug "${input.slug}" already exists`);
    const at = now();
    const row = {
      id: newId('cmp'),
      slug: input.slug,
      title: input.title,
      summary: input.summary,
      story: input.story ?? null,
      status: input.status ?? 'draft',
      goal: input.goal ?? null,
      closesAt: input.closesAt ?? null,
      locale: input.locale ?? 'en',
      confirmation: input.confirmation ?? 'email',
      delivery: input.delivery ?? { mode: 'email' as const },
      rules: input.rules ?? { forbiddenPhrases: [], noteMaxLength: 1000 },
      sender: input.sender ?? null,
      letter: { ...defaultLetterSettings, ...input.letter },
      postal: input.postal ?? null,
      createdAt: at,
      updatedAt: at,
    };
    try {
      return await writing(() => repo.insert(row));
    } catch (err) {
      // The transaction has rolled back by now: the violation is caught outside it.
      if (isUniqueViolation(err)) throw conflict(`A campaign with slug "${input.slug}" already exists`);
      throw err;
    }
  }

  async function list(limit: number, cursor?: string) {
    const rows = await repo.page(limit, cursor);
    const items = rows.slice(0, limit);
    return { items, nextCursor: rows.length > limit ? (items.at(-1)?.id ?? null) : null };
  }

  async function update(id: string, patch: UpdateCampaign): Promise<Campaign> {
    return writing(async () => {
      const current = await get(id);
      if (patch.status && !canMove(current.status, patch.status)) {
        throw conflict(`A campaign cannot move from ${current.status} to ${patch.status}`);
      }
      if (patch.delivery && patch.delivery.mode !== current.delivery.mode) {
        const waiting = await repo.undeliveredCount(id, now());
        if (waiting > 0) {
          throw conflict(
            `The delivery mode cannot change from ${current.delivery.mode} to ${patch.delivery.mode} while ${waiting} letter(s) are undelivered ` +
              '(awaiting confirmation, queued, sending or held); change it once they are delivered or have failed',
          );
        }
        const live = await store.targets.live(id);
        const lacking = live.filter((t) => missingAddress(patch.delivery!.mode, t));
        if (lacking.length > 0) {
          throw invalid(
            `Targets lack the address ${patch.delivery.mode} delivery needs`,
            lacking.map((t) => ({ path: `delivery.mode`, message: `target ${t.id} (${t.name}) has no ${missingAddress(patch.delivery!.mode, t)}` })),
          );
        }
      }
      // Campaigns are never deleted: the row `get` found is still there.
      const at = now();
      const { letter, ...rest } = patch;
      const updated = (await repo.update(id, { ...rest, ...(letter ? { letter: { ...current.letter, ...letter } } : {}), updatedAt: at }))!;
      await deps.hooks?.onChanged?.(updated, at);
      return updated;
    });
  }

  /** Stores a timeline entry; one that names a status also moves the campaign, in the same transaction. */
  async function addUpdate(id: string, input: CreateCampaignUpdate): Promise<CampaignUpdate> {
    return writing(async () => {
      let campaign = await get(id);
      if (input.status && input.status !== campaign.status) campaign = await update(id, { status: input.status });
      const row = await repo.insertUpdate({
        id: newId('upd'),
        campaignId: id,
        title: input.title,
        body: input.body,
        status: input.status ?? null,
        notify: input.notify,
        createdAt: now(),
      });
      if (row.notify) await deps.hooks?.onNotifyUpdate?.(campaign, row);
      await deps.hooks?.onChanged?.(campaign, row.createdAt, row.id);
      return row;
    });
  }

  /** The campaigns taking letters now: active and not past their closing date. */
  async function active(): Promise<Campaign[]> {
    const now = clock.now();
    return (await repo.withStatus('active')).filter((c) => !pastClosing(c, now));
  }

  async function listUpdates(campaignId: string): Promise<CampaignUpdate[]> {
    return repo.updates(campaignId);
  }

  return { get, getBySlug, create, list, update, addUpdate, listUpdates, active };
}

export type CampaignService = ReturnType<typeof createCampaignService>;
