import PDFDocument from 'pdfkit';
import { PassThrough, type Readable } from 'node:stream';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { writeTx, type Db } from '../db/client.js';
import type { LetterStatus, PostalAddress } from '../db/schema.js';
import type { Clock } from '../domain/clock.js';
import type { LetterLifecycle } from '../domain/letter-lifecycle.js';
import { countryName, formatDate } from '../domain/render-letter.js';
import { newId } from '../domain/ids.js';
import { conflict, notFound } from '../errors.js';
import type { Campaign } from '../schemas/campaign.js';

/** DejaVu covers Latin, Cyrillic (Kazakh included) and more; PDF's 14 standard fonts would garble them silently. */
const fontPaths = {
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

/** A recorded print run: the letters it holds were fixed when it was made. */
export interface PrintRun {
  id: string;
  campaignId: string;
  status: LetterStatus | null;
  letters: number;
  createdAt: string;
  mailedAt: string | null;
}

/**
 * Postal delivery: print runs (recorded on the server, so a run's PDF holds exactly its
 * letters and marking it mailed touches no other), the PDF (A4, one letter per page, the
 * address placed for a DIN 5008 window envelope), and marking letters mailed. Nothing goes
 * over the network.
 */
export function createPostalService(deps: { db: Db; clock: Clock; lifecycle: LetterLifecycle }) {
  const { db, clock, lifecycle } = deps;
  const sql = db.$client;
  const runColumns = 'id, campaign_id AS campaignId, status, letters, created_at AS createdAt, mailed_at AS mailedAt';
  const stmt = {
    newRun: sql.prepare('INSERT INTO print_runs (id, campaign_id, status, letters, created_at) VALUES (@id, @campaignId, @status, 0, @at)'),
    // Erased letters have no text left to print; unconfirmed ones are not letters yet.
    recordLetters: sql.prepare(
      `INSERT INTO print_run_letters (print_run_id, letter_id)
       SELECT @id, l.id FROM letters l
       WHERE l.campaign_id = @campaignId AND l.status != 'pending_confirmation' AND (@status IS NULL OR l.status = @status) AND l.body IS NOT NULL`,
    ),
    setCount: sql.prepare('UPDATE print_runs SET letters = ? WHERE id = ?'),
    run: sql.prepare(`SELECT ${runColumns} FROM print_runs WHERE id = ? AND campaign_id = ?`),
    recentRuns: sql.prepare(`SELECT ${runColumns} FROM print_runs WHERE campaign_id = ? ORDER BY created_at DESC, id DESC LIMIT ?`),
    queuedInRun: sql.prepare(
      "SELECT count(*) AS n FROM print_run_letters r JOIN letters l ON l.id = r.letter_id WHERE r.print_run_id = ? AND l.status = 'queued'",
    ),
    page: sql.prepare(
      `SELECT l.id, l.subject, l.body, l.signer_name AS signerName, l.signer_city AS signerCity, l.signer_country AS signerCountry,
         l.confirmed_at AS confirmedAt, t.name AS targetName, t.title AS targetTitle, t.organization, t.postal_address AS postalAddress
       FROM print_run_letters r JOIN letters l ON l.id = r.letter_id JOIN targets t ON t.id = l.target_id
       WHERE r.print_run_id = @runId AND l.id > @cursor AND l.body IS NOT NULL
       ORDER BY l.id LIMIT 200`,
    ),
    queuedById: sql.prepare("SELECT id, target_id AS targetId FROM letters WHERE id = ? AND campaign_id = ? AND status = 'queued'"),
    queuedOfRun: sql.prepare(
      "SELECT l.id, l.target_id AS targetId FROM print_run_letters r JOIN letters l ON l.id = r.letter_id WHERE r.print_run_id = ? AND l.status = 'queued'",
    ),
    runMailed: sql.prepare('UPDATE print_runs SET mailed_at = coalesce(mailed_at, ?) WHERE id = ?'),
  };

  /** Records a print run: every printable letter (with `status`, if given) as of now. */
  function createRun(campaign: Campaign, status: LetterStatus | undefined): PrintRun {
    // Printing an email campaign's letters would post them a second time.
    if (campaign.delivery.mode !== 'postal') throw conflict(`This campaign delivers by ${campaign.delivery.mode}; only a postal campaign has print runs`);
    const id = newId('prn');
    const at = clock.now().toISOString();
    return writeTx(db, () => {
      stmt.newRun.run({ id, campaignId: campaign.id, status: status ?? null, at });
      const n = stmt.recordLetters.run({ id, campaignId: campaign.id, status: status ?? null }).changes;
      stmt.setCount.run(n, id);
      return stmt.run.get(id, campaign.id) as PrintRun;
    });
  }

  function getRun(campaign: Campaign, id: string): PrintRun {
    const run = stmt.run.get(id, campaign.id) as PrintRun | undefined;
    if (!run) throw notFound('Print run');
    return run;
  }

  /** The campaign's latest runs, each with how many of its letters still wait to be marked mailed. */
  function recentRuns(campaign: Campaign, limit: number): (PrintRun & { queued: number })[] {
    return (stmt.recentRuns.all(campaign.id, limit) as PrintRun[]).map((r) => ({ ...r, queued: (stmt.queuedInRun.get(r.id) as { n: number }).n }));
  }

  /** A run's PDF, generated 200 letters at a time so a large run neither fills memory nor stalls other requests for long. */
  function pdf(campaign: Campaign, run: PrintRun): Readable {
    const doc = new PDFDocument({ size: 'A4', autoFirstPage: false, margins: { top: 20 * mm, bottom: 20 * mm, left: 25 * mm, right: 20 * mm }, info: { Title: campaign.title, Creator: 'Chorus' } });
    doc.registerFont('regular', fontPaths.regular);
    doc.registerFont('bold', fontPaths.bold);
    const out = new PassThrough();
    doc.pipe(out);
    const date = formatDate(new Date(run.createdAt), campaign.locale);
    void (async () => {
      try {
        let cursor = '';
        let pages = 0;
        for (;;) {
          const rows = stmt.page.all({ runId: run.id, cursor }) as PrintRow[];
          if (rows.length === 0) break;
          for (const row of rows) {
            page(doc, campaign, row, date);
            pages += 1;
          }
          cursor = rows.at(-1)!.id;
          await yieldToLoop();
        }
        if (pages === 0) {
          doc.addPage().font('regular').fontSize(11).text(`No letters${run.status ? ` with status "${run.status}"` : ''} to print for "${campaign.title}".`);
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

  /** Marks letters as mailed (sent): those of a print run, or these ids; only letters still queued change. */
  function markMailed(campaign: Campaign, by: { printRunId: string } | { ids: string[] }): number {
    if (campaign.delivery.mode !== 'postal') throw conflict('Only letters of a postal campaign are mailed by hand');
    const at = clock.now().toISOString();
    return lifecycle.transaction((scope) => {
      type Row = { id: string; targetId: string };
      let rows: Row[];
      if ('printRunId' in by) {
        const run = getRun(campaign, by.printRunId);
        rows = stmt.queuedOfRun.all(run.id) as Row[];
        stmt.runMailed.run(at, run.id);
      } else {
        rows = by.ids.map((id) => stmt.queuedById.get(id, campaign.id) as Row | undefined).filter((r) => r !== undefined);
      }
      return rows.filter((r) => lifecycle.move(scope, { ...r, campaignId: campaign.id, status: 'queued' }, 'sent', at, null)).length;
    });
  }

  return { createRun, getRun, recentRuns, pdf, markMailed };
}

function addressLines(a: PostalAddress, locale: string): string[] {
  return [...a.lines, [a.postcode, a.city].filter(Boolean).join(' '), countryName(a.country, locale).toUpperCase()];
}

export type PostalService = ReturnType<typeof createPostalService>;
