import { templates } from '../db/schema.js';
import type { AsyncSql } from './engine/async-sql.js';
import { tableRows } from './table-rows.js';

const t = tableRows(templates);

/** Letter templates: immutable versions, so a letter always knows the text it was rendered from. */
export function createTemplateRepo(sql: AsyncSql) {
  return {
    /** The campaign's templates in id order. */
    ofCampaign: async (campaignId: string) =>
      (await sql.all<Record<string, unknown>>(`SELECT ${t.select} FROM templates WHERE campaign_id = ? ORDER BY id`, [campaignId])).map(t.decode),
    async byId(campaignId: string, id: string) {
      const raw = await sql.get<Record<string, unknown>>(`SELECT ${t.select} FROM templates WHERE id = ? AND campaign_id = ?`, [id, campaignId]);
      return raw && t.decode(raw);
    },
    async insert(row: typeof templates.$inferInsert) {
      const q = t.insert(row);
      return t.decode((await sql.get<Record<string, unknown>>(q.text, q.params))!);
    },
  };
}
