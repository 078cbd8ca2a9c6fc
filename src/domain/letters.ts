import { stringify } from 'csv-stringify';
import { Readable } from 'node:stream';
import type { LetterStatus } from '../db/schema.js';
import type { OutboxWriter } from '../delivery/outbox.js';
import type { Store } from '../store/index.js';
import type { LetterListRow } from '../store/letters.js';
import { conflict, notFound } from '../errors.js';
import type { Letter, LetterListQuery } from '../schemas/letter.js';
import type { Clock } from './clock.js';
import type { LetterLifecycle } from './letter-lifecycle.js';
import type { TargetService } from './targets.js';
import { neutralizeCell } from '../render/csv-cell.js';

/** Moderation moves an organizer may make: hold a letter before it goes, release it again. */
const moderation: Record<'held' | 'queued', LetterStatus[]> = { held: ['queued'], queued: ['held'] };

export function createLetterService(deps: {
  store: Pick<Store, 'letters' | 'outbox'>;
  clock: Clock;
  lifecycle: LetterLifecycle;
  outbox: Pick<OutboxWriter, 'requeueLetter'>;
  targets: Pick<TargetService, 'get'>;
}) {
  const { clock, lifecycle } = deps;
  const repo = deps.store.letters;

  const toLetter = (r: LetterListRow): Letter => ({
    id: r.id,
    campaignId: r.campaignId,
    targetId: r.targetId,
    templateId: r.templateId,
    templateVersion: r.templateVersion,
    locale: r.locale,
    status: r.status,
    originality: r.originality,
    attempts: r.attempts,
    lastError: r.lastError,
    createdAt: r.createdAt,
    sentAt: r.sentAt,
    supporter: { name: r.name, email: r.email, city: r.city, country: r.country },
  });

  /** Keyset pagination over time-ordered ids: stable while letters keep arriving. */
  async function list(campaignId: string, q: LetterListQuery) {
    const rows = await repo.page(campaignId, q);
    const items = rows.slice(0, q.limit).map(toLetter);
    return { items, nextCursor: rows.length > q.limit ? (items.at(-1)?.id ?? null) : null };
  }

  async function moderate(letterId: string, to: 'held' | 'queued'): Promise<Letter> {
    await lifecycle.transaction(async (scope) => {
      const letter = await repo.state(letterId);
      if (!letter) throw notFound('Letter');
      if (letter.status === to) return;
      if (!moderation[to].includes(letter.status)) throw conflict(`A ${letter.status} letter cannot be set to ${to}`);
      const at = clock.now().toISOString();
      await lifecycle.move(scope, letter, to, at);
      await deps.store.outbox.followModeration(letterId, to, to === 'held' ? 'queued' : 'held', at);
    });
    return toLetter((await repo.listRow(letterId))!);
  }

  /**
   * Sends a target's bounced letters again, to the address it has now (the organizer fixed it):
   * each goes back to `queued` through the lifecycle (bounced count down, queued up; delivered
   * rises again once it is sent) and its outbox row is due at once. `left` counts bounced letters
   * that cannot go again: their text was scrubbed by retention, or they went in a digest. Calling
   * it again finds nothing left to send and changes nothing.
   */
  async function resendBounced(campaignId: string, targetId: string): Promise<{ requeued: number; left: number }> {
    const target = await deps.targets.get(campaignId, targetId);
    if (!target.email) throw conflict('The target has no email address to send its letters to');
    const email = target.email;
    return await lifecycle.transaction(async (scope) => {
      const at = clock.now().toISOString();
      let requeued = 0;
      let left = 0;
      for (const letter of await repo.bouncedOfTarget(target.id)) {
        if (letter.resendable !== 1) {
          left += 1;
          continue;
        }
        if (!(await lifecycle.move(scope, letter, 'queued', at, null))) continue;
        if (!(await deps.outbox.requeueLetter(letter.id, email, at))) throw new Error(`bounced letter ${letter.id} lost its outbox row`);
        requeued += 1;
      }
      return { requeued, left };
    });
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
          const page = await repo.csvPage(campaignId, cursor);
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
      ['template_id', 'template_id'],
      ['template_version', 'template_version'],
      ['locale', 'locale'],
      ['attempts', 'attempts'],
      ['last_error', 'last_error'],
      ['sent_at', 'sent_at'],
    ].map(([key, header]) => ({ key: key!, header: header! }));
    // A UTF-8 byte-order mark first: Excel otherwise reads the file as the local code page and garbles Cyrillic names.
    return rows.pipe(stringify({ bom: true, header: true, columns, cast: { string: neutralizeCell, number: (n) => String(n) } }));
  }

  return { list, moderate, resendBounced, csv };
}

export type LetterService = ReturnType<typeof createLetterService>;
