import type { SendMailOptions } from 'nodemailer';
import type { Db } from '../db/client.js';
import type { LetterStatus } from '../db/schema.js';
import { newId } from '../domain/ids.js';
import type { LetterLifecycle, MoveScope } from '../domain/letter-lifecycle.js';
import { countryName } from '../domain/render-letter.js';
import { mailbox, oneLine, UnsendableError, type Sender } from './messages.js';
import { lanes, recipientDomain } from './outbox.js';

/** One digest mail carries at most this many letters; a larger backlog goes in several mails. */
const lettersPerDigest = 500;
const defaultEveryMinutes = 60;

/** Moves a letter (with its counters) in the caller's transaction. */
type MoveLetter = (letterId: string, to: LetterStatus, error: string | null) => void;

export const removedTarget = 'the target was removed before delivery';
const erasedText = 'the letter text was erased before delivery';

type Member = {
  id: string;
  letterId: string;
  targetId: string;
  status: LetterStatus;
  body: string | null;
  targetEmail: string | null;
  targetDeletedAt: string | null;
};

/**
 * Digest mode: letters wait in lane 2. Every `digestEveryMinutes` the job gathers them into one
 * mail per target (an outbox row of kind `digest` in lane 1, sent like any other), and the
 * letters follow that mail's fate: sent, retried, failed or held together. A letter held,
 * erased or cut off from its target meanwhile leaves the digest before it is (re)sent.
 */
export function createDigestJob(deps: { db: Db; lifecycle: LetterLifecycle; sender: Sender }) {
  const { db, lifecycle, sender } = deps;
  const sql = db.$client;
  const stmt = {
    campaigns: sql.prepare(
      `SELECT c.id, c.delivery, r.last_run_at AS lastRunAt, (SELECT min(created_at) FROM outbox WHERE campaign_id = c.id AND status = 'queued' AND lane = 2) AS firstWaiting
       FROM campaigns c LEFT JOIN digest_runs r ON r.campaign_id = c.id
       WHERE c.status <> 'paused' AND c.id IN (SELECT DISTINCT campaign_id FROM outbox WHERE status = 'queued' AND lane = 2)`,
    ),
    waiting: sql.prepare(
      `SELECT o.id, o.letter_id AS letterId, o.target_id AS targetId, l.status, l.body, t.email AS targetEmail, t.deleted_at AS targetDeletedAt
       FROM outbox o JOIN letters l ON l.id = o.letter_id JOIN targets t ON t.id = o.target_id
       WHERE o.status = 'queued' AND o.lane = 2 AND o.campaign_id = ? ORDER BY o.target_id, o.id`,
    ),
    insert: sql.prepare(
      `INSERT INTO outbox (id, kind, lane, campaign_id, target_id, recipient_domain, status, attempts, next_attempt_at, created_at)
       VALUES (?, 'digest', ?, ?, ?, ?, 'queued', 0, ?, ?)`,
    ),
    bind: sql.prepare("UPDATE outbox SET status = 'sending', digest_id = ? WHERE id = ?"),
    settle: sql.prepare("UPDATE outbox SET status = ? WHERE id = ?"),
    ran: sql.prepare('INSERT INTO digest_runs (campaign_id, last_run_at) VALUES (?, ?) ON CONFLICT (campaign_id) DO UPDATE SET last_run_at = excluded.last_run_at'),
    members: sql.prepare(
      `SELECT o.id, o.letter_id AS letterId, l.status, l.body, t.deleted_at AS targetDeletedAt
       FROM outbox o JOIN letters l ON l.id = o.letter_id JOIN targets t ON t.id = l.target_id
       WHERE o.digest_id = ? AND o.status = 'sending'`,
    ),
    leave: sql.prepare('UPDATE outbox SET status = ?, digest_id = NULL WHERE id = ?'),
    finishMembers: sql.prepare("UPDATE outbox SET status = ?, payload = NULL WHERE digest_id = ? AND status = 'sending'"),
    drop: sql.prepare("UPDATE outbox SET status = 'failed', last_error = ?, lease_owner = NULL, lease_expires_at = NULL WHERE id = ?"),
    content: sql.prepare(
      `SELECT l.subject, l.body, l.signer_name AS name, l.signer_city AS city, l.signer_country AS country, l.note,
         t.name AS targetName, t.email AS targetEmail, c.title AS campaignTitle, c.locale
       FROM outbox o JOIN letters l ON l.id = o.letter_id JOIN targets t ON t.id = l.target_id JOIN campaigns c ON c.id = l.campaign_id
       WHERE o.digest_id = ? AND o.status = 'sending' AND l.status IN ('queued', 'sending') AND l.body IS NOT NULL AND t.deleted_at IS NULL
       ORDER BY l.id`,
    ),
  };

  function move(scope: MoveScope, m: Member, campaignId: string, to: LetterStatus, at: string, error: string | null) {
    lifecycle.move(scope, { id: m.letterId, campaignId, targetId: m.targetId, status: m.status }, to, at, error);
  }

  /** Gathers the letters of every campaign whose digest is due, in its own transaction. */
  function run(now: Date): void {
    const at = now.toISOString();
    const due = (stmt.campaigns.all() as { id: string; delivery: string; lastRunAt: string | null; firstWaiting: string }[]).filter((c) => {
      const every = (JSON.parse(c.delivery) as { digestEveryMinutes?: number }).digestEveryMinutes ?? defaultEveryMinutes;
      return Date.parse(c.lastRunAt ?? c.firstWaiting) + every * 60_000 <= now.getTime();
    });
    if (due.length === 0) return;
    lifecycle.transaction((scope) => {
      for (const c of due) {
        const byTarget = new Map<string, Member[]>();
        for (const m of stmt.waiting.all(c.id) as Member[]) {
          if (m.status === 'held') continue;
          // Erased, or its target removed, before its digest went: nothing to send.
          const why = m.targetDeletedAt ? removedTarget : m.body === null ? erasedText : null;
          if (why) {
            stmt.settle.run('failed', m.id);
            move(scope, m, c.id, 'failed', at, why);
            continue;
          }
          const list = byTarget.get(m.targetId) ?? [];
          list.push(m);
          byTarget.set(m.targetId, list);
        }
        for (const [targetId, members] of byTarget) {
          for (let i = 0; i < members.length; i += lettersPerDigest) {
            const digestId = newId('out');
            const email = members[0]!.targetEmail;
            stmt.insert.run(digestId, lanes.letters, c.id, targetId, email ? recipientDomain(email) : null, at, at);
            for (const m of members.slice(i, i + lettersPerDigest)) {
              stmt.bind.run(digestId, m.id);
              move(scope, m, c.id, 'sending', at, null);
            }
          }
        }
        stmt.ran.run(c.id, at);
      }
    });
  }

  /**
   * Members that can no longer go with this digest leave it: held, failed (erased) or sent
   * letters keep their own status, letters whose text was erased or whose target was removed
   * fail with the reason (through `move`). Returns how many letters remain. Call inside a transaction.
   */
  function sift(digestId: string, move: MoveLetter): number {
    let left = 0;
    for (const m of stmt.members.all(digestId) as { id: string; letterId: string; status: LetterStatus; body: string | null; targetDeletedAt: string | null }[]) {
      if (m.status !== 'queued' && m.status !== 'sending') {
        stmt.leave.run(m.status === 'pending_confirmation' ? 'failed' : m.status, m.id);
        continue;
      }
      const why = m.targetDeletedAt ? removedTarget : m.body === null ? erasedText : null;
      if (why) {
        stmt.leave.run('failed', m.id);
        move(m.letterId, 'failed', why);
        continue;
      }
      left += 1;
    }
    return left;
  }

  /** At claim time: false (and the digest row failed) when no letter is left to send, so no mail goes. */
  function claim(digestId: string, move: MoveLetter): boolean {
    if (sift(digestId, move) > 0) return true;
    stmt.drop.run('no letter of this digest was still deliverable', digestId);
    return false;
  }

  /**
   * Records the digest's outcome for the letters it still carries (after sifting out those that
   * left it while it was in flight) and returns them; once the fate is final their outbox rows share it.
   */
  function settle(digestId: string, status: LetterStatus, move: MoveLetter): string[] {
    sift(digestId, move);
    const ids = (stmt.members.all(digestId) as { letterId: string }[]).map((r) => r.letterId);
    if (status === 'sent' || status === 'failed' || status === 'held') stmt.finishMembers.run(status, digestId);
    return ids;
  }

  /** Composes the digest mail from its letters as they are now. */
  function message(digestId: string): SendMailOptions {
    // The query keeps only letters still deliverable, with their text.
    const letters = stmt.content.all(digestId) as {
      subject: string | null;
      body: string;
      name: string | null;
      city: string | null;
      country: string;
      note: string | null;
      targetName: string;
      targetEmail: string | null;
      campaignTitle: string;
      locale: string;
    }[];
    if (letters.length === 0) throw new UnsendableError('no letter of this digest was still deliverable');
    const first = letters[0]!;
    const parts = letters.map((l, i) => {
      const from = [oneLine(l.name) || 'A supporter', oneLine(l.city), countryName(l.country, l.locale)].filter(Boolean).join(', ');
      const note = l.note ? `Personal note: ${l.note}\n` : '';
      return `--- Letter ${i + 1} of ${letters.length} ---\nFrom: ${from}\n${indent(`${note}\n${l.body}`)}\n`;
    });
    const intro = `${letters.length} ${letters.length === 1 ? 'person has' : 'people have'} written to you about "${first.campaignTitle}". Each letter follows, with its signer's name, city, country and personal note.\n\n`;
    return {
      from: { name: sender.name, address: sender.address },
      to: [mailbox(first.targetName, first.targetEmail)],
      subject: oneLine(`${first.subject ?? first.campaignTitle} (${letters.length} ${letters.length === 1 ? 'letter' : 'letters'})`),
      text: intro + parts.join('\n'),
      textEncoding: 'quoted-printable',
      messageId: `<${digestId}@${sender.domain}>`,
    };
  }

  return { run, claim, settle, message };
}

/**
 * Every line of a letter (its note and text) is indented under its header, so only the
 * digest's own separators start a line: a note cannot fake another letter or signer.
 */
function indent(text: string): string {
  return text.replace(/\r\n?|[\u0085\u2028\u2029]/g, '\n').split('\n').map((line) => (line ? `    ${line}` : line)).join('\n');
}
