import { and, asc, desc, eq, gt, isNull, sql } from 'drizzle-orm';
import { writeTx, type Db } from '../db/client.js';
import { campaignUpdates, campaigns, targets } from '../db/schema.js';
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
import { createReadCache } from './read-cache.js';
import { missingAddress } from './targets.js';

type Status = Campaign['status'];

/** API.md's status machine: every other move is a 409. */
const moves: Record<Status, readonly Status[]> = {
  draft: ['active'],
  active: ['paused', 'won', 'closed'],
  paused: ['active', 'won', 'closed'],
  won: [],
  closed: [],
};

export function canMove(from: Status, to: Status): boolean {
  return from === to || moves[from].includes(to);
}

export interface CampaignHooks {
  /** Called after an update with `notify` is stored: mails consenting supporters. */
  onNotifyUpdate?(campaign: Campaign, update: CampaignUpdate): void;
}

export function createCampaignService(deps: { db: Db; clock: Clock; hooks?: CampaignHooks }) {
  const { db, clock } = deps;
  const now = () => clock.now().toISOString();
  // Every public request reads its campaign: prepared once (building the query cost more than running it)
  // and cached, dropped on every write below and whenever another connection commits.
  const cache = createReadCache<Campaign>(db);
  const byId = db.select().from(campaigns).where(eq(campaigns.id, sql.placeholder('id'))).prepare();
  const bySlug = db.select().from(campaigns).where(eq(campaigns.slug, sql.placeholder('slug'))).prepare();
  const updatesOf = db
    .select()
    .from(campaignUpdates)
    .where(eq(campaignUpdates.campaignId, sql.placeholder('campaignId')))
    .orderBy(desc(campaignUpdates.createdAt))
    .prepare();

  // Letters not yet delivered: each mode keeps them in its own place (outbox rows, digest lane,
  // print run), so a mode change would strand or duplicate them. A letter whose confirmation
  // link has expired can never be confirmed, so it blocks nothing.
  const undeliveredCount = db.$client.prepare(
    `SELECT count(*) AS n FROM letters l JOIN submissions s ON s.id = l.submission_id
     WHERE l.campaign_id = @campaignId AND (l.status IN ('queued', 'sending', 'held')
       OR (l.status = 'pending_confirmation' AND (s.expires_at IS NULL OR s.expires_at > @now)))`,
  );

  function get(id: string): Campaign {
    const row = cache.get(`id:${id}`, () => byId.get({ id }));
    if (!row) throw notFound('Campaign');
    return row;
  }

  function getBySlug(slug: string): Campaign | undefined {
    return cache.get(`slug:${slug}`, () => bySlug.get({ slug }));
  }

  /** Runs a write, then drops cached campaigns whether it committed or rolled back. */
  function writing<T>(fn: () => T): T {
    try {
      return writeTx(db, fn);
    } finally {
      cache.clear();
    }
  }

  function create(input: CreateCampaign): Campaign {
    if (getBySlug(input.slug)) throw conflict(`A campaign with slug "${input.slug}" already exists`);
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
      createdAt: at,
      updatedAt: at,
    };
    try {
      return writing(() => db.insert(campaigns).values(row).returning().get());
    } catch (err) {
      if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') {
        throw conflict(`A campaign with slug "${input.slug}" already exists`);
      }
      throw err;
    }
  }

  function list(limit: number, cursor?: string) {
    const rows = db
      .select()
      .from(campaigns)
      .where(cursor ? gt(campaigns.id, cursor) : undefined)
      .orderBy(asc(campaigns.id))
      .limit(limit + 1)
      .all();
    const items = rows.slice(0, limit);
    return { items, nextCursor: rows.length > limit ? (items.at(-1)?.id ?? null) : null };
  }

  function update(id: string, patch: UpdateCampaign): Campaign {
    return writing(() => {
      const current = get(id);
      if (patch.status && !canMove(current.status, patch.status)) {
        throw conflict(`A campaign cannot move from ${current.status} to ${patch.status}`);
      }
      if (patch.delivery && patch.delivery.mode !== current.delivery.mode) {
        const { n: waiting } = undeliveredCount.get({ campaignId: id, now: now() }) as { n: number };
        if (waiting > 0) {
          throw conflict(
            `The delivery mode cannot change from ${current.delivery.mode} to ${patch.delivery.mode} while ${waiting} letter(s) are undelivered ` +
              '(awaiting confirmation, queued, sending or held); change it once they are delivered or have failed',
          );
        }
        const live = db.select().from(targets).where(and(eq(targets.campaignId, id), isNull(targets.deletedAt))).all();
        const lacking = live.filter((t) => missingAddress(patch.delivery!.mode, t));
        if (lacking.length > 0) {
          throw invalid(
            `Targets lack the address ${patch.delivery.mode} delivery needs`,
            lacking.map((t) => ({ path: `delivery.mode`, message: `target ${t.id} (${t.name}) has no ${missingAddress(patch.delivery!.mode, t)}` })),
          );
        }
      }
      return db
        .update(campaigns)
        .set({ ...patch, updatedAt: now() })
        .where(eq(campaigns.id, id))
        .returning()
        .get();
    });
  }

  /** Stores a timeline entry; one that names a status also moves the campaign, in the same transaction. */
  function addUpdate(id: string, input: CreateCampaignUpdate): CampaignUpdate {
    return writing(() => {
      let campaign = get(id);
      if (input.status && input.status !== campaign.status) campaign = update(id, { status: input.status });
      const row = db
        .insert(campaignUpdates)
        .values({
          id: newId('upd'),
          campaignId: id,
          title: input.title,
          body: input.body,
          status: input.status ?? null,
          notify: input.notify,
          createdAt: now(),
        })
        .returning()
        .get();
      if (row.notify) deps.hooks?.onNotifyUpdate?.(campaign, row);
      return row;
    });
  }

  function listUpdates(campaignId: string): CampaignUpdate[] {
    return updatesOf.all({ campaignId });
  }

  return { get, getBySlug, create, list, update, addUpdate, listUpdates };
}

export type CampaignService = ReturnType<typeof createCampaignService>;
