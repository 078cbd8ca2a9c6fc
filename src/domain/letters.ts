import { stringify } from 'csv-stringify';
import { Readable } from 'node:stream';
import type { Db } from '../db/client.js';
import type { LetterStatus } from '../db/schema.js';
import { conflict, notFound } from '../errors.js';
import type { Letter, LetterListQuery } from '../schemas/letter.js';
import type { Clock } from './clock.js';
import type { Counters } from './counters.js';
import type { CountEvents } from './events.js';
import { writeTx } from '../db/client.js';
import { neutralizeCell } from '../render/csv-cell.js';

type Row = {
  id: string;
  campaignId: string;
  targetId: string;
  status: LetterStatus;
  attempts: number;
  lastError: string | null;
  createdAt: string;
  sentAt: string | null;
  name: string | null;
  email: string | null;
  city: string | null;
  country: string;
};

const select = `SELECT l.id, l.campaign_id AS campaignId, l.target_id AS targetId, l.status, l.attempts, l.last_error AS lastError,
  l.created_at AS createdAt, l.sent_at AS sentAt, l.signer_name AS name, s.email, l.signer_city AS city, l.signer_country AS country
  FROM letters l JOIN supporters s ON s.id = l.supporter_id`;

/** Moderation moves an organizer may make: hold a letter before it goes, release it again. */
const moderation: Record<'held' | 'queued', LetterStatus[]> = { held: ['queued'], queued: ['held'] };

export function createLetterService(deps: { db: Db; clock: Clock; counters: Counters; events: CountEvents }) {
  const { db, clock, counters, events } = deps;
  const sql = db.$client;
  const stmt = {
    get: sql.prepare('SELECT id, campaign_id AS campaignId, target_id AS targetId, status FROM letters WHERE id = ?'),
    setStatus: sql.prepare('UPDATE letters SET status = ? WHERE id = ? AND status = ?'),
    // The letter's outbox row follows it: parked while held, due again (with a fresh retry budget) when released.
    outboxFollow: sql.prepare(
      'UPDATE outbox SET status = ?, next_attempt_at = ?, attempts = 0, first_attempt_at = NULL, last_error = NULL WHERE letter_id = ? AND status = ?',
    ),
    one: sql.prepare(`${select} WHERE l.id = ?`),
    csvPage: sql.prepare(
      `SELECT l.id, l.created_at, l.status, t.name AS target, t.title AS target_title, l.signer_name, s.email AS supporter_email,
         l.signer_city, l.signer_country, l.note, l.attempts, l.last_error, l.sent_at
       FROM letters l JOIN supporters s ON s.id = l.supporter_id JOIN targets t ON t.id = l.target_id
       WHERE l.campaign_id = ? AND l.id > ? ORDER BY l.id LIMIT 500`,
    ),
  };

  const toLetter = (r: Row): Letter => ({
    id: r.id,
    campaignId: r.campaignId,
    targetId: r.targetId,
    status: r.status,
    attempts: r.attempts,
    lastError: r.lastError,
    createdAt: r.createdAt,
    sentAt: r.sentAt,
    supporter: { name: r.name, email: r.email, city: r.city, country: r.country },
  });

  /** Keyset pagination over time-ordered ids: stable while letters keep arriving. */
  function list(campaignId: string, q: LetterListQuery) {
    const where = ['l.campaign_id = ?'];
    const args: unknown[] = [campaignId];
    const filter = (clause: string, value: string | undefined) => {
      if (value === undefined) return;
      where.push(clause);
      args.push(value);
    };
    filter('l.status = ?', q.status);
    filter('l.target_id = ?', q.targetId);
    filter('l.id > ?', q.cursor);
    const rows = sql.prepare(`${select} WHERE ${where.join(' AND ')} ORDER BY l.id LIMIT ?`).all(...args, q.limit + 1) as Row[];
    const items = rows.slice(0, q.limit).map(toLetter);
    return { items, nextCursor: rows.length > q.limit ? (items.at(-1)?.id ?? null) : null };
  }

  function moderate(letterId: string, to: 'held' | 'queued'): Letter {
    const result = writeTx(db, () => {
      const letter = stmt.get.get(letterId) as { id: string; campaignId: string; targetId: string; status: LetterStatus } | undefined;
      if (!letter) throw notFound('Letter');
      if (letter.status === to) return letter;
      if (!moderation[to].includes(letter.status)) throw conflict(`A ${letter.status} letter cannot be set to ${to}`);
      stmt.setStatus.run(to, letterId, letter.status);
      const at = clock.now().toISOString();
      stmt.outboxFollow.run(to, at, letterId, to === 'held' ? 'queued' : 'held');
      counters.bump(letter.campaignId, counters.letterMove(letter.targetId, letter.status, to), at);
      return letter;
    });
    events.changed(result.campaignId);
    return toLetter(stmt.one.get(letterId) as Row);
  }

  /**
   * Streams the campaign's letters as CSV, 500 rows per query: memory stays flat at any size and
   * no statement stays open between chunks (so other requests can use the connection meanwhile).
   */
  function csv(campaignId: string): Readable {
    let cursor = '';
    const rows = Readable.from(
      (async function* () {
        for (;;) {
          const page = stmt.csvPage.all(campaignId, cursor) as Record<string, unknown>[];
          if (page.length === 0) return;
          for (const r of page) yield r;
          cursor = String(page.at(-1)!.id);
        }
      })(),
    );
    const columns = [
      ['id', 'id'],
      ['created_at', 'created_at'],
      ['status', 'status'],
      ['target', 'target'],
      ['target_title', 'target_title'],
      ['signer_name', 'supporter_name'],
      ['supporter_email', 'supporter_email'],
      ['signer_city', 'supporter_city'],
      ['signer_country', 'supporter_country'],
      ['note', 'note'],
      ['attempts', 'attempts'],
      ['last_error', 'last_error'],
      ['sent_at', 'sent_at'],
    ].map(([key, header]) => ({ key: key!, header: header! }));
    return rows.pipe(stringify({ header: true, columns, cast: { string: neutralizeCell, number: (n) => String(n) } }));
  }

  return { list, moderate, csv };
}

export type LetterService = ReturnType<typeof createLetterService>;
