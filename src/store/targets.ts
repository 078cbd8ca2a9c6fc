import { targets } from '../db/schema.js';
import type { AsyncSql } from './engine/async-sql.js';
import { tableRows } from './table-rows.js';

type TargetInsert = typeof targets.$inferInsert;

const t = tableRows(targets);

/** The officials a campaign writes to. Removed ones stay (their letters point at them), marked deleted. */
export function createTargetRepo(sql: AsyncSql) {
  return {
    /** The campaign's targets not removed, in id order. */
    live: async (campaignId: string) =>
      (await sql.all<Record<string, unknown>>(`SELECT ${t.select} FROM targets WHERE campaign_id = ? AND deleted_at IS NULL ORDER BY id`, [campaignId])).map(t.decode),
    async liveById(campaignId: string, id: string) {
      const raw = await sql.get<Record<string, unknown>>(`SELECT ${t.select} FROM targets WHERE id = ? AND campaign_id = ? AND deleted_at IS NULL`, [id, campaignId]);
      return raw && t.decode(raw);
    },
    async insert(row: TargetInsert) {
      const q = t.insert(row);
      return t.decode((await sql.get<Record<string, unknown>>(q.text, q.params))!);
    },
    async update(id: string, patch: Partial<TargetInsert>) {
      const set = t.set(patch);
      const raw = await sql.get<Record<string, unknown>>(`UPDATE targets SET ${set.text} WHERE id = ? RETURNING ${t.select}`, [...set.params, id]);
      return raw && t.decode(raw);
    },
  };
}
