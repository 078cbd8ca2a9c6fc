import { asc, desc, eq, gt, sql as drizzleSql } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { campaignUpdates, campaigns } from '../db/schema.js';
import type { Sql } from './sql.js';

type CampaignInsert = typeof campaigns.$inferInsert;

/** Campaigns and their timeline updates. */
export function createCampaignRepo(db: Db, sql: Sql) {
  // Every public request reads its campaign: prepared once (building the query cost more than running it).
  const byId = db.select().from(campaigns).where(eq(campaigns.id, drizzleSql.placeholder('id'))).prepare();
  const bySlug = db.select().from(campaigns).where(eq(campaigns.slug, drizzleSql.placeholder('slug'))).prepare();
  const updatesOf = db
    .select()
    .from(campaignUpdates)
    .where(eq(campaignUpdates.campaignId, drizzleSql.placeholder('campaignId')))
    .orderBy(desc(campaignUpdates.createdAt))
    .prepare();

  return {
    byId: (id: string) => byId.get({ id }),
    bySlug: (slug: string) => bySlug.get({ slug }),
    /** Throws the driver's unique-constraint error on a taken slug. */
    insert: (row: CampaignInsert) => db.insert(campaigns).values(row).returning().get(),
    /** A page in id order, one row more than `limit` when there is a next page. */
    page: (limit: number, cursor?: string) =>
      db
        .select()
        .from(campaigns)
        .where(cursor ? gt(campaigns.id, cursor) : undefined)
        .orderBy(asc(campaigns.id))
        .limit(limit + 1)
        .all(),
    /** Campaigns with this status, newest first. */
    withStatus: (status: (typeof campaigns.$inferSelect)['status']) => db.select().from(campaigns).where(eq(campaigns.status, status)).orderBy(desc(campaigns.createdAt)).all(),
    update: (id: string, patch: Partial<CampaignInsert>) => db.update(campaigns).set(patch).where(eq(campaigns.id, id)).returning().get(),
    /**
     * Letters not yet delivered: queued, sending, held, or awaiting a confirmation that can still
     * come (a letter whose link has expired can never be confirmed).
     */
    undeliveredCount: (campaignId: string, now: string) =>
      sql.value<number>(
        `SELECT count(*) AS n FROM letters l JOIN submissions s ON s.id = l.submission_id
         WHERE l.campaign_id = @campaignId AND (l.status IN ('queued', 'sending', 'held')
           OR (l.status = 'pending_confirmation' AND (s.expires_at IS NULL OR s.expires_at > @now)))`,
        { campaignId, now },
      ) ?? 0,
    insertUpdate: (row: typeof campaignUpdates.$inferInsert) => db.insert(campaignUpdates).values(row).returning().get(),
    /** Timeline entries, newest first. */
    updates: (campaignId: string) => updatesOf.all({ campaignId }),
  };
}
