import { campaignUpdates, campaigns } from '../db/schema.js';
import type { AsyncSql } from './engine/async-sql.js';
import { tableRows } from './table-rows.js';

type CampaignInsert = typeof campaigns.$inferInsert;

const c = tableRows(campaigns);
const u = tableRows(campaignUpdates);

/** Campaigns and their timeline updates. */
export function createCampaignRepo(sql: AsyncSql) {
  const on = { c: c.on(sql), u: u.on(sql) };
  const { one, many } = on.c;
  return {
    byId: (id: string) => one(`SELECT ${c.select} FROM campaigns WHERE id = ?`, [id]),
    bySlug: (slug: string) => one(`SELECT ${c.select} FROM campaigns WHERE slug = ?`, [slug]),
    /** Throws a unique violation (see errors.ts) on a taken slug. */
    insert: (row: CampaignInsert) => on.c.insert(row),
    /** A page in id order, one row more than `limit` when there is a next page. */
    page: (limit: number, cursor?: string) =>
      cursor === undefined
        ? many(`SELECT ${c.select} FROM campaigns ORDER BY id LIMIT ?`, [limit + 1])
        : many(`SELECT ${c.select} FROM campaigns WHERE id > ? ORDER BY id LIMIT ?`, [cursor, limit + 1]),
    /** Campaigns with this status, newest first. */
    withStatus: (status: (typeof campaigns.$inferSelect)['status']) => many(`SELECT ${c.select} FROM campaigns WHERE status = ? ORDER BY created_at DESC`, [status]),
    async update(id: string, patch: Partial<CampaignInsert>) {
      const set = c.set(patch);
      return one(`UPDATE campaigns SET ${set.text} WHERE id = ? RETURNING ${c.select}`, [...set.params, id]);
    },
    /**
     * Letters not yet delivered: queued, sending, held, or awaiting a confirmation that can still
     * come (a letter whose link has expired can never be confirmed).
     */
    undeliveredCount: async (campaignId: string, now: string) =>
      (await sql.value<number>(
        `SELECT count(*) AS n FROM letters l JOIN submissions s ON s.id = l.submission_id
         WHERE l.campaign_id = @campaignId AND (l.status IN ('queued', 'sending', 'held')
           OR (l.status = 'pending_confirmation' AND (s.expires_at IS NULL OR s.expires_at > @now)))`,
        { campaignId, now },
      )) ?? 0,
    insertUpdate: (row: typeof campaignUpdates.$inferInsert) => on.u.insert(row),
    /** Timeline entries, newest first. */
    updates: async (campaignId: string) =>
      on.u.many(`SELECT ${u.select} FROM campaign_updates WHERE campaign_id = ? ORDER BY created_at DESC`, [campaignId]),
  };
}
