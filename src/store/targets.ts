import { and, asc, eq, isNull, sql as drizzleSql } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { targets } from '../db/schema.js';

type TargetInsert = typeof targets.$inferInsert;

/** The officials a campaign writes to. Removed ones stay (their letters point at them), marked deleted. */
export function createTargetRepo(db: Db) {
  // Every submission reads its campaign's targets: prepared once.
  const live = db
    .select()
    .from(targets)
    .where(and(eq(targets.campaignId, drizzleSql.placeholder('campaignId')), isNull(targets.deletedAt)))
    .orderBy(asc(targets.id))
    .prepare();
  return {
    /** The campaign's targets not removed, in id order. */
    live: (campaignId: string) => live.all({ campaignId }),
    liveById: (campaignId: string, id: string) =>
      db
        .select()
        .from(targets)
        .where(and(eq(targets.id, id), eq(targets.campaignId, campaignId), isNull(targets.deletedAt)))
        .get(),
    insert: (row: TargetInsert) => db.insert(targets).values(row).returning().get(),
    update: (id: string, patch: Partial<TargetInsert>) => db.update(targets).set(patch).where(eq(targets.id, id)).returning().get(),
  };
}
