import type { offlineCounts } from '../db/schema.js';
import type { AsyncSql } from './engine/async-sql.js';

export type OfflineCountRow = typeof offlineCounts.$inferSelect;

const columns = 'id, campaign_id AS "campaignId", supporters, letters, source, note, created_at AS "createdAt"';

/** Counts gathered outside Chorus, one row per entry the organizer made. */
export function createOfflineCountRepo(sql: AsyncSql) {
  return {
    async insert(row: OfflineCountRow): Promise<void> {
      await sql.run(
        'INSERT INTO offline_counts (id, campaign_id, supporters, letters, source, note, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
        [row.id, row.campaignId, row.supporters, row.letters, row.source, row.note, row.createdAt],
      );
    },
    /** The campaign's entries, newest first. */
    ofCampaign: async (campaignId: string) =>
      await sql.all<OfflineCountRow>(`SELECT ${columns} FROM offline_counts WHERE campaign_id = ? ORDER BY created_at DESC, id DESC`, [campaignId]),
    get: async (campaignId: string, id: string) => await sql.get<OfflineCountRow>(`SELECT ${columns} FROM offline_counts WHERE id = ? AND campaign_id = ?`, [id, campaignId]),
    remove: async (id: string) => { await sql.run('DELETE FROM offline_counts WHERE id = ?', [id]); },
  };
}
