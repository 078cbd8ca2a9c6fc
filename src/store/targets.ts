import { targets } from '../db/schema.js';
import type { AsyncSql } from './engine/async-sql.js';
import { tableRows } from './table-rows.js';

type TargetInsert = typeof targets.$inferInsert;

const t = tableRows(targets);

/** The officials a campaign writes to. Removed ones stay (their letters point at them), marked deleted. */
export function createTargetRepo(sql: AsyncSql) {
  const on = { t: t.on(sql) };
  return {
    /** The campaign's targets not removed, in id order. */
    live: async (campaignId: string) =>
      on.t.many(`SELECT ${t.select} FROM targets WHERE campaign_id = ? AND deleted_at IS NULL ORDER BY id`, [campaignId]),
    async liveById(campaignId: string, id: string) {
      return on.t.one(`SELECT ${t.select} FROM targets WHERE id = ? AND campaign_id = ? AND deleted_at IS NULL`, [id, campaignId]);
    },
    async insert(row: TargetInsert) {
      return on.t.insert(row);
    },
    async update(id: string, patch: Partial<TargetInsert>) {
      const set = t.set(patch);
      return on.t.one(`UPDATE targets SET ${set.text} WHERE id = ? RETURNING ${t.select}`, [...set.params, id]);
    },
  };
}
