import type { targetResponses, targets } from '../db/schema.js';
import type { AsyncSql } from './engine/async-sql.js';

type Response = typeof targetResponses.$inferSelect;
/** A response row as stored: `public` is 0/1. */
type ResponseRow = Omit<Response, 'public'> & { public: 0 | 1 };

const columns = 'id, campaign_id AS "campaignId", target_id AS "targetId", received_at AS "receivedAt", channel, summary, public, created_at AS "createdAt"';
const toResponse = (r: ResponseRow): Response => ({ ...r, public: r.public === 1 });

/** Targets' responses: replies, meetings, statements. */
export function createResponseRepo(sql: AsyncSql) {
  return {
    async insert(r: Response): Promise<void> {
      await sql.run(
        'INSERT INTO target_responses (id, campaign_id, target_id, received_at, channel, summary, public, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
        [r.id, r.campaignId, r.targetId, r.receivedAt, r.channel, r.summary, r.public ? 1 : 0, r.createdAt],
      );
    },
    /** A target's responses, latest first. */
    ofTarget: async (campaignId: string, targetId: string) =>
      (await sql.all<ResponseRow>(`SELECT ${columns} FROM target_responses WHERE campaign_id = ? AND target_id = ? ORDER BY received_at DESC, id DESC`, [campaignId, targetId])).map(
        toResponse,
      ),
    async get(campaignId: string, id: string): Promise<Response | undefined> {
      const row = await sql.get<ResponseRow>(`SELECT ${columns} FROM target_responses WHERE id = ? AND campaign_id = ?`, [id, campaignId]);
      return row && toResponse(row);
    },
    remove: async (id: string) => { await sql.run('DELETE FROM target_responses WHERE id = ?', [id]); },
    /** The campaign's public responses with their target's name, latest first. */
    publicOfCampaign: async (campaignId: string) =>
      sql.all<Pick<Response, 'targetId' | 'receivedAt' | 'channel' | 'summary'> & { targetName: (typeof targets.$inferSelect)['name'] }>(
        `SELECT r.target_id AS "targetId", t.name AS "targetName", r.received_at AS "receivedAt", r.channel, r.summary
         FROM target_responses r JOIN targets t ON t.id = r.target_id
         WHERE r.campaign_id = ? AND r.public = 1 ORDER BY r.received_at DESC, r.id DESC`,
        [campaignId],
      ),
    /** How many responses each target of the campaign has recorded, public or not. */
    countsByTarget: async (campaignId: string) =>
      await sql.all<{ targetId: string; n: number }>('SELECT target_id AS "targetId", count(*) AS n FROM target_responses WHERE campaign_id = ? GROUP BY target_id', [campaignId]),
  };
}
