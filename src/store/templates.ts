import { and, asc, eq, sql as drizzleSql } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { templates } from '../db/schema.js';

/** Letter templates: immutable versions, so a letter always knows the text it was rendered from. */
export function createTemplateRepo(db: Db) {
  const ofCampaign = db.select().from(templates).where(eq(templates.campaignId, drizzleSql.placeholder('campaignId'))).orderBy(asc(templates.id)).prepare();
  const byId = db
    .select()
    .from(templates)
    .where(and(eq(templates.id, drizzleSql.placeholder('id')), eq(templates.campaignId, drizzleSql.placeholder('campaignId'))))
    .prepare();
  return {
    /** The campaign's templates in id order. */
    ofCampaign: (campaignId: string) => ofCampaign.all({ campaignId }),
    byId: (campaignId: string, id: string) => byId.get({ id, campaignId }),
    insert: (row: typeof templates.$inferInsert) => db.insert(templates).values(row).returning().get(),
  };
}
