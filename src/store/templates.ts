import { templates } from '../db/schema.js';
import type { AsyncSql } from './engine/async-sql.js';
import { tableRows } from './table-rows.js';

type TemplateInsert = typeof templates.$inferInsert;

const t = tableRows(templates);

/**
 * Letter templates. A template keeps its id across edits; each edit adds one to its `version`,
 * and every letter records the version it was rendered from (and keeps its own text). Deleted
 * ones stay, marked, because their letters point at them.
 */
export function createTemplateRepo(sql: AsyncSql) {
  const on = { t: t.on(sql) };
  return {
    /** The campaign's templates not deleted, in id order. */
    ofCampaign: async (campaignId: string) =>
      on.t.many(`SELECT ${t.select} FROM templates WHERE campaign_id = ? AND deleted_at IS NULL ORDER BY id`, [campaignId]),
    async byId(campaignId: string, id: string) {
      return on.t.one(`SELECT ${t.select} FROM templates WHERE id = ? AND campaign_id = ? AND deleted_at IS NULL`, [id, campaignId]);
    },
    async insert(row: TemplateInsert) {
      return on.t.insert(row);
    },
    /**
     * A new version: the patch applied and the version one up, only if the stored version is
     * still `version` (two concurrent edits cannot both become the same next version).
     */
    async edit(id: string, version: number, patch: Partial<TemplateInsert>) {
      const set = t.set(patch);
      return on.t.one(
        `UPDATE templates SET ${set.text ? `${set.text}, ` : ''}version = version + 1 WHERE id = ? AND version = ? AND deleted_at IS NULL RETURNING ${t.select}`,
        [...set.params, id, version],
      );
    },
    /** Marks a template deleted, and its translations with it (they are the same letter); how many were marked. */
    remove: async (id: string, at: string) =>
      (await sql.run('UPDATE templates SET deleted_at = ? WHERE (id = ? OR translation_of = ?) AND deleted_at IS NULL', [at, id, id])).changes,
  };
}
