import PDFDocument from 'pdfkit';
import { PassThrough, type Readable } from 'node:stream';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { writeTx, type Db } from '../db/client.js';
import type { LetterStatus, PostalAddress } from '../db/schema.js';
import type { Clock } from '../domain/clock.js';
import type { Counters } from '../domain/counters.js';
import type { CountEvents } from '../domain/events.js';
import { countryName, formatDate } from '../domain/render-letter.js';
import { conflict } from '../errors.js';
import type { Campaign } from '../schemas/campaign.js';

/** DejaVu covers Latin, Cyrillic (Kazakh included) and more; PDF's 14 standard fonts would garble them silently. */
export const fontPaths = {
  regular: '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf',
  bold: '/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf',
};

const mm = 72 / 25.4;

type PrintRow = {
  id: string;
  subject: string;
  body: string;
  signerName: string | null;
  signerCity: string | null;
  signerCountry: string;
  confirmedAt: string | null;
  targetName: string;
  targetTitle: string;
  organization: string;
  postalAddress: string | null;
};

/**
 * Postal delivery: the print run as a PDF (A4, one letter per page, the address placed for a
 * DIN 5008 window envelope), and marking a printed batch as mailed. Nothing goes over the network.
 */
export function createPostalService(deps: { db: Db; clock: Clock; counters: Pick<Counters, 'bump' | 'letterMove'>; events: Pick<CountEvents, 'changed'> }) {
  const { db, clock, counters, events } = deps;
  const sql = db.$client;
  const stmt = {
    // Erased letters have no text left to print; unconfirmed ones are not letters yet.
    page: sql.prepare(
      `SELECT l.id, l.subject, l.body, l.signer_name AS signerName, l.signer_city AS signerCity, l.signer_country AS signerCountry,
         l.confirmed_at AS confirmedAt, t.name AS targetName, t.title AS targetTitle, t.organization, t.postal_address AS postalAddress
       FROM letters l JOIN targets t ON t.id = l.target_id
       WHERE l.campaign_id = @campaignId AND l.id > @cursor AND l.status != 'pending_confirmation' AND (@status IS NULL OR l.status = @status)
         AND l.body IS NOT NULL
       ORDER BY l.id LIMIT 200`,
    ),
    queuedById: sql.prepare("SELECT id, target_id AS targetId FROM letters WHERE id = ? AND campaign_id = ? AND status = 'queued'"),
    queuedBefore: sql.prepare(
      "SELECT id, target_id AS targetId FROM letters WHERE campaign_id = ? AND status = 'queued' AND confirmed_at <= ?",
    ),
    mailed: sql.prepare("UPDATE letters SET status = 'sent', sent_at = ?, last_error = NULL WHERE id = ? AND status = 'queued'"),
  };

  /** The PDF, generated 200 letters at a time so a large print run neither fills memory nor stalls other requests for long. */
  function pdf(campaign: Campaign, status: LetterStatus | undefined, now: Date): Readable {
    const doc = new PDFDocument({ size: 'A4', autoFirstPage: false, margins: { top: 20 * mm, bottom: 20 * mm, left: 25 * mm, right: 20 * mm }, info: { Title: campaign.title, Creator: 'Chorus' } });
    doc.registerFont('regular', fontPaths.regular);
    doc.registerFont('bold', fontPaths.bold);
    const out = new PassThrough();
    doc.pipe(out);
    const date = formatDate(now, campaign.locale);
    void (async () => {
      try {
        let cursor = '';
        let pages = 0;
        for (;;) {
          const rows = stmt.page.all({ campaignId: campaign.id, cursor, status: status ?? null }) as PrintRow[];
          if (rows.length === 0) break;
          for (const row of rows) {
            page(doc, campaign, row, date);
            pages += 1;
          }
          cursor = rows.at(-1)!.id;
          await yieldToLoop();
        }
        if (pages === 0) {
          doc.addPage().font('regular').fontSize(11).text(`No letters${status ? ` with status "${status}"` : ''} to print for "${campaign.title}".`);
        }
        doc.end();
      } catch (err) {
        out.destroy(err as Error);
      }
    })();
    return out;
  }

  function page(doc: PDFKit.PDFDocument, campaign: Campaign, l: PrintRow, date: string): void {
    doc.addPage();
    const left = 25 * mm;
    const width = doc.page.width - left - 20 * mm;
    const sender = campaign.sender;
    const from = sender?.postalAddress ? [sender.name, ...addressLines(sender.postalAddress, campaign.locale)] : [sender?.name ?? 'Chorus'];

    // Sender block, top right.
    doc.font('regular').fontSize(9).text(from.join('\n'), left + 95 * mm, 20 * mm, { width: width - 95 * mm, align: 'right' });
    // The window of a DL/C5 envelope (DIN 5008 form B): 45 mm from the top, 20 mm from the left edge, 85 × 45 mm.
    // Its first 5 mm hold the small return address line.
    doc.fontSize(7).text(from.join(' · '), left, 45 * mm, { width: 85 * mm, lineBreak: false, ellipsis: true });
    const recipient = [l.targetName, l.targetTitle, l.organization];
    if (l.postalAddress) recipient.push(...addressLines(JSON.parse(l.postalAddress) as PostalAddress, campaign.locale));
    doc.fontSize(10).text(recipient.join('\n'), left, 52 * mm, { width: 85 * mm, height: 38 * mm, ellipsis: true });
    // Date, right-aligned under the address field; then the letter.
    doc.fontSize(10).text(date, left, 98 * mm, { width, align: 'right' });
    doc.font('bold').fontSize(11).text(l.subject, left, 110 * mm, { width });
    doc.moveDown(1).font('regular').fontSize(10.5).text(l.body, { width, lineGap: 2 });
    const signer = [l.signerName, l.signerCity, countryName(l.signerCountry, campaign.locale)].filter(Boolean).join(', ');
    const confirmed = l.confirmedAt ? ` on ${formatDate(new Date(l.confirmedAt), campaign.locale)}` : '';
    doc.moveDown(1.5).fontSize(8).fillColor('#555').text(`Signed by ${signer}${confirmed}, sent by ${sender?.name ?? 'Chorus'}. Reference ${l.id}.`, { width });
    doc.fillColor('black');
  }

  /** Marks printed letters as mailed (sent): by id, or every queued letter confirmed up to the print run's time. */
  function markMailed(campaign: Campaign, by: { ids?: string[]; printedAt?: string }): number {
    if (campaign.delivery.mode !== 'postal') throw conflict('Only letters of a postal campaign are mailed by hand');
    const at = clock.now().toISOString();
    const marked = writeTx(db, () => {
      const rows = by.ids
        ? by.ids.map((id) => stmt.queuedById.get(id, campaign.id) as { id: string; targetId: string } | undefined).filter((r) => r !== undefined)
        : (stmt.queuedBefore.all(campaign.id, by.printedAt) as { id: string; targetId: string }[]);
      const deltas: Record<string, number> = {};
      let n = 0;
      for (const r of rows) {
        if (stmt.mailed.run(at, r.id).changes === 0) continue;
        for (const [k, v] of Object.entries(counters.letterMove(r.targetId, 'queued', 'sent'))) deltas[k] = (deltas[k] ?? 0) + v;
        n += 1;
      }
      counters.bump(campaign.id, deltas, at);
      return n;
    });
    if (marked > 0) events.changed(campaign.id);
    return marked;
  }

  return { pdf, markMailed };
}

function addressLines(a: PostalAddress, locale: string): string[] {
  return [...a.lines, [a.postcode, a.city].filter(Boolean).join(' '), countryName(a.country, locale).toUpperCase()];
}

export type PostalService = ReturnType<typeof createPostalService>;
