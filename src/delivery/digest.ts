import type { SendMailOptions } from 'nodemailer';
import type { DeliverySettings, LetterStatus } from '../db/schema.js';
import { newId } from '../domain/ids.js';
import type { LetterLifecycle, MoveScope } from '../domain/letter-lifecycle.js';
import { countryName } from '../domain/render-letter.js';
import type { DigestMember } from '../store/digests.js';
import type { Store } from '../store/index.js';
import { mailbox, oneLine, UnsendableError, type Sender } from './messages.js';
import { lanes, recipientDomain } from './outbox.js';

/** One digest mail carries at most this many letters; a larger backlog goes in several mails. */
const lettersPerDigest = 500;
const defaultEveryMinutes = 60;

/** Moves a letter (with its counters) in the caller's transaction. */
type MoveLetter = (letterId: string, to: LetterStatus, error: string | null) => Promise<void>;

export const removedTarget = 'the target was removed before delivery';
const erasedText = 'the letter text was erased before delivery';

/**
 * Digest mode: letters wait in lane 2. Every `digestEveryMinutes` the job gathers them into one
 * mail per target (an outbox row of kind `digest` in lane 1, sent like any other), and the
 * letters follow that mail's fate: sent, retried, failed or held together. A letter held,
 * erased or cut off from its target meanwhile leaves the digest before it is (re)sent.
 */
export function createDigestJob(deps: { store: Pick<Store, 'digests'>; lifecycle: LetterLifecycle; sender: Sender }) {
  const { store, lifecycle, sender } = deps;
  const { digests } = store;

  async function move(scope: MoveScope, m: DigestMember, campaignId: string, to: LetterStatus, at: string, error: string | null): Promise<void> {
    await lifecycle.move(scope, { id: m.letterId, campaignId, targetId: m.targetId, status: m.status }, to, at, error);
  }

  /** Gathers the letters of every campaign whose digest is due, in its own transaction. */
  async function run(now: Date): Promise<void> {
    const at = now.toISOString();
    const due = (await digests.campaignsWaiting()).filter((c) => {
      const every = (JSON.parse(c.delivery) as DeliverySettings).digestEveryMinutes ?? defaultEveryMinutes;
      return Date.parse(c.lastRunAt ?? c.firstWaiting) + every * 60_000 <= now.getTime();
    });
    if (due.length === 0) return;
    await lifecycle.transaction(async (scope) => {
      for (const c of due) {
        const byTarget = new Map<string, DigestMember[]>();
        for (const m of await digests.waiting(c.id)) {
          if (m.status === 'held') continue;
          // Erased, or its target removed, before its digest went: nothing to send.
          const why = m.targetDeletedAt ? removedTarget : m.body === null ? erasedText : null;
          if (why) {
            await digests.setStatus(m.id, 'failed');
            await move(scope, m, c.id, 'failed', at, why);
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
            await digests.insertDigest(digestId, lanes.letters, c.id, targetId, email ? recipientDomain(email) : null, at);
            for (const m of members.slice(i, i + lettersPerDigest)) {
              await digests.bind(m.id, digestId);
              await move(scope, m, c.id, 'sending', at, null);
            }
          }
        }
        await digests.ran(c.id, at);
      }
    });
  }

  /**
   * Members that can no longer go with this digest leave it: held, failed (erased) or sent
   * letters keep their own status, letters whose text was erased or whose target was removed
   * fail with the reason (through `move`). Returns how many letters remain. Call inside a transaction.
   */
  async function sift(digestId: string, move: MoveLetter): Promise<number> {
    let left = 0;
    for (const m of await digests.members(digestId)) {
      if (m.status !== 'queued' && m.status !== 'sending') {
        // A bounced letter was sent (by an earlier mail); its row records that send.
        await digests.leave(m.id, m.status === 'pending_confirmation' ? 'failed' : m.status === 'bounced' ? 'sent' : m.status);
        continue;
      }
      const why = m.targetDeletedAt ? removedTarget : m.body === null ? erasedText : null;
      if (why) {
        await digests.leave(m.id, 'failed');
        await move(m.letterId, 'failed', why);
        continue;
      }
      left += 1;
    }
    return left;
  }

  /** At claim time: false (and the digest row failed) when no letter is left to send, so no mail goes. */
  async function claim(digestId: string, move: MoveLetter): Promise<boolean> {
    if ((await sift(digestId, move)) > 0) return true;
    await digests.drop(digestId, 'no letter of this digest was still deliverable');
    return false;
  }

  /**
   * Records the digest's outcome for the letters it still carries (after sifting out those that
   * left it while it was in flight) and returns them; once the fate is final their outbox rows share it.
   */
  async function settle(digestId: string, status: LetterStatus, move: MoveLetter): Promise<string[]> {
    await sift(digestId, move);
    const ids = (await digests.members(digestId)).map((r) => r.letterId);
    if (status === 'sent' || status === 'failed' || status === 'held') await digests.finishMembers(digestId, status);
    return ids;
  }

  /** Composes the digest mail from its letters as they are now. */
  async function message(digestId: string): Promise<SendMailOptions> {
    // The query keeps only letters still deliverable, with their text.
    const letters = await digests.content(digestId);
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
